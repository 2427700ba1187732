"""Server-side SVG charts for the desk's statistics page (matplotlib, no display).

matplotlib is imported on first use (about a second, once per process); a chart then
renders in about 0.1 s. Nothing but the import is kept between requests. Text stays
text in the SVG (`svg.fonttype: none`), so the browser draws it with the page's CJK font
and it can be selected and read by a screen reader; the page's table is the chart's text
alternative. matplotlib lays the text out with the package's own CJK font
(libreach.core.fonts), registered on first use, so labels are measured right on a server
with no CJK font installed.
"""

from __future__ import annotations

import io
import re
from functools import cache

from libreach.core.fonts import CJK_FAMILY, CJK_FONT

# The packaged font first; the SVG names them all, for the browser to choose from.
CJK_FONTS = [CJK_FAMILY, "WenQuanYi Micro Hei", "Noto Sans CJK SC", "DejaVu Sans", "sans-serif"]
REQUESTED_COLOUR = "#0b5cad"
FULFILLED_COLOUR = "#2e7d4f"


def requested_vs_fulfilled_svg(
    *,
    categories: list[str],
    requested: list[int],
    fulfilled: list[int],
    labels: tuple[str, str],
    title: str,
) -> str:
    """A grouped bar chart, one group per category, as an inline `<svg>` element."""
    import matplotlib

    matplotlib.use("svg", force=False)
    from matplotlib.figure import Figure

    _register_font()

    style = {
        "font.family": "sans-serif",
        "font.sans-serif": CJK_FONTS,
        "font.size": 11,
        "svg.fonttype": "none",
        "svg.hashsalt": "libreach",  # the same chart gives the same SVG
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
    with matplotlib.rc_context(style):
        figure = Figure(figsize=(6.4, 3.2))
        figure.subplots_adjust(left=0.08, right=0.98, top=0.88, bottom=0.12)
        axes = figure.subplots()
        positions = range(len(categories))
        width = 0.38
        left = axes.bar(
            [p - width / 2 for p in positions],
            requested,
            width,
            label=labels[0],
            color=REQUESTED_COLOUR,
        )
        right = axes.bar(
            [p + width / 2 for p in positions],
            fulfilled,
            width,
            label=labels[1],
            color=FULFILLED_COLOUR,
        )
        axes.bar_label(left, padding=2)
        axes.bar_label(right, padding=2)
        axes.set_xticks(list(positions), categories)
        axes.set_title(title)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.set_ylim(0, max([*requested, *fulfilled, 1]) * 1.18)
        axes.legend(frameon=False, loc="upper right")
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata={"Date": None})
    svg = out.getvalue()
    # Inline in HTML: drop the XML prolog and doctype; scale with its container.
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r'(<svg[^>]*?) width="[^"]*" height="[^"]*"', r"\1", svg, count=1)
    return svg


@cache
def _register_font() -> None:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(CJK_FONT))
