"""Reading MARC files: containers, format detection, decoding, field mapping (no database)."""

import io

import pymarc
import pytest

from libreach.catalog.marc import (
    Holding,
    MappingError,
    detect_format,
    map_record,
    read_marc,
    sniff_container,
)


def iso2709(fields, *, leader="     nam a22     3a 4500", encoding="utf-8") -> bytes:
    """One record in transmission format, written by hand so tests control every byte.

    `fields`: ("001", "data") for control fields, ("245", "10", [("a", "..."), ...]).
    """
    directory, data = b"", b""
    for tag, *rest in fields:
        if len(rest) == 1:
            body = rest[0].encode(encoding) + b"\x1e"
        else:
            indicators, subfields = rest
            body = indicators.encode() + b"".join(
                b"\x1f" + code.encode() + value.encode(encoding) for code, value in subfields
            )
            body += b"\x1e"
        directory += f"{tag}{len(body):04d}{len(data):05d}".encode()
        data += body
    base = 24 + len(directory) + 1
    total = base + len(data) + 1
    head = f"{total:05d}{leader[5:12]}{base:05d}{leader[17:24]}".encode()
    return head + directory + b"\x1e" + data + b"\x1d"


def read(data: bytes, **options):
    return list(read_marc(io.BytesIO(data), **options))


# A LoC record for a Chinese book, as in BooksAll.2016 (record 00290655): romanised
# 100/245/246/700 with their vernacular 880s.
LOC_CHINESE = [
    ("001", "   00290655 "),
    ("003", "DLC"),
    ("008", "000315s1997    cc ab    b    000 0 chi d"),
    ("020", "  ", [("a", "7800123537")]),
    ("050", "00", [("a", "PL2727.S2"), ("b", "H92 1997")]),
    ("100", "1 ", [("6", "880-01"), ("a", "Huo, Guoling.")]),
    (
        "245",
        "10",
        [
            ("6", "880-02"),
            ("a", "Hong lou Yuan ming yin mi :"),
            ("b", "jian kao lun Cao Xueqian gu ju, Zhu Xiangyu gu ju /"),
            ("c", "Huo Guoling, Zi Jun zhu."),
        ],
    ),
    ("246", "1 ", [("6", "880-03"), ("i", "At head of title:"), ("a", '"Hong lou jie meng"')]),
    ("250", "  ", [("6", "880-04"), ("a", "Di 1 ban.")]),
    ("260", "  ", [("6", "880-05"), ("a", "Beijing Shi :"), ("b", "Gong shang chu ban she,")]),
    ("700", "1 ", [("6", "880-09"), ("a", "Zi, Jun.")]),
    ("700", "1 ", [("6", "880-10"), ("a", "Huo, Guoling."), ("t", "Hong lou jie meng.")]),
    ("880", "1 ", [("6", "100-01/$1"), ("a", "霍国玲.")]),
    (
        "880",
        "10",
        [
            ("6", "245-02/$1"),
            ("a", "紅楼圆明隐秘 :"),
            ("b", "兼考论曹雪芹故居、竺香玉故居 /"),
            ("c", "霍国玲, 紫军著."),
        ],
    ),
    ("880", "1 ", [("6", "246-03/$1"), ("i", "At head of title:"), ("a", "《红楼解梦》 (编外集)")]),
    ("880", "  ", [("6", "250-04/$1"), ("a", "第1版.")]),
    ("880", "  ", [("6", "260-05/$1"), ("a", "北京市 :"), ("b", "工商出版社,"), ("c", "1997.")]),
    ("880", "1 ", [("6", "700-09/$1"), ("a", "紫军.")]),
    ("880", "1 ", [("6", "700-10/$1"), ("a", "霍国玲."), ("t", "紅楼解夢.")]),
]

# A CNMARC record as a Chinese library exports it, with two copies in 905.
CNMARC = [
    ("001", "012004002367"),
    ("010", "  ", [("a", "7-02-000220-X"), ("d", "CNY59.70")]),
    ("100", "  ", [("a", "20040223d2004    em y0chiy0120    ea")]),
    ("101", "0 ", [("a", "chi")]),
    (
        "200",
        "1 ",
        [("a", "红楼梦"), ("e", "校注本"), ("h", "上"), ("i", "前八十回"), ("f", "曹雪芹, 高鹗著")],
    ),
    ("205", "  ", [("a", "第3版")]),
    ("210", "  ", [("a", "北京"), ("c", "人民文学出版社"), ("d", "2008")]),
    ("215", "  ", [("a", "2册 (1606页)"), ("d", "21cm")]),
    ("690", "  ", [("a", "I242.4"), ("v", "4")]),
    ("701", " 0", [("a", "曹雪芹"), ("f", "约1715-约1763"), ("4", "著")]),
    ("702", " 0", [("a", "高鹗"), ("4", "续")]),
    (
        "905",
        "  ",
        [
            ("a", "PKU"),
            ("b", "30012345"),
            ("c", "中文图书库"),
            ("d", "I242.4"),
            ("e", "45"),
            ("f", "上册"),
        ],
    ),
    ("905", "  ", [("a", "PKU"), ("b", "30012346"), ("d", "I242.4"), ("e", "45"), ("f", "下册")]),
]


