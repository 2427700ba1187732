"""Template filters for words.py: `{{ library|local_name }}`, `{{ title|quoted }}`,
`{{ day|day }}`, `{{ moment|when }}` and `{{ moment|when_short }}`."""

from django import template

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
