"""PDF of a printed pick slip: the print view's HTML through WeasyPrint.

The HTML carries its own stylesheet and no external resources (the CJK font comes from
the system: fonts-wqy-microhei or fonts-noto-cjk), so nothing is fetched while rendering.
"""

from __future__ import annotations


def _no_fetch(url: str, *args, **kwargs):
    raise ValueError(f"pick slips load nothing from elsewhere ({url})")


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, url_fetcher=_no_fetch).write_pdf()
