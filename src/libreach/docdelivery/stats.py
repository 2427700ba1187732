"""Document delivery statistics: per library as borrower and as lender, per month, and
across the consortium (issue 9, point 8). Reads only; never imports a services module.

Periods are local dates in the site time zone, both ends included. As a BORROWER a library
is counted for the requests its readers made (`DocRequest.library`) created within the
period; as a LENDER for the rota entries sent to it within the period (`RotaEntry.sent_at`).

Every figure is aggregated in the database, grouped by library or by calendar month, by
one core (`_figures`) that all three entry points share, so a library's figures, its
months and its line in the consortium view cannot disagree. The core runs seven queries
whatever the number of members or requests; the consortium view adds one for the member
list. Medians are taken in Python over the durations, which come in one query per side.

The borrower's figures (top level; the API contract names `received`, `satisfied`,
`fill_rate`, `unfilled_by_reason`, `median_hours_to_delivery`):

- received: requests created in the period.
- satisfied: of those, the ones the reader got: a copy delivered (`delivered`), a loan
  shipped to the reader's library or further along (`shipped`, `received`, `returned`,
  `completed`), or satisfied locally (`satisfied_locally`, also counted on its own in
  `satisfied_locally`). A shipped book counts as soon as the lender has sent it, as
  ReShare counts a loan filled when it is shipped.
- fill_rate: satisfied / received as a fraction rounded to 3 decimals (2,515 of 3,271 is
  0.769); None when nothing was received.
- unfilled, rejected, cancelled, open: the other end states and the requests still in
  progress (`new`, `sent`, `will_supply`, `retry_possible`). received = satisfied +
  unfilled + rejected + cancelled + open.
- unfilled_by_reason: {ISO 18626 reasonUnfilled: requests}, over the requests that ended
  unfilled, each counted once for every distinct reason its rota collected (a lender's
  Unfilled with its reason; a lender that did not answer in time as `NoAnswer`). The sum
  can exceed `unfilled`. unfilled_by_final_reason counts each such request once, by the
  reason of the last lender in rota order that gave one, and sums to `unfilled`. A request
  that ended unfilled without any lender's reason (no member held it, so the rota was
  empty) counts as `NotHeld` in both.
- median_hours_to_first_answer: from `created_at` to `first_answer_at` (the first lender's
  answer), over the requests that have one; median_hours_to_delivery: from `created_at`
  to `delivered_at`, over the satisfied requests that have one. Hours, 1 decimal; None
  when there is none.

The lender's figures (under "as_lender"), over rota entries sent to the library:

- received: entries sent to it; supplied (`supplied`: a copy uploaded or a book shipped);
  unfilled (it answered Unfilled) and unfilled_by_reason over those, a blank reason as
  `Other`; timeouts (`timed_out`: no answer within its window); cancelled (withdrawn by
  the requesting library or the reader); open (still `sent`, `will_supply`,
  `retry_possible`); fill_rate = supplied / received (3 decimals, None if nothing).
- median_hours_to_answer: `sent_at` to `answered_at` over the entries answered.
- loan_to_borrow_ratio (ReShare's load balance): supplied as lender ÷ requests satisfied
  as borrower by other members (satisfied minus satisfied locally, which borrowed from no
  one), 3 decimals; None when it borrowed nothing.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Hashable

from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from libreach.consortium.models import Library
from libreach.docdelivery.models import (
    DocRequest,
    ReasonUnfilled,
    RotaEntry,
    RotaStatus,
    Status,
)

SATISFIED_STATES = (
    Status.DELIVERED,
    Status.SHIPPED,
    Status.RECEIVED,
    Status.RETURNED,
    Status.COMPLETED,
    Status.SATISFIED_LOCALLY,
)
# Still in progress: neither satisfied nor ended another way.
IN_PROGRESS_STATES = (Status.NEW, Status.SENT, Status.WILL_SUPPLY, Status.RETRY_POSSIBLE)
LENDER_OPEN_STATES = (RotaStatus.SENT, RotaStatus.WILL_SUPPLY, RotaStatus.RETRY_POSSIBLE)

BORROWER_COUNTS = {
    "received": Q(),
    "satisfied": Q(status__in=SATISFIED_STATES),
    "unfilled": Q(status=Status.UNFILLED),
    "rejected": Q(status=Status.REJECTED),
    "cancelled": Q(status=Status.CANCELLED),
    "open": Q(status__in=IN_PROGRESS_STATES),
    "satisfied_locally": Q(status=Status.SATISFIED_LOCALLY),
}
LENDER_COUNTS = {
    "received": Q(),
    "supplied": Q(status=RotaStatus.SUPPLIED),
    "unfilled": Q(status=RotaStatus.UNFILLED),
    "timeouts": Q(status=RotaStatus.TIMED_OUT),
    "cancelled": Q(status=RotaStatus.CANCELLED),
    "open": Q(status__in=LENDER_OPEN_STATES),
}

# The reason a rota entry gave: its reasonUnfilled, or NoAnswer for a lender that let its
# window pass without one; blank for any other entry.
ENTRY_REASON = Case(
    When(~Q(reason_unfilled=""), then=F("reason_unfilled")),
    When(status=RotaStatus.TIMED_OUT, then=Value(ReasonUnfilled.NO_ANSWER)),
    default=Value(""),
    output_field=CharField(),
)

BY_LIBRARY = "library"
BY_MONTH = "month"


def _tz() -> dt.tzinfo:
    return timezone.get_default_timezone()


def _bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants from local midnight of `start` to local midnight after `end`."""
    tz = _tz()
    return (
        dt.datetime.combine(start, dt.time.min, tzinfo=tz),
        dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def _key(value) -> Hashable:
    """A group key as the database returns it: a library id, or a month's first day."""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value, _tz())
        return value.date().replace(day=1)
    if isinstance(value, dt.date):
        return value.replace(day=1)
    return value


