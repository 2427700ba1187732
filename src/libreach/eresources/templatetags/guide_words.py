"""`{{ text|parts }}`: the language of parts (WCAG 3.1.2) for the mixed names and steps
of e-resources. Database names, vendors' notes and readers' steps mix scripts ("Web of
Science 核心合集", "注册 Elsevier 个人账号并登录 ScienceDirect"); `part` marks a text
as a whole, which leaves the Latin words of a mixed text unmarked on a Chinese page. Here
each Latin run of a mixed text on a Chinese page is its own `<span lang="en">`; any other
text is left to `part`."""

import re

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from libreach.core.templatetags.words import part
from libreach.core.words import page_language

register = template.Library()

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# Latin words with what joins them inside a name (spaces, hyphens, dots, &, digits).
_LATIN = r"A-Za-z\u00c0-\u024f"
LATIN_RUN = re.compile(
    rf"[{_LATIN}][{_LATIN}0-9'’&.+\-]*(?:[ \t]+[{_LATIN}0-9][{_LATIN}0-9'’&.+\-]*)*"
)


@register.filter(needs_autoescape=True)
def parts(value, autoescape: bool = True) -> str:
    if value in (None, ""):
        return ""
    text = str(value)
    if page_language() != "zh" or not HAN.search(text) or not LATIN_RUN.search(text):
        return part(value, autoescape=autoescape)
    escape = conditional_escape if autoescape else str
    pieces, last = [], 0
    for match in LATIN_RUN.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(f'<span lang="en">{escape(match.group())}</span>')
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(str(p) for p in pieces))


@register.filter
def route_kind(code: str) -> str:
    """A route kind's name in the active language (for notices, whose context is codes)."""
    from libreach.eresources.models import RouteKind

    return str(RouteKind(code).label) if code in RouteKind.values else code


@register.filter
def link_status(code: str) -> str:
    """A patrol class's name in the active language."""
    from libreach.eresources.models import PatrolStatus

    return str(PatrolStatus(code).label) if code in PatrolStatus.values else code
