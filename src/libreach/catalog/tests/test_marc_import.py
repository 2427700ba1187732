"""The MARC import service: what it writes, what it refuses, and re-imports."""

import pytest
from django.db import connection

from libreach.catalog import marc_reader, marc_writer
from libreach.catalog.callnumbers import shelving_key
from libreach.catalog.marc_import import import_marc
from libreach.catalog.marc_reader import generated_barcode
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.catalog.tests.test_marc import CNMARC, LOC_CHINESE, iso2709
from libreach.core.errors import BadRequest

pytestmark = pytest.mark.django_db


def counts(library):
    return (
        Record.objects.filter(library=library).count(),
        Item.objects.filter(library=library).count(),
    )


def write(tmp_path, name, *records: bytes):
    path = tmp_path / name
    path.write_bytes(b"".join(records))
    return path


# --- real files ----------------------------------------------------------------------


def test_marc21_file_imports_every_record_with_one_generated_item(library, marc_samples):
    result = import_marc(library=library, path=marc_samples / "marc.dat")
    assert (result.read, result.imported, result.updated, result.skipped) == (20, 20, 0, 0)
    assert result.items_created == 20
    assert counts(library) == (20, 20)

    record = Record.objects.get(library=library, control_number="11778504")
    assert record.title == "The pragmatic programmer : from journeyman to master"
    assert record.authors == ["Hunt, Andrew", "Thomas, David"]
    assert record.isbn == "9780201616224"
    assert record.call_number == "QA76.6 .H857 2000"
    assert (record.classification, record.marc_format) == ("lc", "marc21")
    assert (record.publisher, record.year, record.language) == ("Addison-Wesley", "2000", "eng")
    # Search columns, computed as catalog.services computes them.
    assert record.author_text == "Hunt, Andrew; Thomas, David"
    assert record.isbns == "9780201616224 020161622X"
    assert record.call_numbers == "QA76.6 .H857 2000"
    # The raw record is kept, byte for byte.
    assert bytes(record.marc) == (marc_samples / "marc.dat").read_bytes()[:1060]

    (item,) = record.items.all()
    assert item.barcode == "PKU-11778504"
    assert item.status == ItemStatus.AVAILABLE
    assert item.call_number == ""  # the record's call number applies
    assert item.shelving_key == shelving_key("QA76.6 .H857 2000")


def test_unimarc_file_imports(library, marc_samples):
    result = import_marc(library=library, path=marc_samples / "testunimarc.dat")
    assert (result.read, result.imported, result.skipped) == (1, 1, 0)
    record = Record.objects.get(library=library)
    assert record.marc_format == "unimarc"
    assert record.title == "L'altra faccia della spirale"
    assert record.authors[0] == "Asimov, Isaac"
    assert record.isbn == "9788804406822"
    assert record.control_number == "IT\\ICCU\\ANA\\0019370"
    # A control number that is not a plain code gets a digest barcode.
    assert record.items.get().barcode.startswith("PKU-H")


def test_bad_records_are_reported_and_nothing_is_half_written(library, marc_samples):
    problems = []
    result = import_marc(
        library=library, path=marc_samples / "bad_records.mrc", on_problem=problems.append
    )
    assert result.read == 9
    assert [(p.record, p.offset) for p in problems] == [
        (2, 127),
        (3, 254),
        (4, 381),
        (5, 509),
        (6, 637),
        (7, 764),
        (9, 917),
    ]
    assert all(p.skipped for p in problems)
    assert "record 2 (byte 127): skipped: BaseAddressInvalid" in str(problems[0])
    # Records 1 and 8 are the same record (no 001, no ISBN: same description), so the
    # second updates the first.
    assert (result.imported, result.updated, result.skipped) == (1, 1, 7)
    assert counts(library) == (1, 1)
    assert result.problems == problems


def test_invalid_utf8_record_is_imported_with_a_warning(library, marc_samples):
    problems = []
    result = import_marc(
        library=library, path=marc_samples / "utf8_invalid.mrc", on_problem=problems.append
    )
    assert (result.imported, result.skipped, result.warnings) == (1, 0, 1)
    assert not problems[0].skipped and "subfield code" in problems[0].reason


def test_marcxml_imports(library, marc_samples):
    result = import_marc(library=library, path=marc_samples / "batch.xml")
    assert (result.read, result.imported) == (2, 2)
    record = Record.objects.get(library=library, control_number="5637241")
    assert record.title == "The Great Ray Charles"
    assert record.control_source == "DLC"
    assert bytes(record.marc).endswith(b"\x1d")
    assert record.items.get().barcode == "PKU-DLC-5637241"


