"""`{% desk_url as url %}`: the header's way to the desk, for staff only."""

from django import template

from libreach.site.landing import desk_url_of

register = template.Library()


@register.simple_tag(takes_context=True)
def desk_url(context) -> str:
    """The user's desk (site.landing.desk_url_of), "" for readers and anonymous
    visitors: one query on a page seen signed in, none otherwise."""
    return desk_url_of(context.get("user"))
