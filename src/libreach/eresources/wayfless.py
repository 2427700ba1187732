"""WAYFless links: the community Markdown list and deep links through an IdP.

Pure functions and frozen dataclasses (no models, no database), so that the
import/export commands, the link builders and the reader guide share one
reading of the formats in DESIGN.md.

The community list (kept on GitHub by the Shenzhen University, CUHK-Shenzhen
and Tsinghua libraries) looks like::

    # title and any introduction (kept as the preamble)

    ## 中国知网 CNKI

    ### 方式1

        https://fsso.cnki.net/...entityID=https://{IDP地址}/idp/shibboleth&...

    free-text note lines

A list is *well formed* when it is in the form :func:`write_markdown`
produces: blocks separated by one blank line, consecutive URL lines in one
indented block, no trailing spaces, one final newline. For such a list
``write_markdown(parse_markdown(text)) == text``; other lists are read the
same way and written back in that form.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

PLACEHOLDER = "{IDP地址}"
ENTITY_ID_FORM = "https://" + PLACEHOLDER + "/idp/shibboleth"

# Parameters that carry the page to land on, in the order they are tried.
TARGET_PARAMS = (
    "target",
    "targetURL",
    "appReturnURL",
    "returnURL",
    "return",
    "url",
    "qurl",
    "RelayState",
    "redirect_uri",
)


@dataclass(frozen=True)
class Link:
    url: str


@dataclass(frozen=True)
class Note:
    text: str  # one paragraph; its lines joined with "\n"


@dataclass(frozen=True)
class Method:
    """One way (方式) into a resource; label is None before any ### heading."""

    label: str | None
    items: tuple[Link | Note, ...] = ()

    @property
    def links(self) -> tuple[str, ...]:
        return tuple(i.url for i in self.items if isinstance(i, Link))

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(i.text for i in self.items if isinstance(i, Note))


@dataclass(frozen=True)
class Entry:
    name: str
    methods: tuple[Method, ...] = ()


@dataclass(frozen=True)
class WayflessList:
    preamble: str = ""
    entries: tuple[Entry, ...] = ()


@dataclass(frozen=True)
class GeneratedLink:
    method: str | None
    url: str


def _is_url_line(line: str) -> bool:
    return (line.startswith("    ") or line.startswith("\t")) and bool(line.strip())


def parse_markdown(text: str) -> WayflessList:
    """Read a community list; never raises on odd lines (they become notes)."""
    lines = text.splitlines()
    preamble: list[str] = []
    entries: list[Entry] = []
    name: str | None = None
    methods: list[tuple[str | None, list[Link | Note]]] = []
    paragraph: list[str] = []

    def end_paragraph() -> None:
        if paragraph:
            if not methods:
                methods.append((None, []))
            methods[-1][1].append(Note("\n".join(paragraph)))
            paragraph.clear()

    def end_entry() -> None:
        end_paragraph()
        if name is not None:
            entries.append(
                Entry(name, tuple(Method(label, tuple(items)) for label, items in methods))
            )

    for raw in lines:
        line = raw.rstrip()
        if line.startswith("## "):
            end_entry()
            name, methods = line[3:].strip(), []
        elif name is None:
            preamble.append(line)
        elif line.startswith("### "):
            end_paragraph()
            methods.append((line[4:].strip(), []))
        elif _is_url_line(line):
            end_paragraph()
            if not methods:
                methods.append((None, []))
            methods[-1][1].append(Link(line.strip()))
        elif not line.strip():
            end_paragraph()
        else:
            paragraph.append(line)
    end_entry()
    return WayflessList("\n".join(preamble).strip("\n"), tuple(entries))


def write_markdown(wlist: WayflessList) -> str:
    blocks: list[str] = []
    if wlist.preamble:
        blocks.append(wlist.preamble)
    for entry in wlist.entries:
        blocks.append(f"## {entry.name}")
        for method in entry.methods:
            if method.label is not None:
                blocks.append(f"### {method.label}")
            previous: Link | Note | None = None
            for item in method.items:
                if isinstance(item, Link):
                    line = f"    {item.url}"
                    # Consecutive URLs stay in one indented code block.
                    if isinstance(previous, Link):
                        blocks[-1] += "\n" + line
                    else:
                        blocks.append(line)
                else:
                    blocks.append(item.text)
                previous = item
    return "\n\n".join(blocks) + "\n" if blocks else ""


def _encoded(value: str, times: int) -> str:
    for _ in range(times):
        value = quote(value, safe="")
    return value


def _decoded(value: str, times: int) -> str:
    for _ in range(times):
        value = unquote(value)
    return value


_HEX = re.compile(r"%[0-9A-F]{2}")


