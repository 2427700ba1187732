"""Reading MARC files: container and format detection, decoding, and field mapping.

Everything here is plain data in, plain data out (no database): `read_marc` turns a
binary stream (ISO 2709 or MARCXML) into `ParsedRecord`s, each either mapped to
`MarcData` or carrying the reason it could not be read. pymarc does the decoding;
the field mapping follows, one section per format (MARC 21, UNIMARC / CNMARC).
"""

from __future__ import annotations

import logging
import re
import unicodedata
import warnings
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, Literal
from xml.parsers import expat

import pymarc
from pymarc.exceptions import BadSubfieldCodeWarning

from libreach.catalog.isbn import normalize_isbn
from libreach.core import normalise

Format = Literal["marc21", "unimarc"]
FORMATS = ("auto", "marc21", "unimarc")

_TERMINATOR = 0x1D
_MAX_RECORD = 99999  # the leader's five-digit record length
_BLOCK = 1 << 20


@dataclass(slots=True)
class Holding:
    """One copy described in a holdings field (852, 905); barcode may be empty."""

    barcode: str = ""
    location: str = ""
    call_number: str = ""
    volume: str = ""


@dataclass(slots=True)
class MarcData:
    """What the catalogue keeps of one bibliographic record."""

    marc_format: Format
    title: str
    control_number: str = ""
    control_source: str = ""
    isbn: str = ""
    isbns: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    publisher: str = ""
    year: str = ""
    edition: str = ""
    language: str = ""
    call_number: str = ""
    classification: str = ""
    holdings: list[Holding] = field(default_factory=list)
    # Searchable forms that are not displayed: romanised title and names of a
    # record catalogued in a vernacular script, varying titles.
    search_extra: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ParsedRecord:
    """One record of a file, by position: mapped data, or why it could not be read."""

    number: int  # 1-based, in file order
    offset: int  # byte offset of the record's first byte
    end: int  # byte offset just past it (progress)
    raw: bytes | None = None  # ISO 2709 transmission form
    data: MarcData | None = None
    error: str | None = None
    warnings: list[str] = field(default_factory=list)


class MappingError(ValueError):
    """A record that decodes but cannot become a catalogue record (e.g. it has no title)."""


# --- container: ISO 2709 or MARCXML ------------------------------------------------------