def _median_hours(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _hours(since: dt.datetime, until: dt.datetime) -> float:
    return (until - since).total_seconds() / 3600


class _Collected:
    """What the core's queries return for each group, before it becomes figures."""

    def __init__(self):
        self.borrower = dict.fromkeys(BORROWER_COUNTS, 0)
        self.reasons: dict[str, int] = defaultdict(int)
        self.final_reasons: dict[str, int] = defaultdict(int)
        self.to_first_answer: list[float] = []
        self.to_delivery: list[float] = []
        self.lender = dict.fromkeys(LENDER_COUNTS, 0)
        self.lender_reasons: dict[str, int] = defaultdict(int)
        self.to_answer: list[float] = []

    def add(self, other: _Collected) -> None:
        for name in self.borrower:
            self.borrower[name] += other.borrower[name]
        for name in self.lender:
            self.lender[name] += other.lender[name]
        for mine, theirs in (
            (self.reasons, other.reasons),
            (self.final_reasons, other.final_reasons),
            (self.lender_reasons, other.lender_reasons),
        ):
            for reason, n in theirs.items():
                mine[reason] += n
        self.to_first_answer += other.to_first_answer
        self.to_delivery += other.to_delivery
        self.to_answer += other.to_answer

    def figures(self) -> dict:
        b, lend = self.borrower, self.lender
        return {
            "received": b["received"],
            "satisfied": b["satisfied"],
            "fill_rate": _rate(b["satisfied"], b["received"]),
            "unfilled": b["unfilled"],
            "unfilled_by_reason": dict(sorted(self.reasons.items())),
            "unfilled_by_final_reason": dict(sorted(self.final_reasons.items())),
            "rejected": b["rejected"],
            "cancelled": b["cancelled"],
            "open": b["open"],
            "satisfied_locally": b["satisfied_locally"],
            "median_hours_to_first_answer": _median_hours(self.to_first_answer),
            "median_hours_to_delivery": _median_hours(self.to_delivery),
            "as_lender": {
                **lend,
                "fill_rate": _rate(lend["supplied"], lend["received"]),
                "unfilled_by_reason": dict(sorted(self.lender_reasons.items())),
                "median_hours_to_answer": _median_hours(self.to_answer),
                "loan_to_borrow_ratio": _rate(
                    lend["supplied"], b["satisfied"] - b["satisfied_locally"]
                ),
            },
        }


def _figures(
    *, start: dt.date, end: dt.date, by: str, library: Library | None = None
) -> dict[Hashable, _Collected]:
    """Per group (library id, or a month's first day) what happened in the period, for one
    library or (library=None) every member. Seven queries."""
    start_at, end_at = _bounds(start, end)
    tz = _tz()
    groups: dict[Hashable, _Collected] = defaultdict(_Collected)

    requests = DocRequest.objects.filter(created_at__gte=start_at, created_at__lt=end_at)
    entries = RotaEntry.objects.filter(sent_at__gte=start_at, sent_at__lt=end_at)
    if library is not None:
        requests = requests.filter(library=library)
        entries = entries.filter(lender=library)
    if by == BY_MONTH:
        request_key = TruncMonth("created_at", tzinfo=tz)
        entry_key = TruncMonth("sent_at", tzinfo=tz)
    else:
        request_key, entry_key = F("library_id"), F("lender_id")
    requests = requests.annotate(key=request_key)
    entries = entries.annotate(key=entry_key)

    # 1. The borrower's counts.
    for row in requests.values("key").annotate(
        **{name: Count("id", filter=q) for name, q in BORROWER_COUNTS.items()}
    ):
        groups[_key(row["key"])].borrower.update({name: row[name] for name in BORROWER_COUNTS})

    # 2. Reasons collected by requests that ended unfilled: each request once per reason.
    unfilled = requests.filter(status=Status.UNFILLED)
    for row in (
        RotaEntry.objects.filter(request__in=unfilled.values("id"))
        .annotate(
            key=TruncMonth("request__created_at", tzinfo=tz)
            if by == BY_MONTH
            else F("request__library_id"),
            reason=ENTRY_REASON,
        )
        .exclude(reason="")
        .values("key", "reason")
        .annotate(n=Count("request_id", distinct=True))
    ):
        groups[_key(row["key"])].reasons[row["reason"]] += row["n"]

    # 3. Their final reason: the last entry in rota order that gave one. None (no reason
    # at all: nobody held it) counts as NotHeld, in the collected reasons too.
    last_reason = (
        RotaEntry.objects.filter(request=OuterRef("pk"))
        .annotate(reason=ENTRY_REASON)
        .exclude(reason="")
        .order_by("-position")
        .values("reason")[:1]
    )
    for row in (
        unfilled.annotate(final=Subquery(last_reason))
        .values("key", "final")
        .annotate(n=Count("id"))
    ):
        group = groups[_key(row["key"])]
        group.final_reasons[row["final"] or ReasonUnfilled.NOT_HELD] += row["n"]
        if row["final"] is None:
            group.reasons[ReasonUnfilled.NOT_HELD] += row["n"]

    # 4. The borrower's durations.
    for key, status, created, first_answer, delivered in requests.filter(
        Q(first_answer_at__isnull=False) | Q(delivered_at__isnull=False)
    ).values_list("key", "status", "created_at", "first_answer_at", "delivered_at"):
        group = groups[_key(key)]
        if first_answer is not None:
            group.to_first_answer.append(_hours(created, first_answer))
        if delivered is not None and status in SATISFIED_STATES:
            group.to_delivery.append(_hours(created, delivered))

    # 5. The lender's counts.
    for row in entries.values("key").annotate(
        **{name: Count("id", filter=q) for name, q in LENDER_COUNTS.items()}
    ):
        groups[_key(row["key"])].lender.update({name: row[name] for name in LENDER_COUNTS})

    # 6. The lender's Unfilled answers by reason.
    for row in (
        entries.filter(status=RotaStatus.UNFILLED)
        .values("key", "reason_unfilled")
        .annotate(n=Count("id"))
    ):
        reason = row["reason_unfilled"] or ReasonUnfilled.OTHER
        groups[_key(row["key"])].lender_reasons[reason] += row["n"]

    # 7. The lender's hours to answer.
    for key, sent, answered in entries.filter(answered_at__isnull=False).values_list(
        "key", "sent_at", "answered_at"
    ):
        groups[_key(key)].to_answer.append(_hours(sent, answered))

    return groups


def library_figures(library: Library, *, start: dt.date, end: dt.date) -> dict:
    """The library's figures from `start` to `end` (local dates, inclusive): as borrower at
    the top level, as lender under "as_lender" (see the module's docstring). Seven
    queries."""
    groups = _figures(start=start, end=end, by=BY_LIBRARY, library=library)
    collected = groups.get(library.pk) or _Collected()
    return {
        "library": library.code,
        "from": start.isoformat(),
        "to": end.isoformat(),
        **collected.figures(),
    }


def _months(start: dt.date, end: dt.date) -> list[dt.date]:
    months, month = [], start.replace(day=1)
    while month <= end and start <= end:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return months


def monthly(library: Library, *, start: dt.date, end: dt.date) -> list[dict]:
    """The library's figures per calendar month of the site time zone, every month from
    `start` to `end` (the first and last cut to the period), in order; each as
    library_figures with "month" ("YYYY-MM"). Seven queries."""
    groups = _figures(start=start, end=end, by=BY_MONTH, library=library)
    rows = []
    for month in _months(start, end):
        last = (month + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        collected = groups.get(month) or _Collected()
        rows.append(
            {
                "library": library.code,
                "month": f"{month:%Y-%m}",
                "from": max(start, month).isoformat(),
                "to": min(end, last).isoformat(),
                **collected.figures(),
            }
        )
    return rows


def consortium_figures(*, start: dt.date, end: dt.date) -> dict:
    """Every member's figures from `start` to `end` (local dates, inclusive) and their
    totals. The totals' counts are the members' sums; their rates and medians are taken
    over all members' requests and entries together. "members" lists every library by
    code, each with "library", "name" and the figures of library_figures. Eight queries,
    whatever the number of members."""
    groups = _figures(start=start, end=end, by=BY_LIBRARY)
    total = _Collected()
    members = []
    for library_id, code, name, name_en in Library.objects.order_by("code").values_list(
        "id", "code", "name", "name_en"
    ):
        collected = groups.get(library_id) or _Collected()
        total.add(collected)
        members.append({"library": code, "name": name, "name_en": name_en, **collected.figures()})
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "members": len(members),
        **total.figures(),
        "by_member": members,
    }
