"""Contactless fixtures: PKU open every day 8–22 with 30-minute pickup slots of 10 seats,
a shelf of books with one, two and three copies."""

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings

from libreach.catalog import services as catalog_services
from libreach.catalog.models import Item, Record
from libreach.consortium import services as consortium_services
from libreach.consortium.models import ServicePoint

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
DAY = [(dt.time(8), dt.time(22))]

BOOKS = [
    # title, call number, location, copies
    ("红楼梦", "I242.4/1", "中文书库", 3),
    ("呐喊", "I210.4/2", "中文书库", 1),
    ("数据结构", "TP311.12/7", "自然科学书库", 2),
    ("时间简史", "P159/5", "自然科学书库", 1),
    ("论语译注", "B222.2/3", "中文书库", 2),
]


def at(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


class Shelf:
    """The consortium's PKU with hours, a pickup point and books to request."""

    def __init__(self, consortium):
        self.c = consortium
        self.lib = consortium.lib
        for library in (consortium.lib, consortium.other_lib):
            consortium_services.set_weekly_hours(library=library, hours={d: DAY for d in range(7)})
        self.point = ServicePoint.objects.get(library=self.lib, code="MAIN")
        self.point.slot_minutes, self.point.slot_capacity = 30, 10
        self.point.save()
        self.records: dict[str, Record] = {}
        for n, (title, call_number, location, copies) in enumerate(BOOKS, start=1):
            self.records[title] = catalog_services.create_record(
                library=self.lib,
                title=title,
                authors=["作者"],
                call_number=call_number,
                items=[
                    catalog_services.ItemInput(
                        barcode=f"PKU{n:02}{copy}", location=location, call_number=call_number
                    )
                    for copy in range(1, copies + 1)
                ],
            )
        self.reader = consortium.reader
        self.other_reader = consortium.other_reader
        self.staff = consortium.staff

    def record(self, title: str) -> Record:
        return self.records[title]

    def copies(self, title: str) -> list[Item]:
        return list(Item.objects.filter(record=self.records[title]).order_by("barcode"))


@pytest.fixture
def shelf(consortium) -> Shelf:
    return Shelf(consortium)
