"""What the circulation policies allow and refuse, for every kind of caller."""

import pytest

from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import policies, selectors, services
from libreach.circulation.models import Loan, LoanPolicy
from libreach.circulation.selectors import DEFAULT_POLICY
from libreach.core.errors import NotFound, PermissionDenied
from libreach.testing.policies import ACTORS, STAFF, check_library_policy, check_policy

LOAN_SEERS = {"reader", *STAFF}


@pytest.fixture
def loan(consortium):
    record = create_record(
        library=consortium.lib,
        title="红楼梦",
        items=[ItemInput(barcode="P0001"), ItemInput(barcode="P0002")],
    )
    return services.checkout(item=record.items.first(), reader=consortium.reader.reader)


def test_the_librarys_staff_manage_circulation(consortium):
    check_library_policy(
        consortium,
        policies.can_manage_circulation,
        policies.require_can_manage_circulation,
        STAFF,
    )


def test_a_loan_is_seen_by_its_reader_and_the_lending_staff_only(consortium, loan):
    check_policy(
        consortium,
        can=lambda user: policies.can_see_loan(user, loan),
        require=lambda user: policies.require_can_see_loan(user, loan),
        allowed=LOAN_SEERS,
        refusal=NotFound,
    )


def test_renew_asks_the_policy(consortium, loan):
    LoanPolicy.objects.create(
        library=consortium.lib, reader_type="", **{**DEFAULT_POLICY, "max_renewals": 10}
    )
    check_policy(
        consortium,
        can=None,
        require=lambda user: services.renew(
            loan=Loan.objects.get(pk=loan.pk), by=user, at=loan.checked_out_at
        ),
        allowed=LOAN_SEERS,
        refusal=NotFound,
    )
    # Once by each caller allowed and by SYSTEM; the refused renewed nothing.
    assert Loan.objects.get(pk=loan.pk).renewals == len(LOAN_SEERS) + 1


def test_counter_checkout_by_staff_only(consortium, loan):
    item = loan.item.record.items.exclude(pk=loan.item_id).get()
    with pytest.raises(PermissionDenied):
        services.checkout(
            item=item, reader=consortium.other_reader.reader, library_staff=consortium.volunteer
        )
    assert not Loan.objects.filter(item=item).exists()


def test_desk_selectors_ask_the_policy(consortium):
    for read in (selectors.closures_of, selectors.bulk_extensions_of, selectors.quarantined_items):
        check_policy(
            consortium,
            can=None,
            require=lambda user, read=read: list(read(consortium.lib, by=user)),
            allowed=STAFF,
            refusal=PermissionDenied,
        )
    check_policy(
        consortium,
        can=None,
        require=lambda user: selectors.own_open_loans(user),
        allowed=set(ACTORS) - {"anonymous"},
        refusal=PermissionDenied,
    )
