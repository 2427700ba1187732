"""What the accounts policies allow and refuse, for every kind of caller."""

import pytest

from libreach.accounts import policies, selectors, services
from libreach.accounts.models import ReaderProfile, StaffRole
from libreach.core.errors import PermissionDenied
from libreach.testing.fixtures import PASSWORD
from libreach.testing.policies import ACTORS, STAFF, check_library_policy, check_policy


def test_only_library_admins_add_staff(consortium):
    check_library_policy(
        consortium,
        policies.can_add_staff,
        policies.require_can_add_staff,
        {"library_admin", "consortium_admin"},
    )


def test_the_librarys_staff_manage_its_readers(consortium):
    check_library_policy(
        consortium, policies.can_manage_readers, policies.require_can_manage_readers, STAFF
    )


def test_roles_and_volunteers(consortium):
    assert policies.roles_at(consortium.volunteer, consortium.lib) == {StaffRole.VOLUNTEER}
    assert policies.is_volunteer_at(consortium.volunteer, consortium.lib)
    assert not policies.is_staff_of(consortium.volunteer, consortium.lib)
    assert policies.roles_at(None, consortium.lib) == frozenset()
    assert policies.roles_at(consortium.reader, consortium.lib) == frozenset()
    assert policies.roles_at(consortium.other_staff, consortium.lib) == frozenset()


def test_services_and_selectors_ask_the_policies(consortium):
    n = iter(range(100))

    def add_reader(user):
        services.create_reader(
            library=consortium.lib,
            card_number=f"30{next(n):08}",
            name="王五",
            reader_type="faculty",
            password=PASSWORD,
            by=user,
        )

    check_policy(consortium, can=None, require=add_reader, allowed=STAFF, refusal=PermissionDenied)
    # The two fixture readers and one for each allowed caller (with SYSTEM).
    assert ReaderProfile.objects.filter(library=consortium.lib).count() == 2 + 4
    check_policy(
        consortium,
        can=None,
        require=lambda user: list(selectors.readers_of(consortium.lib, by=user)),
        allowed=STAFF,
        refusal=PermissionDenied,
    )
    check_policy(
        consortium,
        can=None,
        require=lambda user: services.create_staff(
            library=consortium.lib,
            username=f"ref-{next(n)}",
            password=PASSWORD,
            name="参考馆员",
            role=StaffRole.REFERENCE,
            by=user,
        ),
        allowed={"library_admin", "consortium_admin"},
        refusal=PermissionDenied,
    )


def test_a_refused_import_reads_no_row(consortium):
    rows = iter([(2, {"card_number": "2021", "name": "王五", "reader_type": "faculty"})])
    with pytest.raises(PermissionDenied):
        services.import_readers(library=consortium.lib, rows=rows, by=consortium.other_staff)
    assert next(rows)[0] == 2


def test_who_opens_a_desk_page(consortium):
    def opens(roles):
        return {
            name
            for name in ACTORS
            if policies.can_open_desk_page(consortium.actor(name), consortium.lib, roles)
        }

    assert opens(policies.STAFF_ROLES) == STAFF
    assert opens(policies.DESK_ROLES) == STAFF | {"volunteer"}
    assert policies.can_open_desk_page(policies.SYSTEM, consortium.lib)
