"""API v1: one NinjaAPI; each app contributes a router. Errors all take the contract's shape:
`{"error": "<machine_code>", "detail": "<human sentence>"}`."""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled, ValidationError

from libreach.accounts.api import router as accounts_router
from libreach.accounts.auth import anonymous_throttle, api_auth
from libreach.catalog.api import router as catalog_router
from libreach.circulation.api import router as circulation_router
from libreach.consortium.api import router as consortium_router
from libreach.contactless.api import router as contactless_router
from libreach.core.errors import DomainError, TooManyRequests


class LibreachAPI(NinjaAPI):
    def get_openapi_schema(self, *args, **kwargs):
        """Every route open to anonymous callers may answer 429 (the per-address limit)."""
        schema = super().get_openapi_schema(*args, **kwargs)
        too_many = {
            "description": "Too many requests from this address; see Retry-After",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
        }
        for operations in schema["paths"].values():
            for operation in operations.values():
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


def error_response(
    request: HttpRequest, status: int, code: str, detail: str, **extra
) -> HttpResponse:
    return api.create_response(request, {"error": code, "detail": detail, **extra}, status=status)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    response = error_response(request, exc.status, exc.code, exc.detail)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return error_response(
        request, 401, "not_authenticated", "Authentication credentials were missing or wrong."
    )


@api.exception_handler(Throttled)
def _throttled(request, exc: Throttled):
    # Ninja sets Retry-After on the response this returns.
    return error_response(request, 429, "too_many_requests", "Too many requests. Try again later.")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return error_response(
        request, exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), str(exc)
    )


@api.exception_handler(Http404)
def _not_found(request, exc):
    return error_response(request, 404, "not_found", "Not found.")


def _describe(err: dict) -> str:
    loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload", "query"))
    return f"{loc}: {err.get('msg')}" if loc else str(err.get("msg"))


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors]
    detail = "; ".join(_describe(e) for e in exc.errors) or "The request breaks a rule."
    return error_response(request, 422, "invalid", detail, fields=errors)


# Routers carry their full paths, so the contract's paths read the same in every api.py.
api.add_router("", accounts_router)
api.add_router("", consortium_router)
api.add_router("", catalog_router)
api.add_router("", contactless_router)
api.add_router("", circulation_router)
