"""KBART title lists read without a database: identifiers, dates, embargoes, bad rows."""

import datetime as dt

import pytest

from libreach.eresources.kbart import (
    KBART_FIELDS,
    Embargo,
    KbartDate,
    KbartFormatError,
    covers,
    parse_date,
    parse_embargo,
    parse_kbart,
    read_kbart,
)

TODAY = dt.date(2026, 12, 2)  # tests never read the clock


def row(**values: str) -> str:
    return "\t".join(values.get(name, "") for name in KBART_FIELDS)


HEADER = "\t".join(KBART_FIELDS)
ROWS = [
    # line 2: a journal from 1869 to the present, the newest 6 months embargoed
    row(
        publication_title="Nature",
        print_identifier="0028-0836",
        online_identifier="1476-4687",
        date_first_issue_online="1869-11-04",
        num_first_vol_online="1",
        num_first_issue_online="1",
        title_url="https://www.nature.com/nature/",
        title_id="nature",
        embargo_info="P6M",
        coverage_depth="fulltext",
        publisher_name="Springer Nature",
        publication_type="serial",
        access_type="P",
    ),
    # line 3: a Chinese journal, closed range 2010-03 .. 2019
    row(
        publication_title="中国科学：生命科学",
        print_identifier="1674-7348",
        date_first_issue_online="2010-03",
        date_last_issue_online="2019",
        coverage_depth="Fulltext",
        publisher_name="科学出版社",
        publication_type="serial",
    ),
    # line 4: an e-book with an ISBN-10 print and ISBN-13 online identifier
    row(
        publication_title="Quantum Chemistry",
        print_identifier="0-306-40615-2",
        online_identifier="9780306406157",
        first_author="Levine",
        publication_type="monograph",
        date_monograph_published_print="2013",
        date_monograph_published_online="2014-01-15",
        monograph_edition="7",
        access_type="P",
    ),
    # line 5: a bad ISSN check digit
    row(publication_title="Broken Journal", print_identifier="0028-0837"),
    "",  # a blank line is skipped but still counted
    # line 7: a bad date and a bad embargo in one row, both reported
    row(
        publication_title="Bad Dates",
        date_first_issue_online="2019-13",
        embargo_info="6 months",
    ),
    # line 8: free, only the newest 2 years readable
    row(
        publication_title="Science",
        print_identifier="0036-8075",
        online_identifier="1095-9203",
        embargo_info="R2Y",
        access_type="F",
    ),
]
TEXT = HEADER + "\n" + "\n".join(ROWS) + "\n"


@pytest.fixture(scope="module")
def parsed():
    return parse_kbart(TEXT)


def test_the_25_standard_fields():
    assert len(KBART_FIELDS) == 25
    assert KBART_FIELDS[0] == "publication_title"
    assert KBART_FIELDS[14] == "notes"
    assert KBART_FIELDS[-1] == "access_type"


def test_good_rows_become_entries_and_bad_rows_errors_with_line_numbers(parsed):
    assert [e.line for e in parsed.entries] == [2, 3, 4, 8]
    assert {(e.line, e.field) for e in parsed.errors} == {
        (5, "print_identifier"),
        (7, "date_first_issue_online"),
        (7, "embargo_info"),
    }
    assert parsed.missing_columns == ()
    assert parsed.extra_columns == ()


def test_identifiers_are_checked_and_formatted(parsed):
    nature, chinese, book, science = parsed.entries
    assert nature.identifiers == ("0028-0836", "1476-4687")
    assert chinese.online_identifier == ""
    assert book.is_monograph
    assert book.identifiers == ("978-0-306-40615-7", "978-0-306-40615-7")
    assert science.access_type == "F"


