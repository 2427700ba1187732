"""Barcodes as the desk compares them: NFKC, no white space, upper case (core.normalise)."""

import logging
import unicodedata

from django.db import migrations

log = logging.getLogger(__name__)


def _barcode(value: str) -> str:
    # A copy of core.normalise.barcode as it stood: a migration must not change later.
    text = unicodedata.normalize("NFKC", value)
    text = "".join(ch for ch in text if unicodedata.category(ch) not in {"Cf", "Cc"})
    return "".join(text.split()).upper()


def forwards(apps, schema_editor):
    Item = apps.get_model("catalog", "Item")
    taken = set(Item.objects.values_list("library_id", "barcode"))
    changed = []
    for item in Item.objects.only("id", "library_id", "barcode").iterator(chunk_size=5000):
        barcode = _barcode(item.barcode)
        if barcode == item.barcode:
            continue
        if (item.library_id, barcode) in taken:
            log.warning("barcode %r kept: %r is another copy's", item.barcode, barcode)
            continue
        taken.add((item.library_id, barcode))
        item.barcode = barcode
        changed.append(item)
    Item.objects.bulk_update(changed, ["barcode"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0002_search_index")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