# --- real files ----------------------------------------------------------------------------


def test_marc21_file_maps_title_authors_isbn_and_call_number(marc_samples):
    with (marc_samples / "marc.dat").open("rb") as stream:
        records = list(read_marc(stream))
    assert len(records) == 20
    assert [r.error for r in records] == [None] * 20
    first = records[0].data
    assert first.marc_format == "marc21"
    assert first.title == "The pragmatic programmer : from journeyman to master"
    assert first.authors == ["Hunt, Andrew", "Thomas, David"]
    assert first.isbn == "9780201616224"  # from 020 $a 020161622X
    assert first.call_number == "QA76.6 .H857 2000"
    assert first.classification == "lc"
    assert (first.publisher, first.year, first.language) == ("Addison-Wesley", "2000", "eng")
    assert (first.control_number, first.control_source) == ("11778504", "")
    assert first.holdings == []
    # 020 $a with a qualifier; 100 ending in a period that is not an initial's.
    hightower = records[13].data
    assert hightower.isbn == "9780201616163"
    assert hightower.authors == ["Hightower, Richard"]
    assert hightower.call_number == "QA76.73.P98 H54 2002"
    # An initial keeps its period.
    assert records[18].data.authors == ["Cormen, Thomas H."]
    assert records[18].data.edition == "2nd ed."
    # Positions: records follow each other, the raw bytes are the record's.
    assert [r.offset for r in records[:3]] == [0, 1060, 2039]
    assert records[0].raw == (marc_samples / "marc.dat").read_bytes()[:1060]


def test_unimarc_file_is_detected_and_mapped(marc_samples):
    with (marc_samples / "testunimarc.dat").open("rb") as stream:
        records = list(read_marc(stream))
    # The file ends with a newline, which is not a record.
    assert len(records) == 1
    data = records[0].data
    assert data.marc_format == "unimarc"
    # 200 $a brackets the article with non-sorting marks, which are dropped.
    assert data.title == "L'altra faccia della spirale"
    assert data.authors == [
        "Asimov, Isaac",
        "Fruttero, Carlo",
        "Lucentini, Franco",
        "Scaglia, Cesare",
    ]
    assert data.isbn == "9788804406822"  # 010 $a 88-04-40682-8
    assert (data.publisher, data.year, data.language) == ("A. Mondadori", "1996", "ita")
    assert data.control_number == "IT\\ICCU\\ANA\\0019370"
    assert "Isaac Asimov" in data.search_extra  # 200 $f


def test_bad_records_are_reported_by_position_and_reading_goes_on(marc_samples):
    with (marc_samples / "bad_records.mrc").open("rb") as stream:
        records = list(read_marc(stream))
    assert [r.number for r in records] == list(range(1, 10))
    bad = [(r.number, r.offset) for r in records if r.error]
    assert bad == [(2, 127), (3, 254), (4, 381), (5, 509), (6, 637), (7, 764), (9, 917)]
    reasons = {r.number: r.error for r in records}
    assert reasons[2].startswith("BaseAddressInvalid")
    assert reasons[3].startswith("BaseAddressNotFound")
    assert reasons[4].startswith("RecordDirectoryInvalid")
    assert reasons[7].startswith("NoFieldsFound")
    assert "truncated" in reasons[9]
    assert (
        records[0].data.title
        == records[7].data.title
        == ("The pragmatic programmer : from journeyman to master")
    )


def test_invalid_subfield_code_is_reported_as_a_warning(marc_samples):
    with (marc_samples / "utf8_invalid.mrc").open("rb") as stream:
        (record,) = read_marc(stream)
    assert record.error is None
    assert record.warnings == ["a subfield code is not ASCII; pymarc guessed the letter"]
    assert record.data.title.startswith("The coming revolution in teacher licensure")


