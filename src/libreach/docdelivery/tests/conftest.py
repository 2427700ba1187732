"""Document delivery fixtures: the consortium's PKU (the readers' library) and BLCU, plus
three more members as lenders, each open Monday to Friday 8–17 with staff of its own."""

import datetime as dt
import zoneinfo

import pytest
from django.conf import settings

from libreach.accounts import services as account_services
from libreach.accounts.models import StaffRole
from libreach.consortium import services as consortium_services
from libreach.testing.fixtures import PASSWORD

TZ = zoneinfo.ZoneInfo(settings.TIME_ZONE)
WEEKDAYS = {d: [(dt.time(8), dt.time(17))] for d in range(5)}
# A Tuesday morning, well inside every library's week.
MONDAY = dt.date(2026, 3, 2)
TUESDAY_10 = dt.datetime(2026, 3, 3, 10, 0, tzinfo=TZ)

# The smallest file every PDF reader opens: header, one empty page, trailer.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

ARTICLE = {
    "title": "Nature",
    "article_title": "A pneumonia outbreak associated with a new coronavirus of probable bat origin",
    "authors": "Zhou P, Yang XL, et al.",
    "issn": "0028-0836",
    "year": "2020",
    "volume": "579",
    "issue": "7798",
    "pages": "270-273",
    "doi": "10.1038/s41586-020-2012-7",
}


class Members:
    def __init__(self, consortium):
        self.c = consortium
        self.home = consortium.lib  # PKU: the readers' library
        self.lenders = []
        self.lender_staff = []
        for code, name in (("THU", "清华大学图书馆"), ("RUC", "中国人民大学图书馆"),
                           ("BNU", "北京师范大学图书馆")):  # fmt: skip
            library = consortium_services.create_library(code=code, name=name, name_en=code)
            self.lenders.append(library)
            self.lender_staff.append(
                account_services.create_staff(
                    library=library,
                    username=f"{code.lower()}-ill",
                    password=PASSWORD,
                    name=f"{code} 馆际互借",
                    role=StaffRole.CIRCULATION,
                ).user
            )
        for library in (self.home, consortium.other_lib, *self.lenders):
            consortium_services.set_weekly_hours(library=library, hours=WEEKDAYS)

    @property
    def codes(self) -> list[str]:
        return [library.code for library in self.lenders]


@pytest.fixture
def members(consortium) -> Members:
    return Members(consortium)


@pytest.fixture
def file_store(tmp_path, settings):
    settings.LIBREACH_HOME = tmp_path
    return tmp_path / "files" / "docdelivery"
