"""Refuse requests carrying a NUL character, on both databases alike.

PostgreSQL cannot hold U+0000 in text, not even as a query parameter: a NUL in a path
(`/api/v1/libraries/%00`), a query string or a JSON string reached the database and came
back as a 500 there, while SQLite stored it. No name, code or sentence a person types
contains one, so the request is malformed: 400 before any view runs.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext

# How a NUL is spelt in each kind of body this checks; other bodies (file uploads) may
# hold NUL bytes and go to their form fields, which refuse NUL in text themselves.
# (An escaped backslash before "u0000" is refused too: no one types that either.)
_NUL_IN_BODY = {
    "application/json": (b"\x00", b"\\u0000"),
    "application/x-www-form-urlencoded": (b"\x00", b"%00"),
}


def _in_query(request: HttpRequest) -> bool:
    return any("\x00" in key + "".join(values) for key, values in request.GET.lists())


def _has_nul(request: HttpRequest) -> bool:
    if "\x00" in request.path or _in_query(request):
        return True
    spellings = _NUL_IN_BODY.get(request.content_type or "")
    if not spellings or request.method in ("GET", "HEAD"):
        return False
    try:
        body = request.body
    except RequestDataTooBig:
        return False  # refused with its own 400 where the body is read
    return any(spelling in body for spelling in spellings)


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _has_nul(request):
            return self.get_response(request)
        detail = gettext("The request contains a NUL character, which no field may hold.")
        if request.path.startswith("/api/"):
            return JsonResponse({"error": "bad_request", "detail": detail}, status=400)
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
