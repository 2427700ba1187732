"""Template helpers for the reader pages: the basket in the header and on the
catalogue's pages, and which copies a reader can put in it (from prefetched items, so
a page of results costs no extra query)."""

from django import template

from libreach.catalog.models import ItemStatus
from libreach.contactless import basket

register = template.Library()


@register.simple_tag(takes_context=True)
def basket_count(context) -> int:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return 0
    return basket.count(request.session)


@register.simple_tag(takes_context=True)
def basket_record_ids(context) -> set[int]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return set()
    return basket.record_ids(request.session)


@register.simple_tag(takes_context=True)
def basket_item_ids(context) -> set[int]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return set()
    return basket.item_ids(request.session)


@register.filter
def requestable(item) -> bool:
    """The copy can go in a basket now: loanable and on the shelf."""
    return item.loanable and item.status == ItemStatus.AVAILABLE


@register.filter
def has_requestable_copy(record) -> bool:
    return any(requestable(item) for item in record.items.all())
