"""Rows for the statistics tests, written straight to the tables (bulk_create): the BALIS
month (77 members, 3,271 requests, 2,515 satisfied) and small hand-made requests.

The scenario keeps, beside the rows, what the statistics should say of them, counted here
in Python from the same choices, so the tests compare two independent counts."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from libreach.accounts.models import ReaderProfile, User
from libreach.consortium.models import Library
from libreach.docdelivery.models import (
    DocRequest,
    ReasonUnfilled,
    RequestType,
    RotaEntry,
    RotaStatus,
    Status,
)

TZ = zoneinfo.ZoneInfo("Asia/Shanghai")
FEBRUARY = (dt.date(2020, 2, 1), dt.date(2020, 2, 29))

SATISFIED = {
    Status.DELIVERED,
    Status.SHIPPED,
    Status.RECEIVED,
    Status.RETURNED,
    Status.COMPLETED,
    Status.SATISFIED_LOCALLY,
}
# The BALIS month: 3,271 requests, 2,515 satisfied (76.9%).
OUTCOMES = {
    Status.DELIVERED: 2200,
    Status.SATISFIED_LOCALLY: 120,
    Status.SHIPPED: 60,
    Status.RECEIVED: 50,
    Status.COMPLETED: 85,
    Status.UNFILLED: 420,
    Status.REJECTED: 160,
    Status.CANCELLED: 90,
    Status.NEW: 30,
    Status.SENT: 40,
    Status.WILL_SUPPLY: 10,
    Status.RETRY_POSSIBLE: 6,
}
REASONS = [
    ReasonUnfilled.NOT_HELD,
    ReasonUnfilled.NOT_ON_SHELF,
    ReasonUnfilled.IN_USE_ON_LOAN,
    ReasonUnfilled.NON_CIRCULATING,
    ReasonUnfilled.NOT_AVAILABLE_FOR_ILL,
    ReasonUnfilled.LACKING,
]


def local(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def make_libraries(codes: list[str]) -> list[Library]:
    Library.objects.bulk_create(Library(code=code, name=f"{code} 图书馆") for code in codes)
    return list(Library.objects.filter(code__in=codes).order_by("code"))


def make_readers(libraries: list[Library]) -> dict[int, ReaderProfile]:
    """One reader per library (the statistics never look at who the reader is)."""
    User.objects.bulk_create(User(username=f"stats-{lib.code}") for lib in libraries)
    users = {u.username: u for u in User.objects.filter(username__startswith="stats-")}
    ReaderProfile.objects.bulk_create(
        ReaderProfile(
            user=users[f"stats-{lib.code}"],
            library=lib,
            card_number=f"S{lib.pk:06}",
            reader_type="undergraduate",
        )
        for lib in libraries
    )
    return {p.library_id: p for p in ReaderProfile.objects.filter(library__in=libraries)}


def request(
    reader: ReaderProfile, created_at: dt.datetime, status: str = Status.NEW, **fields
) -> DocRequest:
    """An unsaved request of `reader`'s library."""
    return DocRequest(
        library_id=reader.library_id,
        reader=reader,
        type=fields.pop("type", RequestType.ARTICLE),
        title=fields.pop("title", "中国图书馆学报"),
        citation_key=fields.pop("citation_key", f"k{created_at.timestamp():.0f}"),
        status=status,
        created_at=created_at,
        updated_at=fields.pop("updated_at", created_at),
        **fields,
    )


@dataclass
class Expected:
    """What the statistics should say, per library id."""

    borrower: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    reasons: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    final_reasons: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    lender: dict[int, Counter] = field(default_factory=lambda: defaultdict(Counter))
    to_delivery: list[float] = field(default_factory=list)
    to_first_answer: list[float] = field(default_factory=list)
    to_answer: list[float] = field(default_factory=list)


