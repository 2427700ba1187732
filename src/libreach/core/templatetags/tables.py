"""Table markup written once, for every app's pages: a data table (or the line saying it
has no rows) and its column headings."""

from django import template
from django.template.base import token_kwargs
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

register = template.Library()


class DataTableNode(template.Node):
    def __init__(self, rows, options, nodelist):
        self.rows, self.options, self.nodelist = rows, options, nodelist

    def render(self, context) -> SafeString:
        options = {name: value.resolve(context) for name, value in self.options.items()}
        if not self.rows.resolve(context):
            return format_html(
                '<p class="{}">{}</p>',
                options.get("empty_class", "empty"),
                options.get("empty", ""),
            )
        return format_html(
            '<table class="{}">{}</table>',
            options.get("class", "desk-table"),
            self.nodelist.render(context),
        )


@register.tag
def data_table(parser, token) -> DataTableNode:
    """A `<table>` around the body when `rows` has any, else a paragraph saying so.

    {% data_table items class="desk-table" empty=_("Nothing to pick.") empty_class="empty" %}
      {% table_head ... %}<tbody>{% for item in items %}...{% endfor %}</tbody>
    {% end_data_table %}
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("data_table takes the rows, then name=value options")
    options = token_kwargs(bits[2:], parser)
    if len(options) != len(bits) - 2:
        raise template.TemplateSyntaxError("data_table's options are name=value")
    nodelist = parser.parse(("end_data_table",))
    parser.delete_first_token()
    return DataTableNode(parser.compile_filter(bits[1]), options, nodelist)


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
