"""Refusals name libraries and times in the language they are read in (core.words' lazy
forms), not the library's code or an ISO-like stamp fixed when raised."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import services as circulation
from libreach.consortium.models import Closure
from libreach.contactless import slots
from libreach.core.errors import RuleViolation


def _read(error) -> dict[str, str]:
    out = {}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            out[language] = error.detail
    return out


@pytest.mark.django_db
def test_counter_closed_names_the_library_in_the_readers_language(consortium):
    today = timezone.localdate()
    Closure.objects.create(library=consortium.lib, start_date=today, end_date=today)
    record = create_record(library=consortium.lib, title="红楼梦", items=[ItemInput(barcode="P1")])
    with pytest.raises(RuleViolation) as refused:
        circulation.checkout(item=record.items.get(), reader=consortium.reader.reader)
    assert refused.value.code == "counter_closed"
    detail = _read(refused.value)
    assert detail["en"].startswith("Peking University Library is closed")
    assert detail["zh-hans"].startswith("北京大学图书馆")


@pytest.mark.django_db
def test_a_time_that_is_no_slot_is_written_in_the_readers_language(consortium):
    point = consortium.lib.service_points.get(code="MAIN")
    at = timezone.now()
    start = timezone.localtime(at).replace(minute=7, second=0, microsecond=0) + dt.timedelta(days=1)
    with pytest.raises(RuleViolation) as refused:
        slots._valid_start(point, start, at)
    assert refused.value.code == "invalid_slot"
    detail = _read(refused.value)
    assert f"{start.day} {start:%b} {start.year} {start:%H}:07" in detail["en"]
    assert f"{start.year}年{start.month}月{start.day}日 {start:%H}:07" in detail["zh-hans"]
