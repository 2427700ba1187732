"""API v1: one NinjaAPI; each app contributes a router. Errors all take the contract's shape:
`{"error": "<machine_code>", "detail": "<human sentence>"}`, the sentence in the caller's
language: the language switch's cookie or Accept-Language when sent, else the signed-in
user's language, else the site's (Simplified Chinese). Messages are translated here, when
the answer is made, not where they were raised."""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from libreach.accounts.api import router as accounts_router
from libreach.accounts.auth import anonymous_throttle, api_auth
from libreach.catalog.api import router as catalog_router
from libreach.circulation.api import router as circulation_router
from libreach.consortium.api import router as consortium_router
from libreach.contactless.api import router as contactless_router
from libreach.core.errors import DomainError, TooManyRequests
from libreach.docdelivery.api import router as docdelivery_router
from libreach.eresources.api import router as eresources_router


class LibreachAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Every route may answer 400 (malformed), and every route open to anonymous
        callers 429 (the per-address limit)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        too_many = {
            "description": "Too many requests from this address; see Retry-After",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
        malformed = {**too_many, "description": "Malformed, such as a NUL character anywhere"}
        for operations in schema["paths"].values():
            for operation in operations.values():
                # Any request may be malformed (core.middleware refuses a NUL anywhere).
                operation.setdefault("responses", {}).setdefault(400, malformed)
                if not operation.get("security"):
                    operation.setdefault("responses", {}).setdefault(429, too_many)
        return schema


api = LibreachAPI(
    title="libreach API",
    version="1",
    description="Contactless library services for a consortium of academic libraries.",
    auth=api_auth,
    throttle=[anonymous_throttle],
    urls_namespace="api-v1",
)

_HTTP_CODES = {
    400: "bad_request",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "invalid",
    429: "too_many_requests",
}

# Ninja's own messages (in English only), in words a reader can be shown in either language.
_NINJA_MESSAGES = {
    "Cannot parse request body": _("The request body is not valid JSON."),
    "CSRF check Failed": _(
        "The request was refused: the CSRF check failed. Reload the page and try again."
    ),
}
_HTTP_DETAILS = {
    401: _("Authentication credentials were missing or wrong."),
    404: _("Not found."),
    405: _("This method is not allowed here."),
    429: _("Too many requests. Try again later."),
}


def api_language(request: HttpRequest) -> str:
    """The language the caller reads errors in."""
    if request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) or request.headers.get("Accept-Language"):
        return translation.get_language_from_request(request)
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    language = getattr(user, "language", "") if getattr(user, "is_authenticated", False) else ""
    if language in dict(settings.LANGUAGES):
        return language
    return settings.LANGUAGE_CODE


def error_response(request: HttpRequest, status: int, code: str, detail, **extra) -> HttpResponse:
    """The contract's error body; `detail` (a lazy message, a DomainError, any object
    whose str() is the sentence) is put into words in the caller's language."""
    language = api_language(request)
    with translation.override(language):
        body = {"error": code, "detail": str(detail), **_rendered(extra)}
    response = api.create_response(request, body, status=status)
    response["Content-Language"] = language
    return response


def _rendered(value):
    if isinstance(value, dict):
        return {k: _rendered(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rendered(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)  # a lazy message


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    response = error_response(request, exc.status, exc.code, exc)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error_response(request, 401, "not_authenticated", _HTTP_DETAILS[401])


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    # Ninja sets Retry-After on the response this returns.
    return error_response(request, 429, "too_many_requests", _HTTP_DETAILS[429])


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    message = str(exc)
    detail = next(
        (text for prefix, text in _NINJA_MESSAGES.items() if message.startswith(prefix)),
        _HTTP_DETAILS.get(exc.status_code, message),
    )
    return error_response(
        request, exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), detail
    )


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    """Django's own 400 (`handler400`): a body it cannot parse, such as multipart without a
    boundary, read by the sign-in lockout before any view. The contract's JSON under /api/,
    Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return error_response(request, 400, "bad_request", _("The request is malformed."))
    return defaults.bad_request(request, exception)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", _HTTP_DETAILS[404])


# Pydantic's messages, by error type, with the parameters its context gives.
_PYDANTIC_MESSAGES = {
    "missing": _("This field is required."),
    "string_type": _("Enter text."),
    "string_too_short": _("Enter at least %(min_length)s characters."),
    "string_too_long": _("Enter at most %(max_length)s characters."),
    "int_type": _("Enter a whole number."),
    "int_parsing": _("Enter a whole number."),
    "int_from_float": _("Enter a whole number."),
    "float_type": _("Enter a number."),
    "float_parsing": _("Enter a number."),
    "bool_type": _("Enter true or false."),
    "bool_parsing": _("Enter true or false."),
    "greater_than": _("Enter a value greater than %(gt)s."),
    "greater_than_equal": _("Enter a value of at least %(ge)s."),
    "less_than": _("Enter a value less than %(lt)s."),
    "less_than_equal": _("Enter a value of at most %(le)s."),
    "literal_error": _("Enter one of %(expected)s."),
    "enum": _("Enter one of %(expected)s."),
    "date_type": _("Enter a date as YYYY-MM-DD."),
    "date_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": _("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_inexact": _("Enter a date as YYYY-MM-DD."),
    "datetime_type": _("Enter a date and time in ISO 8601."),
    "datetime_parsing": _("Enter a date and time in ISO 8601."),
    "datetime_from_date_parsing": _("Enter a date and time in ISO 8601."),
    "time_type": _("Enter a time as HH:MM."),
    "time_parsing": _("Enter a time as HH:MM."),
    "list_type": _("Enter a list."),
    "dict_type": _("Enter an object."),
    "model_type": _("Enter an object."),
    "model_attributes_type": _("Enter an object."),
    "too_short": _("Give at least %(min_length)s items."),
    "too_long": _("Give at most %(max_length)s items."),
    "extra_forbidden": _("This field is not allowed."),
    "json_invalid": _("The request body is not valid JSON."),
}


def _message(err: dict) -> str:
    template = _PYDANTIC_MESSAGES.get(err.get("type", ""))
    if template is None:
        return str(err.get("msg"))
    try:
        return str(template) % dict(err.get("ctx") or {})
    except (KeyError, TypeError, ValueError):
        return str(err.get("msg"))


def _describe(err: dict) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query"))
    message = _message(err)
    return f"{loc}: {message}" if loc else message


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    with translation.override(api_language(request)):
        errors = [{"loc": list(e.get("loc", ())), "msg": _message(e)} for e in exc.errors]
        detail = "; ".join(_describe(e) for e in exc.errors) or str(_("The request breaks a rule."))
    return error_response(request, 422, "invalid", detail, fields=errors)


# Routers carry their full paths, so the contract's paths read the same in every api.py.
api.add_router("", accounts_router)
api.add_router("", consortium_router)
api.add_router("", catalog_router)
api.add_router("", contactless_router)
api.add_router("", circulation_router)
api.add_router("", docdelivery_router)
api.add_router("", eresources_router)
