"""Template helpers for the reader pages: the basket in the header and on the
catalogue's pages, which copies a reader can put in it (from prefetched items, so
a page of results costs no extra query), and what the record page tells a reader about
a book they already have or may not ask this library for."""

from dataclasses import dataclass

from django import template

from libreach.accounts.selectors import reader_profile
from libreach.catalog.models import ItemStatus
from libreach.contactless import basket, policies
from libreach.contactless.selectors import held_by

register = template.Library()


def _user(context):
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    return request.user


@register.simple_tag(takes_context=True)
def basket_count(context) -> int:
    user = _user(context)
    return basket.count(user) if user is not None else 0


@register.simple_tag(takes_context=True)
def basket_record_ids(context) -> set[int]:
    user = _user(context)
    return basket.record_ids(user) if user is not None else set()


@register.simple_tag(takes_context=True)
def basket_item_ids(context) -> set[int]:
    user = _user(context)
    return basket.item_ids(user) if user is not None else set()


@register.simple_tag(takes_context=True)
def lending_library_ids(context) -> set[int] | None:
    """The libraries whose books the signed-in reader may ask for here (their own and those
    lending to its readers), for a page of results: one query. None for anyone else."""
    reader = reader_profile(_user(context))
    if reader is None:
        return None
    return policies.lending_library_ids(reader)


@register.simple_tag(takes_context=True)
def reader_held(context) -> policies.Held | None:
    """What the signed-in reader has (loans, open requests), for a page of results: two
    queries. None for anyone else."""
    reader = reader_profile(_user(context))
    return held_by(reader) if reader is not None else None


@register.filter
def had_in(record, held) -> policies.AlreadyHas | None:
    """policies.already_has for a record ("any copy") and what `reader_held` read."""
    return policies.already_has(held, record) if held is not None else None


@dataclass
class ReaderAndRecord:
    reader: object  # the signed-in reader's card
    terms: str  # policies.lending_terms: HOME, RECIPROCAL or DOCUMENT_DELIVERY
    had: policies.AlreadyHas | None  # the reader has the book already

    @property
    def may_add(self) -> bool:
        return self.terms != policies.DOCUMENT_DELIVERY and self.had is None

    @property
    def may_add_copies(self) -> bool:
        return self.terms != policies.DOCUMENT_DELIVERY


@register.simple_tag(takes_context=True)
def reader_and_record(context, record) -> ReaderAndRecord | None:
    """For a signed-in reader on a record's page: may they ask for it, and do they have it
    already (the rules the basket and the request apply). None for anyone else."""
    reader = reader_profile(_user(context))
    if reader is None:
        return None
    return ReaderAndRecord(
        reader=reader,
        terms=policies.lending_terms(reader, record.library),
        had=policies.already_has(held_by(reader), record),
    )


@register.filter
def requestable(item) -> bool:
    """The copy can go in a basket now: loanable and on the shelf."""
    return item.loanable and item.status == ItemStatus.AVAILABLE


@register.filter
def has_requestable_copy(record) -> bool:
    return any(requestable(item) for item in record.items.all())
