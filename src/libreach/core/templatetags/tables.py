"""Table markup written once: a data table's column headings, for every app's pages."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag
def table_head(*headings: str, hidden: str = "", no_print: str = "") -> SafeString:
    """`<thead>` with a `<th scope="col">` per heading. `hidden` ends it with a column named
    for screen readers only (its cells hold buttons); `no_print` with one left off paper.

    {% table_head _("Barcode") _("Title") hidden=_("Action") %}
    """
    cells = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in headings))
    if hidden:
        cells += format_html('<th scope="col"><span class="visually-hidden">{}</span></th>', hidden)
    if no_print:
        cells += format_html('<th scope="col" class="no-print">{}</th>', no_print)
    return format_html("<thead><tr>{}</tr></thead>", cells)