def sniff_container(head: bytes, name: str = "") -> Literal["iso2709", "xml"]:
    """MARCXML if the content starts like XML (or, failing content, the name ends .xml)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "xml"
    if text[:5].isdigit():
        return "iso2709"
    return "xml" if name.lower().endswith(".xml") else "iso2709"


def _iso2709_chunks(stream: BinaryIO) -> Iterator[tuple[int, bytes, str | None]]:
    """(offset, bytes, framing problem) per record, read block by block.

    The leader's length is trusted when the byte it points at is the record terminator;
    otherwise the record runs to the next terminator, so one wrong length costs one
    record instead of desynchronising the rest of the file.
    """
    buf = b""
    base = 0  # file offset of buf[0]
    i = 0  # start of the next record in buf
    eof = False
    skip = b" \t\r\n\x00\x1a"  # transfer artefacts between records, not records
    while True:
        while i < len(buf) and buf[i] in skip:
            i += 1
        if len(buf) - i <= _MAX_RECORD and not eof:
            block = stream.read(_BLOCK)
            if block:
                base += i
                buf = buf[i:] + block
                i = 0
                continue
            eof = True
        if i >= len(buf):
            return
        problem = None
        head = buf[i : i + 5]
        length = int(head) if head.isdigit() else 0
        if 24 < length <= len(buf) - i and buf[i + length - 1] == _TERMINATOR:
            end = i + length
        else:
            end = buf.find(b"\x1d", i, i + _MAX_RECORD + 1) + 1
            if end == 0:
                if eof and len(buf) - i <= _MAX_RECORD:
                    end = len(buf)
                    problem = "truncated: no record terminator before the end of the file"
                else:
                    end = min(len(buf), i + _MAX_RECORD)
                    problem = "no record terminator within 99,999 bytes"
            elif not head.isdigit():
                problem = f"the record length in the leader ({head!r}) is not a number"
            else:
                problem = f"the leader gives {length} bytes, the record terminator is at {end - i}"
        yield base + i, buf[i:end], problem
        i = end


class _XmlRecords:
    """Streaming MARCXML: pymarc records with their byte offsets, block by block."""

    def __init__(self) -> None:
        self.parser = expat.ParserCreate(namespace_separator=" ")
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.done: list[tuple[int, int, pymarc.Record]] = []
        self._record: pymarc.Record | None = None
        self._start_offset = 0
        self._field: pymarc.Field | None = None
        self._code: str | None = None
        self._buf: list[str] = []

    @staticmethod
    def _local(name: str) -> str:
        return name.rpartition(" ")[2]

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        element = self._local(name)
        self._buf = []
        if element == "record":
            self._record = pymarc.Record()
            self._start_offset = self.parser.CurrentByteIndex
        elif self._record is None:
            return
        elif element == "controlfield":
            self._field = pymarc.Field(attrs.get("tag", ""))
        elif element == "datafield":
            self._field = pymarc.Field(
                attrs.get("tag", ""),
                pymarc.Indicators((attrs.get("ind1") or " ")[:1], (attrs.get("ind2") or " ")[:1]),
            )
        elif element == "subfield":
            self._code = attrs.get("code", "")

    def _end(self, name: str) -> None:
        element = self._local(name)
        text = "".join(self._buf)
        self._buf = []
        record = self._record
        if record is None:
            return
        if element == "record":
            self.done.append((self._start_offset, self.parser.CurrentByteIndex, record))
            self._record = None
        elif element == "leader":
            record.leader = pymarc.Leader(text.ljust(24)[:24])
        elif element == "controlfield" and self._field is not None:
            self._field.data = text
            record.add_field(self._field)
            self._field = None
        elif element == "datafield" and self._field is not None:
            record.add_field(self._field)
            self._field = None
        elif element == "subfield" and self._field is not None and self._code is not None:
            self._field.add_subfield(self._code, text)
            self._code = None

    def _text(self, data: str) -> None:
        self._buf.append(data)


def _xml_records(stream: BinaryIO) -> Iterator[tuple[int, int, pymarc.Record | None, str | None]]:
    """(offset, end, record, fatal problem); a syntax error ends the file."""
    reader = _XmlRecords()
    while True:
        block = stream.read(_BLOCK)
        try:
            reader.parser.Parse(block, not block)
        except expat.ExpatError as exc:
            yield from ((s, e, r, None) for s, e, r in reader.done)
            offset = reader.parser.ErrorByteIndex
            yield offset, offset, None, f"XML is not well-formed: {exc}; reading stopped here"
            return
        yield from ((s, e, r, None) for s, e, r in reader.done)
        reader.done.clear()
        if not block:
            return


# --- decoding and format detection ------------------------------------------------------

_MARC21_TAGS = frozenset(("245", "008", "260", "264", "020", "050", "082", "852"))
_UNIMARC_TAGS = frozenset(("200", "010", "101", "205", "210", "690", "701", "702", "905"))
# Every tag the mapping or the detection reads; pymarc is given only these (_trim).
_MAPPED = frozenset(
    tag.encode()
    for tag in (
        *_MARC21_TAGS,
        *("001", "003", "041", "090", "100", "110", "111", "246", "250", "700", "710"),
        *("711", "880"),
        *_UNIMARC_TAGS,
        *("214", "676", "680", "712"),
    )
)
_BAD_SUBFIELD_CODE = re.compile(rb"\x1f[\x80-\xff]")


def detect_format(tags: Collection[str]) -> Format:
    """UNIMARC has 200 (title) and its own coded fields; MARC 21 has 245 and 008.

    The leader does not help: the two differ only in positions that are often blank.
    """
    if "245" in tags and "200" not in tags:
        return "marc21"
    if "200" in tags and "245" not in tags:
        return "unimarc"
    marc21 = len(_MARC21_TAGS.intersection(tags))
    unimarc = len(_UNIMARC_TAGS.intersection(tags))
    return "unimarc" if unimarc > marc21 else "marc21"


def _directory_tags(chunk: bytes) -> set[str]:
    try:
        base = int(chunk[12:17])
        directory = chunk[24 : base - 1].decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return set()
    return {directory[i : i + 3] for i in range(0, len(directory) - 2, 12)}


def _trim(chunk: bytes) -> bytes:
    """The record with a directory that lists only the fields the mapping reads.

    pymarc builds objects for every field (subjects, notes, links: two thirds of a LoC
    record) and that is most of the cost of an import. Directory offsets count from
    the base address, so dropping entries and moving the base address leaves the data
    area as it is. Anything unusual goes to pymarc untouched, to report it.
    """
    try:
        base = int(chunk[12:17])
    except ValueError:
        return chunk
    if base <= 24 or base > len(chunk) or (base - 25) % 12 or chunk[base - 1] != 0x1E:
        return chunk
    kept = [chunk[i : i + 12] for i in range(24, base - 1, 12) if chunk[i : i + 3] in _MAPPED]
    if not kept or len(kept) * 12 == base - 25:
        return chunk
    new_base = 25 + 12 * len(kept)
    head = b"%05d%s%05d%s" % (new_base + len(chunk) - base, chunk[5:12], new_base, chunk[17:24])
    return b"".join((head, *kept, b"\x1e", chunk[base:]))


def _decode(chunk: bytes, fmt: Format | None, notes: list[str]) -> pymarc.Record:
    """A pymarc record from ISO 2709 bytes, choosing the character set by format.

    MARC 21 says UTF-8 at leader/09, else MARC-8 (but files labelled MARC-8 are often
    UTF-8; bytes that are valid UTF-8 are read as such). UNIMARC has no leader flag:
    UTF-8 when valid, else GB 18030, the superset of the GB 2312 / GBK that CNMARC
    files use.
    """
    options: dict = {"to_unicode": True, "hide_utf8_warnings": True}
    # pymarc reads leader/09 "a" as UTF-8 whatever the format; only other records
    # need the format (and, unless forced, a look at the directory) to pick a decoder.
    if chunk[9:10] != b"a":
        try:
            chunk.decode("utf-8")
            options["force_utf8"] = True
        except UnicodeDecodeError:
            if (fmt or detect_format(_directory_tags(chunk))) == "unimarc":
                options["file_encoding"] = "gb18030"
    trimmed = _trim(chunk)
    if _BAD_SUBFIELD_CODE.search(trimmed):
        notes.append("a subfield code is not ASCII; pymarc guessed the letter")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BadSubfieldCodeWarning)
            return _decode_utf8_lenient(trimmed, options, notes)
    return _decode_utf8_lenient(trimmed, options, notes)


def _decode_utf8_lenient(chunk: bytes, options: dict, notes: list[str]) -> pymarc.Record:
    try:
        return pymarc.Record(chunk, **options)
    except UnicodeDecodeError as exc:
        # A non-ASCII leader or directory is fatal; bad bytes in the data cost a
        # character only (pymarc applies utf8_handling to subfield data).
        if exc.encoding != "utf-8" or options.get("utf8_handling"):
            raise
        notes.append("invalid UTF-8 bytes replaced by U+FFFD")
        options["utf8_handling"] = "replace"
        return pymarc.Record(chunk, **options)


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    name = type(exc).__name__
    return f"{name}: {text}" if text and text != name else name


# --- mapping helpers ---------------------------------------------------------------------

# C0 controls (never valid in text; NUL breaks PostgreSQL) and the non-sorting markers
# (MARC-8 0x88/0x89 and UTF-8 U+0098/U+009C) that bracket a leading article.
_DROP = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x88, 0x89, 0x98, 0x9C])
_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
_ISBD_END = " /:;=,"
_INITIAL_END = re.compile(r"(?:^|[\s.,])\w\.$")


def _clean(text: str | None) -> str:
    if not text:
        return ""
    text = text.translate(_DROP)
    if not text.isascii():  # MARC-8 and many UTF-8 records decompose accents
        text = unicodedata.normalize("NFC", text)
    if "  " in text or "\n" in text or "\t" in text:
        text = _SPACES.sub(" ", text)
    return text.strip()


def _strip_end(text: str, *, period: bool = True) -> str:
    """Drop the ISBD punctuation that separates elements (' /', ' :', ','), and a final
    period unless it ends an initial ('J.') or an ellipsis."""
    text = text.rstrip(_ISBD_END)
    if period and text.endswith(".") and not text.endswith("...") and not _INITIAL_END.search(text):
        text = text[:-1].rstrip(_ISBD_END)
    return text


def _subfields(fld: pymarc.Field, codes: str) -> list[str]:
    return [value for code, value in fld.subfields if code in codes and value]


def _first(fld: pymarc.Field, code: str) -> str:
    for c, value in fld.subfields:
        if c == code and value:
            return value
    return ""


def _year(text: str) -> str:
    match = _YEAR.search(text)
    return match.group(1) if match else ""


def _index(record: pymarc.Record) -> dict[str, list[pymarc.Field]]:
    by_tag: dict[str, list[pymarc.Field]] = {}
    for fld in record.fields:
        if fld.tag in by_tag:
            by_tag[fld.tag].append(fld)
        else:
            by_tag[fld.tag] = [fld]
    return by_tag


def _control(by_tag: dict[str, list[pymarc.Field]], tag: str) -> str:
    fields = by_tag.get(tag)
    if not fields:
        return ""
    return _clean(fields[0].data if fields[0].control_field else _first(fields[0], "a"))


def _isbns(fields: list[pymarc.Field]) -> list[str]:
    found: list[str] = []
    for fld in fields:
        for value in _subfields(fld, "a"):
            isbn = normalize_isbn(value)
            if isbn and isbn not in found:
                found.append(isbn)
    return found


def _add(names: list[str], name: str) -> None:
    if name and name not in names:
        names.append(name)


# --- MARC 21 -----------------------------------------------------------------------------


def _title_21(fld: pymarc.Field) -> str:
    # The subfields carry their own ISBD punctuation (' :' before $b, '.' before $n).
    return _strip_end(_clean(" ".join(_subfields(fld, "abnp"))))


def _name_21(fld: pymarc.Field) -> str:
    # An 880 renders the field named in its $6.
    tag = _first(fld, "6")[:3] if fld.tag == "880" else fld.tag
    codes = "abcq" if tag.endswith("00") else "ab" if tag.endswith("10") else "acn"
    return _strip_end(_clean(" ".join(_subfields(fld, codes))))


_NAME_TAGS = ("100", "110", "111", "700", "710", "711")


def _linked_880s(by_tag: dict[str, list[pymarc.Field]]) -> tuple[dict, list[pymarc.Field]]:
    """880s keyed by the field they render ("245-02"), and the unpaired ones ("-00")."""
    links: dict[str, pymarc.Field] = {}
    unpaired: list[pymarc.Field] = []
    for fld in by_tag.get("880", ()):
        link = _first(fld, "6")[:6]  # "245-02/$1" -> "245-02"
        if link.endswith("-00"):
            unpaired.append(fld)
        elif len(link) == 6:
            links.setdefault(link, fld)
    return links, unpaired


def _vernacular(fld: pymarc.Field, links: dict[str, pymarc.Field]) -> pymarc.Field | None:
    if not links:
        return None
    link = _first(fld, "6")  # "880-02"
    if link[:4] != "880-":
        return None
    return links.get(f"{fld.tag}-{link[4:6]}")


def _map_marc21(by_tag: dict[str, list[pymarc.Field]]) -> MarcData:
    links, unpaired = _linked_880s(by_tag) if "880" in by_tag else ({}, [])
    extra: list[str] = []

    # A record catalogued in a vernacular script (LoC's Chinese records) gives the
    # romanised form in 245/1XX/7XX and the original in linked 880s: readers know the
    # original, so it is shown, and the romanised form is kept for searching.
    title_fields = by_tag.get("245")
    title = _title_21(title_fields[0]) if title_fields else ""
    if title_fields and (links or unpaired):
        vern = _vernacular(title_fields[0], links) or next(
            (f for f in unpaired if _first(f, "6")[:3] == "245"), None
        )
        vern_title = _title_21(vern) if vern is not None else ""
        if vern_title:
            _add(extra, title)
            title = vern_title
    if not title:
        raise MappingError("no title (245 $a)")

    authors: list[str] = []
    for tag in _NAME_TAGS:
        for fld in by_tag.get(tag, ()):
            if tag[0] == "7" and _first(fld, "t"):
                continue  # a name/title entry: a related work, not an author of this one
            name = _name_21(fld)
            vern = _vernacular(fld, links)
            vern_name = _name_21(vern) if vern is not None else ""
            if vern_name:
                _add(extra, name)
                name = vern_name
            _add(authors, name)
    for fld in unpaired:
        if _first(fld, "6")[:3] in _NAME_TAGS and not _first(fld, "t"):
            _add(authors, _name_21(fld))

    for fld in by_tag.get("246", ()):  # varying titles are searched, not shown
        _add(extra, _title_21(fld))
        vern = _vernacular(fld, links)
        if vern is not None:
            _add(extra, _title_21(vern))

    isbns = _isbns(by_tag.get("020", ()))

    edition = ""
    if "250" in by_tag:
        fld = by_tag["250"][0]
        fld = _vernacular(fld, links) or fld
        edition = _strip_end(_clean(" ".join(_subfields(fld, "ab"))), period=False)
        if edition[-2:-1] > "\x7f" and edition.endswith("."):  # "第1版." but "2nd ed."
            edition = edition[:-1]

    publisher = year = ""
    imprint = next((f for f in by_tag.get("264", ()) if f.indicator2 == "1"), None)
    if imprint is None and "260" in by_tag:
        imprint = by_tag["260"][0]
    if imprint is not None:
        vern = _vernacular(imprint, links)
        # No period stripping: a publisher's name ends in "Co." or "Inc." more often
        # than in ISBD punctuation, which here is the comma before $c.
        publisher = _strip_end(
            _clean(_first(vern if vern is not None else imprint, "b")), period=False
        )
        year = _year(_first(imprint, "c"))
    fixed = by_tag["008"][0].data or "" if "008" in by_tag else ""  # positional: no strip
    if not year and fixed[7:11].isdigit():
        year = fixed[7:11]

    language = fixed[35:38].strip() if len(fixed) >= 38 else ""
    if not language.isalpha():
        language = ""
    if not language and "041" in by_tag:
        language = _first(by_tag["041"][0], "a")[:3]

    call_number = classification = ""
    for tag, scheme in (("050", "lc"), ("090", "lc"), ("082", "ddc")):
        if tag in by_tag:
            fld = by_tag[tag][0]
            parts = [_first(fld, "a"), _first(fld, "b")]
            call_number = _clean(" ".join(p for p in parts if p))
            if scheme == "ddc":
                call_number = call_number.replace("/", "").replace("'", "")
            if call_number:
                classification = scheme
                break

    holdings = [
        Holding(
            barcode=normalise.barcode(_first(fld, "p")),
            location=_clean(_first(fld, "b")),
            call_number=_clean(" ".join(_subfields(fld, "hi"))),
            volume=_clean(_first(fld, "t")),
        )
        for fld in by_tag.get("852", ())
    ]

    return MarcData(
        marc_format="marc21",
        title=title,
        control_number=_control(by_tag, "001"),
        control_source=_control(by_tag, "003"),
        isbn=isbns[0] if isbns else "",
        isbns=isbns,
        authors=authors,
        publisher=publisher,
        year=year,
        edition=edition,
        language=language,
        call_number=call_number,
        classification=classification,
        holdings=holdings,
        search_extra=[e for e in extra if e],
    )


# --- UNIMARC / CNMARC --------------------------------------------------------------------


def _title_uni(fld: pymarc.Field) -> str:
    # UNIMARC subfields carry no ISBD punctuation: it is generated from the codes.
    title, previous = "", ""
    separators = {"a": " ; ", "e": " : ", "h": ". "}
    for code, value in fld.subfields:
        value = _clean(value)
        if not value or code not in "aehi" or (not title and code != "a"):
            continue
        if not title:
            title = value
        else:
            separator = ", " if code == "i" and previous == "h" else separators.get(code, ". ")
            title = f"{title}{separator}{value}"
        previous = code
    return _strip_end(title)


def _name_uni(fld: pymarc.Field) -> str:
    name = _clean(_first(fld, "a"))
    rest = _clean(_first(fld, "b"))
    if rest:
        name = f"{name}{rest}" if rest[0] in ",." else f"{name}, {rest}"
    return _strip_end(name)


def _map_unimarc(by_tag: dict[str, list[pymarc.Field]]) -> MarcData:
    extra: list[str] = []

    title_field = by_tag["200"][0] if "200" in by_tag else None
    title = _title_uni(title_field) if title_field is not None else ""
    if not title:
        raise MappingError("no title (200 $a)")

    authors: list[str] = []
    for tag in ("700", "701", "702", "710", "711", "712"):
        for fld in by_tag.get(tag, ()):
            _add(authors, _name_uni(fld))
    responsibility = _strip_end(_clean(_first(title_field, "f")))
    if not authors and responsibility:
        authors.append(responsibility)
    elif responsibility:
        extra.append(responsibility)

    isbns = _isbns(by_tag.get("010", ()))
    edition = _clean(_first(by_tag["205"][0], "a")) if "205" in by_tag else ""

    publisher = year = ""
    imprint = by_tag.get("210") or by_tag.get("214")
    if imprint:
        publisher = _strip_end(_clean(_first(imprint[0], "c")))
        year = _year(_first(imprint[0], "d"))
    general = _first(by_tag["100"][0], "a") if "100" in by_tag else ""  # positional
    if not year and general[9:13].isdigit():
        year = general[9:13]

    language = _first(by_tag["101"][0], "a")[:3] if "101" in by_tag else ""

    holdings: list[Holding] = []
    for fld in by_tag.get("905", ()):
        parts = [p for p in (_clean(_first(fld, "d")), _clean(_first(fld, "e"))) if p]
        common = {
            "location": _clean(_first(fld, "c")),
            "call_number": "/".join(parts),
            "volume": _clean(_first(fld, "f")),
        }
        barcodes = [normalise.barcode(b) for b in _subfields(fld, "b")] or [""]
        holdings.extend(Holding(barcode=b, **common) for b in barcodes)

    call_number = classification = ""
    shelf = next((h.call_number for h in holdings if h.call_number), "")
    for tag, scheme in (("690", "clc"), ("676", "ddc"), ("680", "lc")):
        if tag in by_tag:
            number = _clean(_first(by_tag[tag][0], "a"))
            if number:
                call_number, classification = number, scheme
                break
    if shelf:
        # The shelf mark (索书号: class number / book number) is what readers look for.
        call_number, classification = shelf, classification or "clc"

    return MarcData(
        marc_format="unimarc",
        title=title,
        control_number=_control(by_tag, "001"),
        # UNIMARC 003 is a persistent URI, not the agency code MARC 21 keeps there.
        control_source="",
        isbn=isbns[0] if isbns else "",
        isbns=isbns,
        authors=authors,
        publisher=publisher,
        year=year,
        edition=edition,
        language=language.strip(),
        call_number=call_number,
        classification=classification,
        holdings=holdings,
        search_extra=extra,
    )


def map_record(record: pymarc.Record, fmt: Format | None = None) -> MarcData:
    """The catalogue's data from a record, in `fmt` or, if None, the detected format."""
    by_tag = _index(record)
    fmt = fmt or detect_format(by_tag.keys())
    return _map_unimarc(by_tag) if fmt == "unimarc" else _map_marc21(by_tag)