def test_forced_format(library, marc_samples):
    result = import_marc(library=library, path=marc_samples / "testunimarc.dat", format="marc21")
    assert (result.imported, result.skipped) == (0, 1)
    assert result.problems[0].reason == "no title (245 $a)"
    result = import_marc(library=library, path=marc_samples / "testunimarc.dat", format="unimarc")
    assert result.imported == 1
    with pytest.raises(BadRequest):
        import_marc(library=library, path=marc_samples / "marc.dat", format="cnmarc")


# --- re-import -----------------------------------------------------------------------


def test_reimport_updates_and_never_duplicates(library, marc_samples, tmp_path):
    first = import_marc(library=library, path=marc_samples / "marc.dat")
    assert first.imported == 20
    record = Record.objects.get(library=library, control_number="12515882")
    barcodes = set(Item.objects.filter(library=library).values_list("barcode", flat=True))
    item = record.items.get()
    item.status = ItemStatus.ON_LOAN
    item.save()

    changed = tmp_path / "marc-changed.dat"
    data = (marc_samples / "marc.dat").read_bytes()
    assert data.count(b"Programming Python") == 1
    changed.write_bytes(data.replace(b"Programming Python", b"Programming Pythom"))
    again = import_marc(library=library, path=changed)

    assert (again.read, again.imported, again.updated, again.skipped) == (20, 0, 20, 0)
    assert (again.items_created, again.items_updated) == (0, 20)
    assert counts(library) == (20, 20)
    updated = Record.objects.get(pk=record.pk)
    assert updated.title == "Programming Pythom"
    assert b"Programming Pythom" in bytes(updated.marc)
    # Generated barcodes are stable; an import never changes an item's status.
    assert set(Item.objects.filter(library=library).values_list("barcode", flat=True)) == barcodes
    assert updated.items.get().status == ItemStatus.ON_LOAN


def test_same_record_in_two_libraries_is_two_records(library, other_library, marc_samples):
    import_marc(library=library, path=marc_samples / "marc.dat")
    result = import_marc(library=other_library, path=marc_samples / "marc.dat")
    assert result.imported == 20
    assert counts(library) == counts(other_library) == (20, 20)
    assert Item.objects.filter(library=other_library, barcode="BLCU-11778504").exists()


def test_isbn_is_the_key_without_001(library, tmp_path):
    def record(title):
        return iso2709([("020", "  ", [("a", "7-02-000220-X")]), ("245", "10", [("a", title)])])

    import_marc(library=library, path=write(tmp_path, "a.mrc", record("Old title")))
    result = import_marc(library=library, path=write(tmp_path, "b.mrc", record("New title")))
    assert (result.imported, result.updated) == (0, 1)
    record_ = Record.objects.get(library=library)
    assert (record_.title, record_.isbn) == ("New title", "9787020002207")
    assert record_.items.get().barcode == "PKU-9787020002207"


def test_001_with_003_is_the_key(library, tmp_path):
    def record(source, title):
        return iso2709([("001", "42"), ("003", source), ("245", "10", [("a", title)])])

    result = import_marc(
        library=library,
        path=write(tmp_path, "a.mrc", record("DLC", "One"), record("OCoLC", "Two")),
    )
    assert (result.imported, result.updated) == (2, 0)
    result = import_marc(library=library, path=write(tmp_path, "b.mrc", record("DLC", "One!")))
    assert (result.imported, result.updated) == (0, 1)
    assert sorted(Record.objects.values_list("title", flat=True)) == ["One!", "Two"]


# --- holdings ------------------------------------------------------------------------


def test_cnmarc_905_holdings_become_items(library, tmp_path):
    path = write(tmp_path, "cn.mrc", iso2709(CNMARC, leader="     nam0 22     3  450 "))
    result = import_marc(library=library, path=path)
    assert (result.imported, result.items_created) == (1, 2)
    record = Record.objects.get(library=library)
    assert (record.title, record.call_number, record.classification) == (
        "红楼梦 : 校注本. 上, 前八十回",
        "I242.4/45",
        "clc",
    )
    items = {i.barcode: i for i in record.items.all()}
    assert set(items) == {"30012345", "30012346"}
    assert (items["30012345"].location, items["30012345"].volume) == ("中文图书库", "上册")
    assert items["30012346"].call_number == "I242.4/45"
    assert items["30012346"].shelving_key == shelving_key("I242.4/45")
    assert record.call_numbers == "I242.4/45"


