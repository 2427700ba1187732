"""Page cases of circulation: the reader's loans, renewal and history; the desk's
quarantine, closures and bulk extension."""

import datetime as dt

from django.utils import timezone

from libreach.catalog.models import Item
from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import closures, services
from libreach.circulation.models import CirculationSettings
from libreach.circulation.tests.permissions import with_closure, with_loan
from libreach.testing.pages import DESK, DESK_POST, LOGIN, SIGNED_IN, PageCase

TODAY = timezone.localdate()


def with_quarantined(consortium) -> dict:
    CirculationSettings.objects.create(library=consortium.lib, quarantine_hours=72)
    record = create_record(
        library=consortium.lib, title="红楼梦", items=[ItemInput(barcode="P0001")]
    )
    item = record.items.get()
    services.checkout(item=item, reader=consortium.reader.reader)
    services.checkin(item=item, at_library=consortium.lib)
    return {"lib": consortium.lib.code, "barcode": item.barcode}


def with_quarantine_over(consortium) -> dict:
    """A quarantined copy whose time is up: the scan box puts it back on the shelf."""
    values = with_quarantined(consortium)
    Item.objects.filter(barcode=values["barcode"]).update(
        quarantine_until=timezone.now() - dt.timedelta(minutes=1)
    )
    return values


CLOSURE = {"start_date": str(TODAY), "end_date": str(TODAY + dt.timedelta(days=14))}
EXTENSION = {
    "due_from": str(TODAY),
    "due_to": str(TODAY + dt.timedelta(days=60)),
    "new_due_date": str(TODAY + dt.timedelta(days=90)),
}

# The reader's own loan: theirs alone; to anyone else, staff included, it is not there
# here (the desk and the API have their own ways to a loan).
OWN_LOAN_POST = {
    "anonymous": LOGIN,
    "reader": 302,
    "other_reader": 404,
    "staff": 404,
    "other_staff": 404,
    "volunteer": 404,
    "library_admin": 404,
    "consortium_admin": 404,
}
SIGNED_IN_POST = {**dict.fromkeys(SIGNED_IN, 302), "anonymous": LOGIN}


def with_history(consortium) -> dict:
    """An open loan and a returned one, both the reader's."""
    values = with_loan(consortium)
    record = create_record(library=consortium.lib, title="呐喊", items=[ItemInput(barcode="P0002")])
    item = record.items.get()
    services.checkout(item=item, reader=consortium.reader.reader)
    services.checkin(item=item, at_library=consortium.lib)
    return values


CASES = [
    # --- reader pages: each caller sees their own loans (none without a card) ---
    PageCase("GET", "loans/", setup=with_history, expect=SIGNED_IN),
    PageCase("GET", "loans/history/", setup=with_history, expect=SIGNED_IN),
    PageCase("POST", "loans/<int:loan_id>/renew/", setup=with_loan, expect=OWN_LOAN_POST),
    # Renews the caller's own loans, so no one else's: the others have none to renew.
    PageCase(
        "POST",
        "loans/renew-all/",
        setup=with_loan,
        expect=SIGNED_IN_POST,
        refused=frozenset(set(SIGNED_IN) - {"anonymous", "reader"}),
    ),
    # --- desk pages ---
    PageCase("GET", "desk/<str:lib>/quarantine/", setup=with_quarantined, expect=DESK),
    PageCase(
        "POST",
        "desk/<str:lib>/quarantine/<str:barcode>/release/",
        setup=with_quarantined,
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/quarantine/scan/",
        setup=with_quarantine_over,
        data=lambda v: {"scan": v["barcode"]},
        expect=DESK_POST,
    ),
    PageCase("GET", "desk/<str:lib>/closures/", setup=with_closure, expect=DESK),
    PageCase(
        "POST",
        "desk/<str:lib>/closures/declare/",
        name="POST /desk/<lib>/closures/declare/ (preview)",
        data=CLOSURE,
        expect=DESK,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/closures/declare/",
        # Applies what its preview showed: no loan moves (nobody has one due then).
        data={
            **CLOSURE,
            "action": "apply",
            "previewed": closures.changes_digest(TODAY, TODAY + dt.timedelta(days=14), ()),
        },
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/closures/<int:closure_id>/lift/",
        setup=with_closure,
        expect=DESK_POST,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/loans/extend/",
        name="POST /desk/<lib>/loans/extend/ (preview)",
        data=EXTENSION,
        expect=DESK,
    ),
    PageCase(
        "POST",
        "desk/<str:lib>/loans/extend/",
        data={**EXTENSION, "action": "apply"},
        expect=DESK_POST,
    ),
]
