"""What the catalogue policies allow and refuse, for every kind of caller."""

from libreach.catalog import policies, services
from libreach.catalog.models import Record
from libreach.core.errors import PermissionDenied
from libreach.testing.policies import STAFF, check_library_policy, check_policy


def test_the_librarys_staff_catalogue(consortium):
    check_library_policy(consortium, policies.can_catalogue, policies.require_can_catalogue, STAFF)
    assert policies.can_catalogue(consortium.other_staff, consortium.other_lib)


def test_create_record_asks_the_policy(consortium):
    n = iter(range(100))
    check_policy(
        consortium,
        can=None,
        require=lambda user: services.create_record(
            library=consortium.lib,
            title="呐喊",
            items=[services.ItemInput(barcode=f"P{next(n):04}")],
            by=user,
        ),
        allowed=STAFF,
        refusal=PermissionDenied,
    )
    assert Record.objects.count() == 4  # staff, library admin, consortium admin, SYSTEM
