"""Document delivery fees and the consortium's subsidy (issue 9, point 7).

The consortium sets one price per service (`FeePolicy`): a copy (an article or a chapter)
or a loan (a whole book), charged per request or per page, with a minimum, valid from one
day to another. On the days of a `FreePeriod` (the 2020 policy: document delivery free to
readers from 1 February to 30 June) the consortium's subsidy bears the fee instead of the
reader. Days are those of the site time zone, both ends included: a copy delivered at
23:59 Beijing time on a free period's last day is free, one delivered a minute later is
not, whatever UTC says.

A request is priced once, on the day it is satisfied (a copy delivered, a book shipped),
by `record_charge`, which the services call in the same transaction; the charge keeps the
amount, the pages counted, the policy and the free period that applied, so a policy
changed later does not rewrite what was charged. A request satisfied locally costs
nothing (no member lent anything). With no policy in force the fee is 0.

Pages: the citation's `pages` ("270-273", "270–3", "e12-e20", "5, 9-11"); when they cannot
be counted a per-page fee counts one page (and the minimum still applies).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.consortium.models import Library
from libreach.consortium.policies import SYSTEM, Actor, require_consortium_admin
from libreach.core.errors import Conflict, RuleViolation
from libreach.docdelivery.models import (
    DocRequest,
    FeeBasis,
    FeeCharge,
    FeePolicy,
    FreePeriod,
    RequestType,
    ServiceType,
    Status,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# A request is charged once something reached its reader's library: a copy delivered, or a
# book shipped (and anything after it).
CHARGED_STATES = (
    Status.DELIVERED,
    Status.SHIPPED,
    Status.RECEIVED,
    Status.RETURNED,
    Status.COMPLETED,
)
# A page number with an optional letter prefix (e12, S5), as journals number them.
_PAGE = r"([A-Za-z]{0,2})(\d{1,6})"
_RANGE = re.compile(rf"^{_PAGE}(?:\s*[-–—~－]+\s*{_PAGE})?$")


@dataclass(frozen=True)
class Quote:
    """What a request costs on a day, and who bears it."""

    amount: Decimal
    subsidised: bool
    service_type: str
    currency: str
    pages: int | None
    policy: FeePolicy | None
    free_period: FreePeriod | None


def service_type_of(request: DocRequest) -> str:
    return ServiceType.LOAN if request.type == RequestType.BOOK else ServiceType.COPY


def count_pages(pages: str) -> int | None:
    """The pages a citation's page field covers, or None when it cannot be told.

    "270-273" is 4, "270-3" (the end abbreviated) is 4, "e12-e20" 9, "5, 9-11" 4, "12" 1.
    """
    total = 0
    parts = [p.strip() for p in re.split(r"[,，;；]", (pages or "").replace("pp.", "")) if p]
    parts = [p.removeprefix("p.").strip() for p in parts if p.strip()]
    if not parts:
        return None
    for part in parts:
        match = _RANGE.match(part)
        if match is None:
            return None
        first_prefix, first, last_prefix, last = match.groups()
        if last is None:
            total += 1
            continue
        if last_prefix and first_prefix and last_prefix.lower() != first_prefix.lower():
            return None
        if len(last) < len(first) and int(last) < int(first):  # "270-3": 273
            last = first[: len(first) - len(last)] + last
        start, end = int(first), int(last)
        if end < start:
            return None
        total += end - start + 1
    return total


def local_day(at: dt.datetime) -> dt.date:
    """The day `at` falls on in the site time zone."""
    return timezone.localtime(at, timezone.get_default_timezone()).date()


def policy_in_force(service_type: str, day: dt.date) -> FeePolicy | None:
    """The policy pricing `service_type` on `day`; of two that overlap, the later one."""
    return (
        FeePolicy.objects.filter(service_type=service_type, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("-valid_from", "-id")
        .first()
    )


def free_period_on(service_type: str, day: dt.date) -> FreePeriod | None:
    return (
        FreePeriod.objects.filter(start__lte=day, end__gte=day)
        .filter(Q(service_type="") | Q(service_type=service_type))
        .order_by("start", "id")
        .first()
    )


def quote(request: DocRequest, at: dt.datetime) -> Quote:
    """What `request` costs if satisfied at `at`, and whether the consortium bears it."""
    service = service_type_of(request)
    day = local_day(at)
    policy = policy_in_force(service, day)
    free = free_period_on(service, day)
    pages = count_pages(request.pages) if service == ServiceType.COPY else None
    amount = ZERO
    if policy is not None:
        per_page = policy.basis == FeeBasis.PER_PAGE
        amount = policy.price * (pages or 1) if per_page else policy.price
        amount = max(amount, policy.minimum).quantize(CENT, rounding=ROUND_HALF_UP)
    return Quote(
        amount=amount,
        subsidised=free is not None,
        service_type=service,
        currency=policy.currency if policy else "CNY",
        pages=pages,
        policy=policy,
        free_period=free,
    )


def fee_for(request: DocRequest, at: dt.datetime) -> tuple[Decimal, bool]:
    """The fee the reader would pay for `request` satisfied at `at`, and whether the
    consortium's subsidy bears it (a free period covers that day)."""
    priced = quote(request, at)
    return priced.amount, priced.subsidised