def test_852_holdings_become_items_and_are_updated_by_barcode(library, tmp_path):
    def record(location):
        return iso2709(
            [
                ("001", "h1"),
                ("245", "10", [("a", "Held")]),
                ("852", "  ", [("b", location), ("h", "QA76"), ("i", ".H4"), ("p", "B-1")]),
                ("852", "  ", [("b", location), ("p", "B-2"), ("t", "v.2")]),
            ]
        )

    import_marc(library=library, path=write(tmp_path, "a.mrc", record("Stacks")))
    result = import_marc(library=library, path=write(tmp_path, "b.mrc", record("Annex")))
    assert (result.updated, result.items_created, result.items_updated) == (1, 0, 2)
    items = {i.barcode: i for i in Item.objects.filter(library=library)}
    assert set(items) == {"B-1", "B-2"}
    assert items["B-1"].location == "Annex"
    assert items["B-1"].call_number == "QA76 .H4"
    assert items["B-2"].volume == "v.2"
    assert Record.objects.get(library=library).call_numbers == "QA76 .H4"


def test_a_barcode_of_another_record_is_refused_and_the_record_is_not_written(library, tmp_path):
    def record(number, barcode):
        return iso2709(
            [("001", number), ("245", "10", [("a", number)]), ("852", "  ", [("p", barcode)])]
        )

    path = write(tmp_path, "a.mrc", record("r1", "B-1"), record("r2", "B-1"), record("r3", "B-3"))
    result = import_marc(library=library, path=path)
    assert (result.imported, result.skipped) == (2, 1)
    assert result.problems[0].record == 2
    assert result.problems[0].reason == "barcode B-1 belongs to another record"
    assert counts(library) == (2, 2)
    # Also against the database, on a later import.
    result = import_marc(library=library, path=write(tmp_path, "b.mrc", record("r4", "B-3")))
    assert (result.imported, result.skipped) == (0, 1)
    assert counts(library) == (2, 2)


def test_a_record_repeating_a_barcode_is_refused(library, tmp_path):
    record = iso2709(
        [
            ("001", "d1"),
            ("245", "10", [("a", "Twice")]),
            ("852", "  ", [("p", "B-1")]),
            ("852", "  ", [("p", "B-1")]),
        ]
    )
    result = import_marc(library=library, path=write(tmp_path, "a.mrc", record))
    assert result.skipped == 1 and "appears twice" in result.problems[0].reason
    assert counts(library) == (0, 0)


def test_generated_barcodes():
    assert generated_barcode("PKU", ("cn", "DLC", "00000002")) == "PKU-DLC-00000002"
    assert generated_barcode("PKU", ("cn", "", "12")) == "PKU-12"
    assert generated_barcode("PKU", ("isbn", "9787020002207")) == "PKU-9787020002207"
    odd = generated_barcode("PKU", ("cn", "", "IT\\ICCU 1"))
    assert odd.startswith("PKU-H") and odd == generated_barcode("PKU", ("cn", "", "IT\\ICCU 1"))
    assert odd != generated_barcode("PKU", ("cn", "", "IT\\ICCU 2"))


# --- vernacular (880) ----------------------------------------------------------------


def test_loc_chinese_record_shows_the_vernacular_and_searches_both(library, tmp_path):
    result = import_marc(library=library, path=write(tmp_path, "c.mrc", iso2709(LOC_CHINESE)))
    assert result.imported == 1
    record = Record.objects.get(library=library)
    assert record.title == "紅楼圆明隐秘 : 兼考论曹雪芹故居、竺香玉故居"
    assert record.authors == ["霍国玲", "紫军"]
    assert record.author_text.startswith("霍国玲; 紫军; ")
    assert "Hong lou Yuan ming yin mi" in record.author_text
    assert "Huo, Guoling" in record.author_text
    assert "红楼" in record.author_text  # 《红楼解梦》, the 246's vernacular form
    assert record.items.get().barcode == "PKU-DLC-00290655"


# --- transactions and the reader process -----------------------------------------------


