"""Domain errors raised by services and selectors.

Each carries a machine code, a human sentence and the HTTP status the API answers with,
so `api` modules only translate and never decide.
"""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_detail = _("The request is malformed.")

    def __init__(self, detail: str | None = None, *, code: str | None = None):
        self.detail = str(detail if detail is not None else self.default_detail)
        if code:
            self.code = code
        super().__init__(self.detail)


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


class RuleViolation(DomainError):
    status = 422
    code = "invalid"
    default_detail = _("The request breaks a rule.")