class BalisMonth:
    """77 members; February 2020 (Asia/Shanghai): 3,271 requests, 2,515 satisfied, with
    rotas whose lenders answered Unfilled with ISO reasons, timed out, supplied; plus
    requests just before and just after the month, which must not count."""

    def __init__(self, seed: int = 2020):
        rng = random.Random(seed)
        self.libraries = make_libraries([f"M{n:02}" for n in range(1, 78)])
        self.readers = make_readers(self.libraries)
        self.expected = Expected()
        start, end = FEBRUARY
        self.start_at, self.end_at = local(start, 0), local(end + dt.timedelta(days=1), 0)
        # Some members ask far more than others.
        weights = [rng.choice((1, 2, 5, 12)) for _ in self.libraries]
        outcomes = [status for status, n in OUTCOMES.items() for _ in range(n)]
        rng.shuffle(outcomes)
        minutes = int((self.end_at - self.start_at).total_seconds() // 60)
        plans = []
        for n, status in enumerate(outcomes):
            borrower = rng.choices(self.libraries, weights)[0]
            created = self.start_at + dt.timedelta(minutes=rng.randrange(minutes))
            plans.append((n, borrower, created, status, True))
        # Outside the month, by a minute either side: never counted.
        for n in range(40):
            borrower = self.libraries[n % 77]
            created = (self.start_at - dt.timedelta(minutes=1)) if n % 2 else self.end_at
            plans.append((10_000 + n, borrower, created, Status.DELIVERED, False))

        docs, rotas = [], []
        for n, borrower, created, status, counted in plans:
            doc, entries = self._plan(rng, n, borrower, created, status)
            docs.append(doc)
            rotas.append(entries)
            if counted:
                self._expect_borrower(borrower.pk, doc, entries)
            for entry in entries:
                if entry.sent_at and self.start_at <= entry.sent_at < self.end_at:
                    self._expect_lender(entry)
        DocRequest.objects.bulk_create(docs, batch_size=500)
        for doc, entries in zip(docs, rotas, strict=True):
            for entry in entries:
                entry.request = doc
        RotaEntry.objects.bulk_create([e for entries in rotas for e in entries], batch_size=500)

    def _plan(self, rng, n, borrower, created, status):
        reader = self.readers[borrower.pk]
        type_ = RequestType.BOOK if status in (Status.SHIPPED, Status.RECEIVED, Status.COMPLETED) else RequestType.ARTICLE  # fmt: skip
        doc = request(reader, created, status, type=type_, citation_key=f"c{n}")
        if status in (Status.NEW, Status.REJECTED):
            return doc, []
        if status == Status.SATISFIED_LOCALLY:
            doc.delivered_at = created + dt.timedelta(hours=rng.randint(1, 30))
            return doc, []
        others = [lib for lib in self.libraries if lib.pk != borrower.pk]
        if status == Status.UNFILLED:
            # One in twenty: no member held it, the rota was empty.
            misses = 0 if rng.random() < 0.05 else rng.randint(1, 3)
            last = None
        elif status in SATISFIED:
            misses, last = rng.choice((0, 0, 0, 1, 1, 2)), RotaStatus.SUPPLIED
        elif status == Status.CANCELLED:
            misses, last = rng.choice((0, 1)), RotaStatus.CANCELLED
        else:  # with a lender now
            last = {
                Status.SENT: RotaStatus.SENT,
                Status.WILL_SUPPLY: RotaStatus.WILL_SUPPLY,
                Status.RETRY_POSSIBLE: RotaStatus.RETRY_POSSIBLE,
            }[status]
            misses = rng.choice((0, 1))
        lenders = rng.sample(others, misses + (1 if last else 0))
        sent = created + dt.timedelta(hours=rng.randint(1, 20))  # the home library's review
        entries = []
        for position, lender in enumerate(lenders, start=1):
            entry = RotaEntry(lender=lender, position=position, sent_at=sent, holdings=1)
            if position <= misses:
                if rng.random() < 0.25:
                    entry.status = RotaStatus.TIMED_OUT
                    sent += dt.timedelta(hours=24)
                else:
                    entry.status = RotaStatus.UNFILLED
                    entry.reason_unfilled = rng.choice(REASONS)
                    sent += dt.timedelta(hours=rng.randint(1, 30))
                    entry.answered_at = sent
            else:
                entry.status = last
                if last in (RotaStatus.SUPPLIED, RotaStatus.WILL_SUPPLY, RotaStatus.RETRY_POSSIBLE):
                    entry.answered_at = sent + dt.timedelta(hours=rng.randint(1, 48))
            entries.append(entry)
        answers = [e.answered_at for e in entries if e.answered_at]
        doc.first_answer_at = min(answers) if answers else None
        if entries:
            doc.lender = entries[-1].lender
        if status in (Status.DELIVERED, Status.RECEIVED, Status.COMPLETED):
            doc.delivered_at = entries[-1].answered_at + dt.timedelta(hours=rng.randint(0, 72))
        return doc, entries

    def _expect_borrower(self, library_id: int, doc: DocRequest, entries: list[RotaEntry]):
        counts = self.expected.borrower[library_id]
        counts["received"] += 1
        if doc.status in SATISFIED:
            counts["satisfied"] += 1
        if doc.status == Status.SATISFIED_LOCALLY:
            counts["satisfied_locally"] += 1
        if doc.status in (Status.NEW, Status.SENT, Status.WILL_SUPPLY, Status.RETRY_POSSIBLE):
            counts["open"] += 1
        for name in ("unfilled", "rejected", "cancelled"):
            counts[name] += doc.status == name
        if doc.status == Status.UNFILLED:
            reasons = [
                e.reason_unfilled or ReasonUnfilled.NO_ANSWER
                for e in entries
                if e.status in (RotaStatus.UNFILLED, RotaStatus.TIMED_OUT)
            ] or [ReasonUnfilled.NOT_HELD]
            self.expected.reasons[library_id].update(set(reasons))
            self.expected.final_reasons[library_id][reasons[-1]] += 1
        if doc.first_answer_at:
            self.expected.to_first_answer.append(_hours(doc.created_at, doc.first_answer_at))
        if doc.delivered_at and doc.status in SATISFIED:
            self.expected.to_delivery.append(_hours(doc.created_at, doc.delivered_at))

    def _expect_lender(self, entry: RotaEntry):
        counts = self.expected.lender[entry.lender.pk]
        counts["received"] += 1
        counts[
            {
                RotaStatus.SUPPLIED: "supplied",
                RotaStatus.UNFILLED: "unfilled",
                RotaStatus.TIMED_OUT: "timeouts",
                RotaStatus.CANCELLED: "cancelled",
            }.get(entry.status, "open")
        ] += 1
        if entry.status == RotaStatus.UNFILLED:
            counts[f"reason:{entry.reason_unfilled}"] += 1
        if entry.answered_at:
            self.expected.to_answer.append(_hours(entry.sent_at, entry.answered_at))


def _hours(since: dt.datetime, until: dt.datetime) -> float:
    return (until - since).total_seconds() / 3600
