"""PDFs of printed pages (the pick slip): the print view's HTML through WeasyPrint.

The HTML carries its own stylesheet and no external resources. Its font is the package's
own CJK font (libreach.core.fonts, "Libreach Sans SC"), given by an @font-face rule here
and embedded in the PDF, so a slip is readable on a machine with no CJK font installed;
the font file is the only thing the renderer may load.
"""

from __future__ import annotations

import atexit
import threading
import warnings
from functools import cache

from libreach.core.fonts import CJK_FAMILY, CJK_FONT

FONT_URL = CJK_FONT.as_uri()
# Every PDF's text is set in the packaged font, whichever fonts the machine has and the
# template names (a user sheet's !important wins over the page's own rules); elements
# with a font of their own (codes in a monospace font) keep it where the machine has it.
FONT_FACE_CSS = f"""
@font-face {{ font-family: "{CJK_FAMILY}"; src: url("{FONT_URL}"); }}
html, body {{ font-family: "{CJK_FAMILY}", sans-serif !important; }}
"""


@cache
def _fetcher():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class PackagedFontOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url != FONT_URL:
                raise ValueError(f"PDFs load nothing but the packaged font ({url})")
            return URLFetcherResponse(url, CJK_FONT.read_bytes(), {"Content-Type": "font/ttf"})

    return PackagedFontOnly(fail_on_errors=False)


@cache
def _font_face():
    """The font configuration with the packaged font loaded, and its @font-face sheet:
    made once per process (loading the font took a quarter of a slip's rendering)."""
    with warnings.catch_warnings():
        # On a machine without fonts WeasyPrint, when imported, expects "ugly output":
        # not with ours.
        warnings.filterwarnings("ignore", "No fonts configured in FontConfig")
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
    # Let go of it before the interpreter's shutdown, when its clean-up could not run.
    atexit.register(_font_face.cache_clear)
    return fonts, CSS(string=FONT_FACE_CSS, url_fetcher=_fetcher(), font_config=fonts)


# Pango's font map is not safe to use from two threads at once (runserver's threads).
_rendering = threading.Lock()


def html_to_pdf(html: str) -> bytes:
    with _rendering:
        fonts, font_face = _font_face()  # first: it imports WeasyPrint
        from weasyprint import HTML

        return HTML(string=html, url_fetcher=_fetcher()).write_pdf(
            stylesheets=[font_face], font_config=fonts
        )
