"""Page cases of the circulation desk: quarantine, closures and bulk extension."""

import datetime as dt

from django.utils import timezone

from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import services
from libreach.circulation.models import CirculationSettings
from libreach.circulation.tests.permissions import with_closure
from libreach.testing.pages import DESK, DESK_POST, PageCase

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


EXTENSION = {
    "due_from": str(TODAY),
    "due_to": str(TODAY + dt.timedelta(days=60)),
    "new_due_date": str(TODAY + dt.timedelta(days=90)),
}

CASES = [
    PageCase("GET", "desk/<str:lib>/quarantine/", setup=with_quarantined, expect=DESK),
    PageCase(
        "POST",
        "desk/<str:lib>/quarantine/<str:barcode>/release/",
        setup=with_quarantined,
        expect=DESK_POST,
    ),
    PageCase("GET", "desk/<str:lib>/closures/", setup=with_closure, expect=DESK),
    PageCase(
        "POST",
        "desk/<str:lib>/closures/declare/",
        data={"start_date": str(TODAY), "end_date": str(TODAY + dt.timedelta(days=14))},
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
