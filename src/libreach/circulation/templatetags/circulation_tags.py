"""Template helpers for the reader pages: the due-soon banner, and ISO dates from
notices' JSON contexts as dates the `date` filter formats in the reader's language."""

import datetime as dt

from django import template

from libreach.circulation import selectors

register = template.Library()


@register.inclusion_tag("circulation/includes/due_soon_banner.html", takes_context=True)
def due_soon_banner(context) -> dict:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"counts": None}
    return {
        "counts": selectors.due_soon_counts(request.user),
        "days": selectors.DUE_SOON_DAYS,
        "on_loans_page": request.resolver_match is not None
        and request.resolver_match.view_name == "circulation:loans",
    }


@register.filter
def as_date(value: str) -> dt.date | str:
    """ "2026-03-05" -> date(2026, 3, 5); anything else as it is."""
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return value


@register.filter
def yuan(fen: int) -> str:
    """A sum in fen as yuan with two decimals: 30 -> "0.30"."""
    return f"{fen // 100}.{fen % 100:02d}"
