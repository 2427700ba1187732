"""SAML 2.0 metadata aggregates (e.g. CARSI's): the identity providers, to find a library's
IdP by its name and to check entityIDs. Pure: no models, no database.

Parsed with lxml's iterparse, one EntityDescriptor at a time and cleared after, so a
federation aggregate of thousands of entities stays small in memory. The parser never reaches
the network, loads no DTD and expands no entities (no XXE, no billion laughs).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
MDUI = "urn:oasis:names:tc:SAML:metadata:ui"
SHIBMD = "urn:mace:shibboleth:metadata:1.0"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class MetadataError(ValueError):
    """The document is not well-formed XML or not SAML metadata."""


@dataclass(frozen=True)
class SsoEndpoint:
    binding: str
    location: str


@dataclass(frozen=True)
class IdentityProvider:
    entity_id: str
    names: tuple[tuple[str, str], ...]  # (xml:lang, display name), in document order
    scopes: tuple[str, ...]
    sso_endpoints: tuple[SsoEndpoint, ...]

    def name(self, lang: str = "zh") -> str:
        """The name in `lang` (a prefix match: "zh" finds "zh-CN"), else English, else any."""
        for wanted in (lang, "en"):
            for tag, text in self.names:
                if tag.lower().split("-")[0] == wanted.lower().split("-")[0]:
                    return text
        return self.names[0][1] if self.names else self.entity_id


def _source(source: str | bytes | Path | io.IOBase):
    if isinstance(source, bytes):
        return io.BytesIO(source)
    if isinstance(source, Path):
        return str(source)
    return source  # a path given as str, or a binary file object


def iter_idps(source: str | bytes | Path | io.IOBase) -> Iterator[IdentityProvider]:
    """Yield each EntityDescriptor that has an IDPSSODescriptor; SPs and AAs are skipped."""
    events = etree.iterparse(
        _source(source),
        events=("end",),
        tag=f"{{{MD}}}EntityDescriptor",
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        for _, element in events:
            idp = _idp(element)
            # free what has been read: the element and the siblings already handled
            element.clear(keep_tail=False)
            while element.getprevious() is not None:
                del element.getparent()[0]
            if idp is not None:
                yield idp
    except etree.XMLSyntaxError as exc:
        raise MetadataError(f"not well-formed metadata: {exc}") from None


def read_idps(source: str | bytes | Path | io.IOBase) -> list[IdentityProvider]:
    return list(iter_idps(source))


def _idp(entity: etree._Element) -> IdentityProvider | None:
    entity_id = (entity.get("entityID") or "").strip()
    descriptor = entity.find(f"{{{MD}}}IDPSSODescriptor")
    if descriptor is None or not entity_id:
        return None
    names = [
        (el.get(XML_LANG, ""), " ".join((el.text or "").split()))
        for el in descriptor.iterfind(f"{{{MD}}}Extensions/{{{MDUI}}}UIInfo/{{{MDUI}}}DisplayName")
    ]
    if not names:  # no mdui: fall back on the organization's display name
        names = [
            (el.get(XML_LANG, ""), " ".join((el.text or "").split()))
            for el in entity.iterfind(f"{{{MD}}}Organization/{{{MD}}}OrganizationDisplayName")
        ]
    # the Scope may sit on the entity or on the IdP role
    scopes = [
        (el.text or "").strip()
        for path in (
            f"{{{MD}}}Extensions/{{{SHIBMD}}}Scope",
            f"{{{MD}}}IDPSSODescriptor/{{{MD}}}Extensions/{{{SHIBMD}}}Scope",
        )
        for el in entity.iterfind(path)
    ]
    endpoints = [
        SsoEndpoint(el.get("Binding", ""), el.get("Location", ""))
        for el in descriptor.iterfind(f"{{{MD}}}SingleSignOnService")
    ]
    return IdentityProvider(
        entity_id=entity_id,
        names=tuple((lang, text) for lang, text in names if text),
        scopes=tuple(dict.fromkeys(s for s in scopes if s)),
        sso_endpoints=tuple(endpoints),
    )


def fold(text: str) -> str:
    """Case and width folded (ＵＳＴＣ == ustc), whitespace dropped, for name matching."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def find_idp(idps: Iterable[IdentityProvider], name: str) -> list[IdentityProvider]:
    """IdPs whose name (any language) matches `name`, best first: an exact name, then a name
    starting with it, then a name containing it; shorter names first within each."""
    wanted = fold(name)
    if not wanted:
        return []
    ranked = []
    for order, idp in enumerate(idps):
        best = None
        for _, text in idp.names:
            folded = fold(text)
            if folded == wanted:
                rank = 0
            elif folded.startswith(wanted):
                rank = 1
            elif wanted in folded:
                rank = 2
            else:
                continue
            key = (rank, len(folded), order)
            best = key if best is None else min(best, key)
        if best is not None:
            ranked.append((best, idp))
    ranked.sort(key=lambda pair: pair[0])
    return [idp for _, idp in ranked]


def is_known_entity_id(idps: Iterable[IdentityProvider], entity_id: str) -> bool:
    """Is `entity_id` exactly (surrounding spaces aside) an IdP's entityID in the metadata?"""
    entity_id = entity_id.strip()
    return bool(entity_id) and any(idp.entity_id == entity_id for idp in idps)
