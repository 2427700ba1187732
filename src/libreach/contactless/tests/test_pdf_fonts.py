"""Slips and charts readable on a machine with no CJK font (issue 7, item 7): the PDF embeds
the package's own font (libreach.core.fonts) and loads nothing else; matplotlib lays out
Chinese labels with it when the system has no CJK font."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from libreach.catalog.services import ItemInput, create_record
from libreach.contactless import charts, pdf, services
from libreach.contactless.desk_views.picklist import _slip_context
from libreach.contactless.tests.test_desk_pages import client_as, submit
from libreach.core.fonts import CJK_FONT

pypdf = pytest.importorskip("pypdf")

# Simplified and traditional titles, full-width punctuation and title marks.
TITLES = ("红楼梦", "紅樓夢（脂評本）", "鲁迅《呐喊》导读：第二版")
PACKAGED = "Libreach-Sans-SC"  # the name WeasyPrint gives the packaged font in a PDF

# A fontconfig that knows no font directory: a fresh machine's server, as far as fonts go.
NO_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<fontconfig><cachedir>{cache}</cachedir></fontconfig>
"""


def embedded_fonts(data: bytes) -> dict[str, bool]:
    """Each font of the PDF's pages: its base name (without the subset tag) and whether
    its program is embedded."""
    fonts = {}
    for page in pypdf.PdfReader(io.BytesIO(data)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            name = str(font["/BaseFont"]).split("+", 1)[-1]
            fonts[name] = any(f"/FontFile{n}" in descriptor for n in ("", "2", "3"))
    return fonts


def text_of(data: bytes) -> str:
    # Without white space: narrow cells wrap a title over lines.
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)
    return re.sub(r"\s+", "", text)


@pytest.fixture
def slip(shelf):
    for title in TITLES[1:]:
        shelf.records[title] = create_record(
            library=shelf.lib,
            title=title,
            call_number="I210/9",
            items=[ItemInput(barcode=f"PKU9{len(shelf.records)}", location="中文书库")],
        )
    submit(shelf, TITLES)
    return services.print_pick_slip(library=shelf.lib, by=shelf.staff)


def test_the_slip_embeds_the_packaged_font(shelf, slip):
    response = client_as(shelf.staff).get(reverse("desk:pick_slip_pdf", args=["PKU", slip.pk]))
    assert response.status_code == 200
    fonts = embedded_fonts(response.content)
    # The slip's text is set in the packaged font, embedded (whatever else the system has).
    assert fonts.get(PACKAGED) is True, fonts
    assert all(fonts.values()), fonts
    text = text_of(response.content)
    for title in TITLES:
        assert title in text


def test_a_slip_is_readable_on_a_machine_without_fonts(shelf, slip, tmp_path):
    # What the README's demo command leaves: WeasyPrint and no font at all. The slip is
    # rendered in a child process whose fontconfig has no font directory.
    html = render_to_string(
        "contactless/desk/pick_slip.html", {**_slip_context(shelf.lib, slip.pk), "for_pdf": True}
    )
    conf = tmp_path / "fonts.conf"
    conf.write_text(NO_FONTS_CONF.format(cache=tmp_path / "fc-cache"))
    env = {**os.environ, "FONTCONFIG_FILE": str(conf), "XDG_CACHE_HOME": str(tmp_path)}
    env.pop("FONTCONFIG_PATH", None)
    if shutil.which("fc-list"):
        listed = subprocess.run(["fc-list"], env=env, capture_output=True, text=True)
        assert listed.stdout.strip() == ""  # really no font
    render = (
        "import sys; from libreach.contactless.pdf import html_to_pdf; "
        "sys.stdout.buffer.write(html_to_pdf(sys.stdin.read()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", render], input=html.encode(), env=env, capture_output=True
    )
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert b"Expect ugly output" not in done.stderr  # no warning about fonts in the log
    data = done.stdout
    assert embedded_fonts(data) == {PACKAGED: True}
    text = text_of(data)
    for title in (*TITLES, "I242.4/1", "PKU011"):
        assert title in text
    if shutil.which("pdffonts"):
        (tmp_path / "slip.pdf").write_bytes(data)
        listing = subprocess.run(
            ["pdffonts", str(tmp_path / "slip.pdf")], capture_output=True, text=True, check=True
        ).stdout.splitlines()[2:]
        assert listing and all(f"+{PACKAGED} " in line for line in listing), listing
        assert all(line.split()[-5:-2] == ["yes", "yes", "yes"] for line in listing), listing


def test_the_renderer_loads_the_packaged_font_and_nothing_else():
    fetch = pdf._fetcher()
    assert fetch(pdf.FONT_URL).read() == CJK_FONT.read_bytes()
    for url in ("file:///etc/passwd", "https://example.com/font.ttf", pdf.FONT_URL + ".bak"):
        with pytest.raises(ValueError):
            fetch(url)
    # A page asking for other things still renders, without them.
    html = '<p>书<img src="file:///etc/passwd"><img src="https://example.com/x.png"></p>'
    assert pdf.html_to_pdf(html).startswith(b"%PDF-")


@pytest.fixture
def only_matplotlibs_own_fonts(monkeypatch):
    """matplotlib as on a machine with no system font: only the DejaVu fonts it ships."""
    import matplotlib
    from matplotlib import font_manager

    own = Path(matplotlib.get_data_path())
    manager = font_manager.fontManager
    monkeypatch.setattr(
        manager, "ttflist", [f for f in manager.ttflist if Path(f.fname).is_relative_to(own)]
    )
    charts._register_font.cache_clear()
    manager._findfont_cached.cache_clear()
    yield font_manager
    charts._register_font.cache_clear()
    manager._findfont_cached.cache_clear()


def test_charts_lay_chinese_out_with_the_packaged_font(only_matplotlibs_own_fonts):
    font_manager = only_matplotlibs_own_fonts
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        svg = charts.requested_vs_fulfilled_svg(
            categories=["送书上门", "到馆自取"],
            requested=[3, 4],
            fulfilled=[2, 1],
            labels=("申请", "完成"),
            title="紅樓夢与《呐喊》",
        )
    # Without a CJK font matplotlib warns "Glyph ... missing from font(s) DejaVu Sans".
    assert [str(w.message) for w in caught if "missing from font" in str(w.message)] == []
    found = font_manager.findfont(
        font_manager.FontProperties(family=charts.CJK_FONTS[0]), fallback_to_default=False
    )
    assert Path(found) == CJK_FONT
    assert "送书上门" in svg and "Libreach Sans SC" in svg