# --- the reader --------------------------------------------------------------------------


def read_marc(stream: BinaryIO, *, format: str = "auto", name: str = "") -> Iterator[ParsedRecord]:
    """Every record of an ISO 2709 or MARCXML stream, in order, read as it is consumed.

    `format` forces MARC 21 or UNIMARC; "auto" decides per record.
    """
    if format not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {format!r}")
    forced: Format | None = None if format == "auto" else format  # type: ignore[assignment]
    head = stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    if not head and stream.seekable():
        head = stream.read(64)
        stream.seek(-len(head), 1)
    if sniff_container(head, name) == "xml":
        yield from _read_xml(stream, forced)
    else:
        yield from _read_iso2709(stream, forced)


class _PymarcNotes(logging.Handler):
    """pymarc logs what it repairs (missing indicators...): those become the record's
    warnings instead of lines on the console."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.notes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.notes.append(record.getMessage()[:160])


def _read_iso2709(stream: BinaryIO, forced: Format | None) -> Iterator[ParsedRecord]:
    logger = logging.getLogger("pymarc")
    handler, propagate = _PymarcNotes(), logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        for number, (offset, chunk, problem) in enumerate(_iso2709_chunks(stream), start=1):
            parsed = ParsedRecord(number=number, offset=offset, end=offset + len(chunk), raw=chunk)
            if problem and chunk[-1:] != b"\x1d":
                parsed.error = problem
                yield parsed
                continue
            try:
                record = _decode(chunk, forced, parsed.warnings)
                parsed.data = map_record(record, forced)
            except MappingError as exc:
                parsed.error = str(exc)
            except Exception as exc:  # pymarc signals a broken record with many types
                parsed.error = _describe(exc)
            if problem:  # a wrong length in the leader, around a readable record or not
                if parsed.error:
                    parsed.error = f"{problem}; {parsed.error}"
                else:
                    parsed.warnings.insert(0, problem)
            if handler.notes:
                parsed.warnings.extend(handler.notes)
                handler.notes.clear()
            yield parsed
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate


def _read_xml(stream: BinaryIO, forced: Format | None) -> Iterator[ParsedRecord]:
    for number, (offset, end, record, fatal) in enumerate(_xml_records(stream), start=1):
        parsed = ParsedRecord(number=number, offset=offset, end=end)
        if record is None:
            parsed.error = fatal
            yield parsed
            return
        try:
            parsed.data = map_record(record, forced)
            record.force_utf8 = True
            parsed.raw = record.as_marc()
        except MappingError as exc:
            parsed.error = str(exc)
        except Exception as exc:
            parsed.error = f"cannot write as ISO 2709: {_describe(exc)}"
        yield parsed
