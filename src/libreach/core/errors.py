"""Domain errors raised by services and selectors.

Each carries a machine code, a human sentence and the HTTP status the API answers with,
so `api` modules only translate and never decide.

The sentence is kept as given (a `gettext_lazy` message, or a plain sentence) with its
parameters, and put together only when read: `detail` speaks the language active at that
moment, so the API answers in the caller's language however early the error was raised.
Write messages as `_("Item %(barcode)s is on loan.")` with `barcode=...` as keyword.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_detail = _("The request is malformed.")

    def __init__(self, detail: str | None = None, *, code: str | None = None, **params):
        self.message = detail if detail is not None else self.default_detail
        self.params = params
        if code:
            self.code = code
        super().__init__(self.message)

    @property
    def detail(self) -> str:
        """The sentence in the active language, with its parameters filled in."""
        if self.params:
            return str(self.message % self.params)
        return str(self.message)

    def __str__(self) -> str:
        return self.detail


class BadRequest(DomainError):
    status = 400
    code = "bad_request"


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"
    default_detail = _("Authentication credentials were missing or wrong.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    default_detail = _("You are not allowed to do this.")


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_detail = _("Not found.")


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_detail = _("This conflicts with the current state.")


class Gone(DomainError):
    """Was there and is no more: an expired link, downloads used up."""

    status = 410
    code = "gone"
    default_detail = _("This is no longer available.")


class RuleViolation(DomainError):
    status = 422
    code = "invalid"
    default_detail = _("The request breaks a rule.")


class TooManyRequests(DomainError):
    """Refused until `retry_after` seconds have passed (the API sends it as Retry-After)."""

    status = 429
    code = "too_many_requests"
    default_detail = _("Too many requests. Try again later.")

    def __init__(self, detail: str | None = None, *, retry_after: int, **params):
        self.retry_after = max(1, int(retry_after))
        params.setdefault("minutes", -(-self.retry_after // 60))
        super().__init__(detail, **params)
