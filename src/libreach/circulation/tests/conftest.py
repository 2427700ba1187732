"""Circulation fixtures: PKU open Monday to Saturday, BLCU every day, a few books."""

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings

from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item
from libreach.circulation.models import CirculationSettings, LoanPolicy
from libreach.consortium import services as consortium_services

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
DAY = [(dt.time(8), dt.time(22))]


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    """An aware moment on `day` in the libraries' time zone."""
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


# 2020-02-03 is a Monday; PKU is shut on Sundays.
MONDAY = dt.date(2020, 2, 3)


class Circ:
    def __init__(self, consortium):
        self.c = consortium
        self.lib, self.other_lib = consortium.lib, consortium.other_lib
        consortium_services.set_weekly_hours(library=self.lib, hours={d: DAY for d in range(6)})
        consortium_services.set_weekly_hours(
            library=self.other_lib, hours={d: DAY for d in range(7)}
        )
        self.policy = LoanPolicy.objects.create(
            library=self.lib,
            reader_type="",
            loan_days=14,
            max_renewals=1,
            renewal_days=14,
            max_open_loans=3,
            fine_per_day_fen=10,
            hold_days=7,
        )
        record = catalog_services.create_record(
            library=self.lib,
            title="鲁迅全集",
            items=[catalog_services.ItemInput(barcode=f"P{n:03}") for n in range(1, 6)],
        )
        self.items = list(Item.objects.filter(record=record).order_by("barcode"))
        self.item = self.items[0]
        self.reader = consortium.reader.reader
        self.other_reader = consortium.other_reader.reader

    def quarantine(self, library, hours: int) -> None:
        CirculationSettings.objects.update_or_create(
            library=library, defaults={"quarantine_hours": hours}
        )


@pytest.fixture
def circ(consortium) -> Circ:
    return Circ(consortium)