def test_marcxml_is_detected_by_content_and_streamed_with_offsets(marc_samples, tmp_path):
    xml = (marc_samples / "batch.xml").read_bytes()
    renamed = tmp_path / "batch.mrc"  # content decides, not the name
    renamed.write_bytes(xml)
    with renamed.open("rb") as stream:
        records = list(read_marc(stream, name=renamed.name))
    assert [r.data.title for r in records] == ["The Great Ray Charles", "The White House"]
    assert records[0].data.control_number == "5637241"
    assert records[0].data.control_source == "DLC"
    assert xml[records[0].offset :].startswith(b"<marc:record")
    assert xml[records[1].offset :].startswith(b"<marc:record")
    # The ISO 2709 form is kept for Record.marc.
    assert records[0].raw[:5].isdigit() and records[0].raw.endswith(b"\x1d")


def test_broken_marcxml_stops_with_the_position_of_the_error():
    xml = (
        b'<?xml version="1.0"?><collection xmlns="http://www.loc.gov/MARC21/slim">'
        b"<record><leader>00000nam a2200000 a 4500</leader>"
        b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">First</subfield>'
        b"</datafield></record><record><datafield tag='245'><subfield>x</record>"
    )
    records = read(xml)
    assert records[0].data.title == "First"
    assert records[1].data is None
    assert "not well-formed" in records[1].error
    assert records[1].offset > records[0].offset


def test_forced_format_overrides_detection(marc_samples):
    with (marc_samples / "testunimarc.dat").open("rb") as stream:
        (as_marc21,) = read_marc(stream, format="marc21")
    assert as_marc21.data is None and as_marc21.error == "no title (245 $a)"
    with (marc_samples / "marc.dat").open("rb") as stream:
        as_unimarc = list(read_marc(stream, format="unimarc"))
    assert {r.error for r in as_unimarc} == {"no title (200 $a)"}
    with pytest.raises(ValueError):
        read(b"", format="cnmarc")


# --- detection and containers ----------------------------------------------------------


def test_format_detection_allows_either_and_decides_ties_for_marc21():
    assert detect_format({"001", "245", "100"}) == "marc21"
    assert detect_format({"001", "200", "100"}) == "unimarc"
    assert detect_format({"001", "010", "101", "210"}) == "unimarc"
    assert detect_format({"001", "008", "260"}) == "marc21"
    assert detect_format({"001"}) == "marc21"


def test_container_sniffing():
    assert sniff_container(b"\xef\xbb\xbf  <?xml") == "xml"
    assert sniff_container(b"01060cam  2200289") == "iso2709"
    assert sniff_container(b"", "records.XML") == "xml"
    assert sniff_container(b"garbage", "records.mrc") == "iso2709"


def test_a_wrong_record_length_costs_one_record_not_the_rest():
    good = iso2709([("001", "1"), ("245", "10", [("a", "Good.")])])
    too_long = b"99999" + good[5:]
    too_short = b"00030" + good[5:]
    records = read(good + b"\r\n" + too_long + too_short + good)
    assert [r.offset for r in records] == [0, len(good) + 2, 2 * len(good) + 2, 3 * len(good) + 2]
    assert [r.data is not None for r in records] == [True, False, True, True]
    assert records[1].error.startswith(
        f"the leader gives 99999 bytes, the record terminator is at {len(good)}; TruncatedRecord"
    )
    assert records[2].warnings == [
        f"the leader gives 30 bytes, the record terminator is at {len(good)}"
    ]
    assert records[3].warnings == []


def test_pymarc_repairs_are_warnings(marc_samples):
    with (marc_samples / "bad_subfield_code.dat").open("rb") as stream:
        (record,) = read_marc(stream)
    assert record.data is not None
    assert record.warnings[0] == "a subfield code is not ASCII; pymarc guessed the letter"
    assert record.warnings[1].startswith("more than 2 indicators found")


def test_garbage_without_terminator_is_one_bad_record():
    good = iso2709([("001", "1"), ("245", "10", [("a", "Good.")])])
    records = read(good + b"not a record at all")
    assert records[0].data.title == "Good"
    assert records[1].error.startswith("truncated")


# --- MARC 21 mapping ---------------------------------------------------------------------


def test_vernacular_880_fields_are_shown_and_romanised_forms_searched():
    (record,) = read(iso2709(LOC_CHINESE))
    data = record.data
    assert data.title == "紅楼圆明隐秘 : 兼考论曹雪芹故居、竺香玉故居"
    # 700 with $t is a related work, not an author.
    assert data.authors == ["霍国玲", "紫军"]
    assert data.publisher == "工商出版社"
    assert data.edition == "第1版"
    assert data.year == "1997"
    assert data.language == "chi"
    assert data.control_number == "00290655"
    assert data.isbn == "9787800123535"
    assert "Hong lou Yuan ming yin mi : jian kao lun Cao Xueqian gu ju, Zhu Xiangyu gu ju" in (
        data.search_extra
    )
    assert {"Huo, Guoling", "Zi, Jun"} <= set(data.search_extra)
    assert any("红楼解梦" in text for text in data.search_extra)  # 246's 880