def test_dates_and_embargo(parsed):
    nature, chinese, book, _ = parsed.entries
    assert nature.date_first_issue_online == KbartDate(1869, 11, 4)
    assert nature.date_last_issue_online is None
    assert nature.embargo == (Embargo("P", 6, "M"),)
    assert chinese.date_first_issue_online == KbartDate(2010, 3)
    assert chinese.date_last_issue_online.last_day() == dt.date(2019, 12, 31)
    assert chinese.coverage_depth == "fulltext"
    assert book.date_monograph_published_online == KbartDate(2014, 1, 15)


def test_parse_date_forms():
    assert parse_date("") is None
    assert parse_date("2001") == KbartDate(2001)
    assert str(parse_date("2001-02")) == "2001-02"
    assert parse_date("2000-02-29").last_day() == dt.date(2000, 2, 29)
    assert parse_date("2001-02").last_day() == dt.date(2001, 2, 28)
    for bad in ("2001-02-30", "01/02/2001", "20010203", "2001-2"):
        with pytest.raises(ValueError):
            parse_date(bad)


def test_parse_embargo_forms():
    assert parse_embargo("") == ()
    assert parse_embargo("r1y") == (Embargo("R", 1, "Y"),)
    assert parse_embargo("P1Y;R10Y") == (Embargo("P", 1, "Y"), Embargo("R", 10, "Y"))
    for bad in ("P1Y;P2Y", "1Y", "P1W", "P-1Y"):
        with pytest.raises(ValueError):
            parse_embargo(bad)


def test_covers_journal_years(parsed):
    nature, chinese, book, science = parsed.entries
    assert covers(nature, 1869, today=TODAY)
    assert not covers(nature, 1868, today=TODAY)
    assert covers(nature, 2026, today=TODAY)  # January-June 2026 is past the moving wall
    assert not covers(nature, 2026, today=dt.date(2026, 5, 1))  # the wall is in 2025
    assert covers(chinese, 2010, today=TODAY) and covers(chinese, 2019, today=TODAY)
    assert not covers(chinese, 2009, today=TODAY) and not covers(chinese, 2020, today=TODAY)
    assert covers(science, 2025, today=TODAY) and covers(science, 2024, today=TODAY)
    assert not covers(science, 2023, today=TODAY)  # only the newest two years
    assert not covers(nature, 2027, today=TODAY)  # not yet published


def test_covers_an_ebook_by_its_publication_years(parsed):
    book = parsed.entries[2]
    assert covers(book, 2013, today=TODAY) and covers(book, 2014, today=TODAY)
    assert not covers(book, 2015, today=TODAY)


def test_bom_crlf_extra_columns_and_short_rows(tmp_path):
    header = HEADER + "\tlocal_subject\n"
    line = row(publication_title="Cell", online_identifier="1097-4172") + "\t生命科学\r\n"
    short = "Short Row\t\t0092-8674\r\n"  # trailing empty fields cut off
    path = tmp_path / "package.txt"
    path.write_bytes(("\ufeff" + header.replace("\n", "\r\n") + line + short).encode("utf-8"))
    parsed = read_kbart(path)
    assert parsed.errors == ()
    cell, shortrow = parsed.entries
    assert cell.extra == {"local_subject": "生命科学"}
    assert cell.online_identifier == "1097-4172"
    assert shortrow.online_identifier == "0092-8674" and shortrow.line == 3
    assert parse_kbart(path.read_bytes()).entries == parsed.entries


def test_too_many_fields_and_missing_columns_are_reported():
    text = "publication_title\tprint_identifier\nA\t0028-0836\nB\t0028-0836\tsurplus\n"
    parsed = parse_kbart(text)
    assert [e.line for e in parsed.entries] == [2]
    assert [e.line for e in parsed.errors] == [3]
    assert "online_identifier" in parsed.missing_columns


def test_a_file_without_the_title_column_is_refused():
    with pytest.raises(KbartFormatError):
        parse_kbart("title\tissn\nA\t0028-0836\n")
    with pytest.raises(KbartFormatError):
        parse_kbart("")