def test_a_failing_batch_is_written_record_by_record(library, marc_samples, tmp_path, monkeypatch):
    """One record the database refuses (here: a parallel import took its key after the
    lookup) costs that record only, and leaves nothing of it behind."""
    import_marc(library=library, path=marc_samples / "one.dat")  # test.dat's first record
    taken = Record.objects.get(library=library)
    real_records = marc_writer._Writer.existing_records
    real_items = marc_writer._Writer.item_owners

    def records_without_taken(self, batch):
        return {k: v for k, v in real_records(self, batch).items() if v != taken.pk}

    def items_without_taken(self, barcodes):
        return {k: v for k, v in real_items(self, barcodes).items() if v[1] != taken.pk}

    monkeypatch.setattr(marc_writer._Writer, "existing_records", records_without_taken)
    monkeypatch.setattr(marc_writer._Writer, "item_owners", items_without_taken)
    path = write(
        tmp_path,
        "combined.dat",
        (marc_samples / "marc.dat").read_bytes(),
        (marc_samples / "test.dat").read_bytes(),
    )
    result = import_marc(library=library, path=path, batch_size=1000)
    assert (result.read, result.imported, result.updated, result.skipped) == (30, 29, 0, 1)
    (problem,) = result.problems
    assert problem.record == 21 and "database refused" in problem.reason
    assert counts(library) == (30, 30)
    assert Record.objects.get(pk=taken.pk).title == taken.title


def test_reading_in_a_child_process_gives_the_same_result(library, other_library, marc_samples):
    path = marc_samples / "bad_records.mrc"
    inline = import_marc(library=library, path=path, background=False)
    child = import_marc(library=other_library, path=path, background=True, batch_size=2)
    assert (child.read, child.imported, child.updated, child.skipped) == (
        inline.read,
        inline.imported,
        inline.updated,
        inline.skipped,
    )
    assert child.problems == inline.problems
    assert counts(library) == counts(other_library)


def test_progress_is_reported_by_bytes(library, marc_samples):
    seen = []
    import_marc(
        library=library,
        path=marc_samples / "marc.dat",
        batch_size=5,
        on_progress=lambda done, total: seen.append((done, total)),
    )
    size = (marc_samples / "marc.dat").stat().st_size
    assert seen[-1] == (size, size)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert len(seen) >= 4


def test_missing_file_raises_oserror(library, tmp_path):
    with pytest.raises(OSError):
        import_marc(library=library, path=tmp_path / "nope.mrc")


def test_sqlite_connection_settings_are_restored(library, marc_samples):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite connection settings")

    def pragmas():
        with connection.cursor() as cursor:
            return [
                cursor.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("cache_size", "wal_autocheckpoint")
            ]

    before = pragmas()
    import_marc(library=library, path=marc_samples / "marc.dat")
    assert pragmas() == before


def test_a_failure_in_the_reader_process_reaches_the_caller(library, marc_samples, monkeypatch):
    def broken(parsed, library_code):
        raise RuntimeError("reader broke")

    monkeypatch.setattr(marc_reader, "_prepare", broken)  # inherited by the forked child
    with pytest.raises(RuntimeError, match="reader broke"):
        import_marc(library=library, path=marc_samples / "marc.dat", background=True)
    assert counts(library) == (0, 0)


def test_items_belong_to_their_records_across_statements(library, marc_samples, monkeypatch):
    # Two rows per INSERT statement (on SQLite; PostgreSQL sends one array per column).
    monkeypatch.setattr(marc_writer, "_params_limit", lambda: 40)
    import_marc(library=library, path=marc_samples / "marc.dat")
    for record in Record.objects.filter(library=library):
        assert [i.barcode for i in record.items.all()] == [f"PKU-{record.control_number}"]


def test_items_missing_from_a_reimport_are_kept_and_stay_searchable(library, tmp_path):
    def record(*holdings):
        return iso2709(
            [("001", "k1"), ("245", "10", [("a", "Kept")])]
            + [("852", "  ", [("h", number), ("p", barcode)]) for barcode, number in holdings]
        )

    import_marc(library=library, path=write(tmp_path, "a.mrc", record(("B-1", "QA1"))))
    result = import_marc(library=library, path=write(tmp_path, "b.mrc", record(("B-2", "QA2"))))
    assert (result.updated, result.items_created) == (1, 1)
    record_ = Record.objects.get(library=library)
    assert sorted(record_.items.values_list("barcode", flat=True)) == ["B-1", "B-2"]
    assert record_.call_numbers.split() == ["QA2", "QA1"]


@pytest.mark.parametrize(("threshold", "compacted"), [(20, True), (21, False)])
def test_a_large_import_compacts_the_search_index(
    library, marc_samples, monkeypatch, threshold, compacted
):
    from libreach.catalog import marc_import

    calls = []
    monkeypatch.setattr(marc_import, "OPTIMIZE_AFTER", threshold)
    monkeypatch.setattr(marc_import, "optimize_index", lambda: calls.append(True))
    result = import_marc(library=library, path=marc_samples / "marc.dat")
    assert result.imported == 20
    assert bool(calls) is compacted
