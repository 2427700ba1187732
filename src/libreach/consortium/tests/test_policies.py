"""What the consortium's policies allow and refuse, for every kind of caller."""

from libreach.consortium import policies, services
from libreach.consortium.models import Building
from libreach.core.errors import PermissionDenied
from libreach.testing.policies import STAFF, check_library_policy, check_policy


def test_only_consortium_admins_add_libraries(consortium):
    check_policy(
        consortium,
        can=policies.can_add_library,
        require=policies.require_can_add_library,
        allowed={"consortium_admin"},
        refusal=PermissionDenied,
    )


def test_the_librarys_staff_manage_its_places_and_calendar(consortium):
    check_library_policy(
        consortium, policies.can_manage_library, policies.require_can_manage_library, STAFF
    )


def test_other_librarys_staff_manage_their_own(consortium):
    assert policies.can_manage_library(consortium.other_staff, consortium.other_lib)
    assert not policies.can_manage_library(consortium.staff, consortium.other_lib)


def test_an_inactive_account_is_nobody(consortium):
    consortium.consortium_admin.is_active = False
    assert not policies.is_signed_in(consortium.consortium_admin)
    assert not policies.can_add_library(consortium.consortium_admin)


def test_services_ask_the_policies(consortium):
    """A refused service call writes nothing; commands (SYSTEM, the default) may."""
    check_policy(
        consortium,
        can=None,
        require=lambda user: services.create_building(
            library=consortium.lib, code=f"B{Building.objects.count()}", name="楼", by=user
        ),
        allowed=STAFF,
        refusal=PermissionDenied,
    )
    # DORM1, then one each for staff, the library admin, the consortium admin and SYSTEM.
    assert Building.objects.filter(library=consortium.lib).count() == 1 + 4
