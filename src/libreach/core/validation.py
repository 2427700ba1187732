"""Turn Django model validation into the domain's 422 and 409 errors."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import lazy

from libreach.core.errors import Conflict, RuleViolation


def full_clean_or_raise(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    """Validate `obj`; a uniqueness clash is a 409, any other broken rule a 422."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        unique = any(
            e.code in {"unique", "unique_together", "unique_constraint"}
            for errs in getattr(exc, "error_dict", {}).values()
            for e in errs
        )
        detail = lazy(_sentence, str)(exc)  # in words when read: the answer's language
        if unique:
            raise Conflict(detail, code="already_exists") from exc
        raise RuleViolation(detail) from exc


def _sentence(exc: ValidationError) -> str:
    messages = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return "; ".join(
        f"{field}: {' '.join(msgs)}" if field != "__all__" else " ".join(msgs)
        for field, msgs in messages.items()
    )
