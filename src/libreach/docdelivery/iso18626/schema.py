"""The ISO 18626 v1.2 schema, loaded once per process, and what the codec asks of it.

`schema/ISO-18626-v1_2.xsd` is the Maintenance Agency's schema, copied unchanged from
`../shared/data/iso18626/` (see schema/README.md): the project must not need anything outside
itself at run time. Every message we build or accept is validated against it.
"""

from __future__ import annotations

import functools
import threading
from importlib import resources

from lxml import etree

NS = "http://illtransactions.org/2013/iso18626"
XS = "http://www.w3.org/2001/XMLSchema"
# ISO18626Message/@ill:version: the schema's attributeFormDefault is "qualified", so the
# version (and a schemeValuePair's scheme) carry the namespace prefix.
VERSION = "1.2"
ROOT = "ISO18626Message"


def _xsd_bytes() -> bytes:
    return (resources.files(__package__) / "schema" / "ISO-18626-v1_2.xsd").read_bytes()


def safe_parser() -> etree.XMLParser:
    """A parser for bytes from the network: no DTD, no entities, no network, no huge trees."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_pis=True
    )


@functools.cache
def xml_schema() -> etree.XMLSchema:
    """The compiled schema, once per process (~3 ms); validate through check()."""
    return etree.XMLSchema(etree.fromstring(_xsd_bytes(), safe_parser()))


# One compiled schema serves every thread, but its error log is shared: a thread reading
# why its document failed could read another's errors (seen with two threads), so a
# validation and the reading of its log go together. Validating takes well under 1 ms.
_validating = threading.Lock()


def check(root: etree._Element) -> list[etree._LogEntry]:
    """The schema's errors for a document, [] when it is valid."""
    xsd = xml_schema()
    with _validating:
        if xsd.validate(root):
            return []
        return list(xsd.error_log)


@functools.cache
def declared_elements() -> frozenset[str]:
    """Every element name the schema declares anywhere: an element outside this set is one
    the standard does not know (UnrecognisedDataElement), one inside it merely misplaced."""
    doc = etree.fromstring(_xsd_bytes(), safe_parser())
    return frozenset(el.get("name") for el in doc.iter(f"{{{XS}}}element") if el.get("name"))


@functools.cache
def enumeration(type_name: str) -> tuple[str, ...]:
    """The values of one of the schema's enumerated simple types, e.g. "type_status"."""
    doc = etree.fromstring(_xsd_bytes(), safe_parser())
    for simple in doc.iter(f"{{{XS}}}simpleType"):
        if simple.get("name") == type_name:
            return tuple(e.get("value") for e in simple.iter(f"{{{XS}}}enumeration"))
    raise KeyError(type_name)