def record_charge(request: DocRequest, at: dt.datetime | None = None) -> FeeCharge | None:
    """Fix the fee of a request just satisfied (a copy delivered, a book shipped), in the
    caller's transaction. Once per request: called again, it returns the charge already
    made. A request satisfied locally is not charged (None); a request not yet satisfied
    is refused (409)."""
    at = at or timezone.now()
    if request.status == Status.SATISFIED_LOCALLY:
        return None
    if request.status not in CHARGED_STATES:
        raise Conflict(
            _("Only a request supplied by a lender is charged."), code="invalid_transition"
        )
    with transaction.atomic():
        existing = FeeCharge.objects.filter(request=request).first()
        if existing is not None:
            return existing
        priced = quote(request, at)
        return FeeCharge.objects.create(
            request=request,
            library_id=request.library_id,
            lender_id=request.lender_id,
            service_type=priced.service_type,
            policy=priced.policy,
            free_period=priced.free_period,
            pages=priced.pages,
            amount=priced.amount,
            currency=priced.currency,
            paid_by=FeeCharge.PaidBy.CONSORTIUM if priced.subsidised else FeeCharge.PaidBy.READER,
            at=at,
        )


def _money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, rounding=ROUND_HALF_UP)


def subsidy_by_member(start: dt.date, end: dt.date, *, by: Actor = SYSTEM) -> dict[str, dict]:
    """Each member's fees and subsidy over the requests charged from `start` to `end`
    (days of the site time zone, both included), by library code, every member listed.

    As borrower (its readers' requests): `requests` charged, `fees` their total, `subsidy`
    the part the consortium bore, `paid_by_readers` the rest. As lender (what it supplied):
    `supplied` requests, `supplied_fees` their total, `supplied_subsidy` the part the
    consortium owes it for them. Sums are Decimal, 2 places. Consortium admins only.
    """
    require_consortium_admin(by)
    if end < start:
        raise RuleViolation(_("The period ends before it starts."), code="invalid_period")
    tz = timezone.get_default_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    charges = FeeCharge.objects.filter(at__gte=since, at__lt=until)
    money = DecimalField(max_digits=12, decimal_places=2)
    subsidised = Q(paid_by=FeeCharge.PaidBy.CONSORTIUM)

    def totals(group: str) -> dict[int, dict]:
        rows = (
            charges.order_by()
            .values(group)
            .annotate(
                n=Count("id"),
                fees=Coalesce(Sum("amount"), Value(ZERO), output_field=money),
                subsidy=Coalesce(Sum("amount", filter=subsidised), Value(ZERO), output_field=money),
            )
        )
        return {row[group]: row for row in rows if row[group] is not None}

    borrowed, lent = totals("library"), totals("lender")
    figures = {}
    for library_id, code in Library.objects.order_by("code").values_list("id", "code"):
        b = borrowed.get(library_id, {})
        lend = lent.get(library_id, {})
        fees, subsidy = _money(b.get("fees")), _money(b.get("subsidy"))
        figures[code] = {
            "requests": b.get("n", 0),
            "fees": fees,
            "subsidy": subsidy,
            "paid_by_readers": fees - subsidy,
            "supplied": lend.get("n", 0),
            "supplied_fees": _money(lend.get("fees")),
            "supplied_subsidy": _money(lend.get("subsidy")),
        }
    return figures