def fill_placeholder(template: str, idp_host: str) -> str:
    """Replace {IDP地址} as the template has it: raw, or percent-encoded once or twice."""
    url = template
    for times in (2, 1):
        form = _encoded(PLACEHOLDER, times)
        for variant in (form, _HEX.sub(lambda m: m.group().lower(), form)):
            url = url.replace(variant, _encoded(idp_host, times))
    return url.replace(PLACEHOLDER, idp_host)


def links_for(entry: Entry, idp_host: str) -> tuple[GeneratedLink, ...]:
    """Every URL of the entry with the institution's IdP host in place."""
    return tuple(
        GeneratedLink(method.label, fill_placeholder(url, idp_host))
        for method in entry.methods
        for url in method.links
    )


def idp_host_of(entity_id: str) -> str:
    """The host of an entityID of the community form https://<host>/idp/shibboleth."""
    parts = urlsplit(entity_id)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError(f"not an http(s) entityID: {entity_id!r}")
    return parts.netloc


# Deep-link templates: {entityID} raw, {entityID%} percent-encoded once;
# {target} raw, {target%} once, {target%%} twice (nested, ScienceDirect-style).
# {IDP地址} is also filled in (from the entityID's host) so community URLs serve.
_SLOT = re.compile(r"\{(entityID|target)(%{0,2})\}")


def deep_link(template: str, entity_id: str, target: str) -> str:
    if not any(m.group(1) == "target" for m in _SLOT.finditer(template)):
        raise ValueError("template has no {target} slot")

    def fill(match: re.Match[str]) -> str:
        value = entity_id if match.group(1) == "entityID" else target
        return _encoded(value, len(match.group(2)))

    url = _SLOT.sub(fill, template)
    if PLACEHOLDER in url or quote(PLACEHOLDER, safe="") in url:
        url = fill_placeholder(url, idp_host_of(entity_id))
    return url


def _query_params(url: str) -> list[tuple[str, str]]:
    # unquote, not unquote_plus: the targets we write encode spaces as %20, and
    # a "+" kept raw in a nested URL must come back as "+".
    query = urlsplit(url).query
    pairs = []
    for part in query.split("&"):
        key, _, value = part.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def target_of(url: str, template: str | None = None) -> str:
    """The page a WAYFless link lands on (the inverse of :func:`deep_link`).

    With the template the target is read exactly from its slot. Without it the
    first target-like parameter is decoded, and while its value is itself a
    URL carrying a target-like parameter (a nested, twice-encoded target),
    the inner one is read.
    """
    if template is not None:
        return _target_by_template(url, template)
    found: str | None = None
    current = url
    for _ in range(5):
        params = dict(reversed(_query_params(current)))
        inner = next((params[p] for p in TARGET_PARAMS if params.get(p)), None)
        # A target encoded twice at the top level reads "https%3A%2F%2F..." once decoded.
        for _again in range(3):
            if inner is None or urlsplit(inner).scheme or "%" not in inner:
                break
            inner = unquote(inner)
        if inner is None or not urlsplit(inner).scheme:
            break
        found = current = inner
    if found is None:
        raise ValueError(f"no target parameter in {url!r}")
    return found


def _target_by_template(url: str, template: str) -> str:
    pattern, levels, pos = "", [], 0
    for match in _SLOT.finditer(template):
        pattern += re.escape(template[pos : match.start()])
        if match.group(1) == "target":
            pattern += f"(?P<t{len(levels)}>.*?)"
            levels.append(len(match.group(2)))
        else:
            pattern += ".*?"
        pos = match.end()
    pattern += re.escape(template[pos:])
    # The {IDP地址} placeholder, raw or encoded, stands for any host.
    for form in (_encoded(PLACEHOLDER, 2), _encoded(PLACEHOLDER, 1), PLACEHOLDER):
        pattern = pattern.replace(re.escape(form), "[^/&?%]*?")
    found = re.fullmatch(pattern, url)
    if found is None or not levels:
        raise ValueError(f"{url!r} does not follow the template")
    return _decoded(found.group("t0"), levels[0])


def to_json(wlist: WayflessList) -> str:
    data = {
        "preamble": wlist.preamble,
        "resources": [
            {
                "name": entry.name,
                "methods": [
                    {"label": m.label, "links": list(m.links), "notes": list(m.notes)}
                    for m in entry.methods
                ],
            }
            for entry in wlist.entries
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


CSV_HEADER = ("resource", "method", "url", "notes")


def to_csv(wlist: WayflessList) -> str:
    """One row per URL; a method's notes repeated on each of its rows."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for entry in wlist.entries:
        for method in entry.methods:
            notes = "\n".join(method.notes)
            for url in method.links:
                writer.writerow((entry.name, method.label or "", url, notes))
    return out.getvalue()
