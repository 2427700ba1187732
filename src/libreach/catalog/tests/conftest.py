"""Catalogue test fixtures: real MARC files (pymarc's samples)."""

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
GET_MARC_DATA = REPO / "scripts" / "get-marc-data.sh"


def _missing(reason: str) -> None:
    # A test that needs a missing tool or file fails in CI and is skipped elsewhere.
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def library(db):
    """A library of its own (PKU), for tests that need no consortium."""
    from libreach.consortium.services import create_library

    return create_library(code="PKU", name="北京大学图书馆")


@pytest.fixture
def other_library(db):
    from libreach.consortium.services import create_library

    return create_library(code="BLCU", name="北京语言大学图书馆")


@pytest.fixture(scope="session")
def marc_samples() -> Path:
    """The directory of pymarc's sample files (marc.dat, testunimarc.dat, batch.xml, ...).

    From $LIBREACH_MARC_DIR, else <repo>/.cache/marc; fetched there by
    scripts/get-marc-data.sh when missing.
    """
    base = Path(os.environ.get("LIBREACH_MARC_DIR") or REPO / ".cache" / "marc")
    samples = base / "test"
    if not (samples / "marc.dat").is_file():
        if not GET_MARC_DATA.is_file():
            _missing(f"no MARC samples in {base} and no {GET_MARC_DATA} to fetch them")
        try:
            fetched = subprocess.run(
                ["bash", str(GET_MARC_DATA), str(base)],
                capture_output=True,
                text=True,
                timeout=900,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            _missing(f"could not fetch the MARC samples: {exc}")
        if fetched.returncode != 0 or not (samples / "marc.dat").is_file():
            _missing(f"could not fetch the MARC samples: {fetched.stderr.strip()[-500:]}")
    return samples


def hongloumeng_at(library):
    """红楼梦 with three copies, the third (I242.4/1:2, 密集书库) on loan: the pages' test book."""
    from libreach.catalog.models import Item, ItemStatus
    from libreach.catalog.services import ItemInput, create_record

    record = create_record(
        library=library,
        title="红楼梦",
        authors=["曹雪芹", "高鹗"],
        isbn="9787020002207",
        publisher="人民文学出版社",
        year=1996,
        call_number="I242.4/1",
        items=[
            ItemInput(barcode="PKU0001", location="总馆三层文学书库", volume="上"),
            ItemInput(barcode="PKU0002", location="总馆三层文学书库", volume="下"),
            ItemInput(barcode="PKU0003", location="密集书库", call_number="I242.4/1:2"),
        ],
    )
    Item.objects.filter(barcode="PKU0003").update(status=ItemStatus.ON_LOAN)
    return record


def research_on_loan_at(library, title: str = "红楼梦研究"):
    """俞平伯's study of 红楼梦, its one copy (BLCU0001, 中文书库) on loan: a second hit."""
    from libreach.catalog.models import Item, ItemStatus
    from libreach.catalog.services import ItemInput, create_record

    record = create_record(
        library=library,
        title=title,
        authors=["俞平伯"],
        call_number="I207.411/5",
        items=[ItemInput(barcode="BLCU0001", location="中文书库")],
    )
    Item.objects.filter(barcode="BLCU0001").update(status=ItemStatus.ON_LOAN)
    return record
