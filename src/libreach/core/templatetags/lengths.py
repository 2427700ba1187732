"""`{% max_length "contactless.BorrowRequest" "shelf_slot" %}`: a hand-written input's
`maxlength`, read from the column it fills (see core.lengths)."""

from django import template

from libreach.core import lengths

register = template.Library()


@register.simple_tag
def max_length(model: str, name: str) -> int:
    return lengths.max_length(model, name)
