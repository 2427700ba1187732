"""Template filters for words.py: `{{ library|local_name }}`, `{{ title|quoted }}`,
`{{ day|day }}`, `{{ moment|when }}`, `{{ moment|when_short }}`, and the language of
parts: `{{ title|part }}`, `{{ title|quoted_part }}`, `<a{{ title|lang_attr }}>`."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from libreach.core import words

register = template.Library()

register.filter("local_name", words.local_name)
register.filter("quoted", words.quoted_title)


@register.filter
def day(value, style: str = "DATE_FORMAT") -> str:
    return words.format_date(value, style)


@register.filter
def when(value, style: str = "DATETIME_FORMAT") -> str:
    return words.format_datetime(value, style)


@register.filter
def when_short(value) -> str:
    return words.format_datetime(value, "SHORT_DATETIME_FORMAT")


@register.filter(needs_autoescape=True)
def part(value, declared: str = "", autoescape: bool = True) -> str:
    """`{{ title|part }}` or `{{ record.title|part:record.language }}`: the text, escaped,
    in a `<span lang="…">` when its language differs from the page's (WCAG 3.1.2, language
    of parts), so screen readers speak it in its own voice."""
    if value in (None, ""):
        return ""
    text = conditional_escape(value) if autoescape else str(value)
    language = words.foreign_language(value, declared)
    return mark_safe(f'<span lang="{language}">{text}</span>') if language else mark_safe(text)


@register.filter(needs_autoescape=True)
def quoted_part(value, declared: str = "", autoescape: bool = True) -> str:
    """A title in the page language's quotation marks, the title itself marked by `part`:
    《<span lang="en">Dune</span>》."""
    if value in (None, ""):
        return ""
    inner = part(value, declared, autoescape)
    return mark_safe(words.quoted_title(inner))


@register.filter
def lang_attr(value, declared: str = "") -> str:
    """` lang="en"` for an element whose whole text is `value` (an `<a>` or `<td>` holding
    a title), when it differs from the page's language; else nothing."""
    language = words.foreign_language(value, declared)
    return mark_safe(f' lang="{language}"') if language else ""
