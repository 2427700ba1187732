"""One length for a text column, wherever its value comes in: a page's form, the API's
schema, the template's `maxlength`, the service that writes it.

Each reads the limit from the model field (`Model._meta.get_field(name).max_length`), so a
migration that widens a column widens every way in with it. Too long is refused with a
sentence in the caller's language, never cut: SQLite would store any length and
PostgreSQL would raise DataError (a 500), and a silent cut breaks what reads it later.

`core` imports no app: callers pass their model class (or "app_label.Model").
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.apps import apps
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from ninja import Field
from pydantic_core import PydanticUndefined

from libreach.core.errors import RuleViolation

# The key under which a schema field names its column (in the OpenAPI as well).
COLUMN_KEY = "x-column"

# Django's own "Ensure this value has at most…" is vague about which field; the form shows
# this beside the field, and the API's 422 says the same ("Enter at most %(max_length)s").
FORM_TOO_LONG = _("Enter at most %(limit_value)d characters (this has %(show_value)d).")


def model_field(model: type[models.Model] | str, name: str) -> models.Field:
    if isinstance(model, str):
        model = apps.get_model(model)
    return model._meta.get_field(name)


def max_length(model: type[models.Model] | str, name: str) -> int:
    """The column's limit; an error at import if the field has none (a TextField)."""
    limit = model_field(model, name).max_length
    if not limit:
        raise TypeError(f"{model}.{name} has no max_length")
    return limit


def column_label(model: type[models.Model] | str, name: str) -> str:
    field = model_field(model, name)
    return f"{field.model._meta.label}.{name}"


def form_field(model: type[models.Model] | str, name: str, **kwargs: Any) -> forms.CharField:
    """A form's CharField for a column: its max_length (rendered as `maxlength`), required
    unless the column may be blank, and a clear message when too long. `column` names the
    column for the length tests."""
    field = model_field(model, name)
    kwargs.setdefault("label", capfirst(field.verbose_name))
    kwargs.setdefault("required", not field.blank)
    messages = {"max_length": FORM_TOO_LONG, **kwargs.pop("error_messages", {})}
    result = forms.CharField(max_length=max_length(model, name), error_messages=messages, **kwargs)
    result.column = column_label(model, name)
    return result


def text_field(*, max_length: int, **kwargs: Any) -> forms.CharField:
    """A form's CharField for text that fills no column (a slot's time, an ID number that
    is only hashed): a limit all the same, said as clearly as a column's."""
    messages = {"max_length": FORM_TOO_LONG, **kwargs.pop("error_messages", {})}
    return forms.CharField(max_length=max_length, error_messages=messages, **kwargs)


def schema_field(
    model: type[models.Model] | str, name: str, default: Any = PydanticUndefined, **kwargs: Any
) -> Any:
    """A Ninja schema's Field for a column: max_length from the model (the API's 422
    "Enter at most N characters" when longer), the column named under `x-column`."""
    extra = {COLUMN_KEY: column_label(model, name), **kwargs.pop("json_schema_extra", {})}
    return Field(default, max_length=max_length(model, name), json_schema_extra=extra, **kwargs)


def require_fits(model: type[models.Model] | str, name: str, value: str | None) -> None:
    """Refuse (422, code "too_long") a value longer than its column, before anything is
    written: the services' own guard, for callers that skip the form or the schema."""
    if value is None:
        return
    limit = max_length(model, name)
    if len(value) > limit:
        raise RuleViolation(
            _("%(field)s: enter at most %(max_length)d characters (this has %(length)d)."),
            code="too_long",
            field=capfirst(model_field(model, name).verbose_name),
            max_length=limit,
            length=len(value),
        )