def test_marc21_imprint_call_number_and_holdings_rules():
    record = iso2709(
        [
            ("001", "x1"),
            ("008", "990802s2000    mau           001 0 eng  "),
            ("020", "  ", [("a", "not an isbn")]),
            ("020", "  ", [("a", "0-415-24512-5 (pbk.)")]),
            ("020", "  ", [("z", "0201616165")]),
            ("082", "00", [("a", "005.13/3"), ("2", "21")]),
            ("110", "2 ", [("a", "Library of Congress."), ("b", "Cataloging Policy.")]),
            ("245", "00", [("a", "Rules."), ("n", "Part 2,"), ("p", "Holdings.")]),
            ("260", "  ", [("b", "Old Press,"), ("c", "1999.")]),
            ("264", " 1", [("a", "London :"), ("b", "Routledge,"), ("c", "[2001], ©2000")]),
            (
                "852",
                "  ",
                [("b", "Main stacks"), ("h", "Z695"), ("i", ".R85"), ("p", "B1"), ("t", "2")],
            ),
            ("852", "  ", [("b", "Annex")]),
        ]
    )
    data = read(record)[0].data
    assert data.title == "Rules. Part 2, Holdings"
    assert data.authors == ["Library of Congress. Cataloging Policy"]
    assert data.isbns == ["9780415245128"] and data.isbn == "9780415245128"  # not $z
    assert (data.publisher, data.year) == ("Routledge", "2001")  # 264 ind2=1 first
    assert (data.call_number, data.classification) == ("005.133", "ddc")  # no 050/090
    assert data.holdings == [
        Holding(barcode="B1", location="Main stacks", call_number="Z695 .R85", volume="2"),
        Holding(barcode="", location="Annex", call_number="", volume=""),
    ]


def test_marc21_without_title_is_refused():
    record = pymarc.Record(iso2709([("001", "1"), ("100", "1 ", [("a", "Nobody.")])]))
    with pytest.raises(MappingError, match="245"):
        map_record(record, "marc21")
    assert read(record.as_marc())[0].error == "no title (245 $a)"


def test_marc8_record_is_decoded_and_normalised(marc_samples):
    with (marc_samples / "marc8.dat").open("rb") as stream:
        (record,) = read_marc(stream)
    assert record.data.title == "Escape from loneliness"
    # Accented letters come out composed (NFC), as readers type them.
    with (marc_samples / "diacritic.dat").open("rb") as stream:
        (accented,) = read_marc(stream)
    assert accented.error is None


# --- UNIMARC / CNMARC mapping ------------------------------------------------------------


def test_cnmarc_mapping_with_905_holdings():
    data = read(iso2709(CNMARC, leader="     nam0 22     3  450 "))[0].data
    assert data.marc_format == "unimarc"
    assert data.title == "红楼梦 : 校注本. 上, 前八十回"
    assert data.authors == ["曹雪芹", "高鹗"]
    assert data.search_extra == ["曹雪芹, 高鹗著"]
    assert data.isbn == "9787020002207"
    assert (data.edition, data.publisher, data.year, data.language) == (
        "第3版",
        "人民文学出版社",
        "2008",
        "chi",
    )
    assert data.holdings == [
        Holding(barcode="30012345", location="中文图书库", call_number="I242.4/45", volume="上册"),
        Holding(barcode="30012346", location="", call_number="I242.4/45", volume="下册"),
    ]
    # The shelf mark (索书号) is the record's call number; 690 gives the scheme.
    assert (data.call_number, data.classification) == ("I242.4/45", "clc")


def test_cnmarc_in_gb18030_is_decoded():
    data = read(iso2709(CNMARC, leader="     nam0 22     3  450 ", encoding="gb18030"))[0].data
    assert data.title == "红楼梦 : 校注本. 上, 前八十回"
    assert data.holdings[0].location == "中文图书库"


def test_unimarc_without_holdings_takes_the_690_class_and_200_f_as_author():
    fields = [f for f in CNMARC if f[0] not in ("701", "702", "905")]
    data = read(iso2709(fields))[0].data
    assert (data.call_number, data.classification) == ("I242.4", "clc")
    assert data.authors == ["曹雪芹, 高鹗著"]
    assert data.holdings == []
