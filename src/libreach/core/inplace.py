"""Pages that answer in place (htmx): a form sent by htmx, or by a scan box, gets back the
fragment it swaps, with the page's messages swapped out-of-band into the live region
(`#messages`, announced by screen readers). The same view still answers a plain form
post with a redirect, so every page works with JavaScript off.

    if inplace.requested(request):
        return inplace.fragment(request, "app/_row.html", context, status=422)
    return redirect(...)

Refusals keep their 4xx status: htmx is configured (base.html) to swap 4xx answers too.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.contrib.auth.decorators import login_required as plain_login_required
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def requested(request: HttpRequest) -> bool:
    """Whether the request came from htmx or a scan box, wanting a fragment back."""
    return request.headers.get("HX-Request") == "true"


def fragment(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    """Render a fragment; the template includes "includes/messages_oob.html" when the
    action's outcome is a message."""
    response = render(request, template, context or {}, status=status)
    # The same URL answers a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


def sign_in_whole(request: HttpRequest, back: str = "") -> HttpResponse:
    """Signed out meanwhile (the session ended): htmx is told to load the sign-in page
    whole (HX-Redirect), coming back to the page the user was on, instead of swapping the
    sign-in page into a button's place."""
    back = back or urlsplit(request.headers.get("HX-Current-URL", "")).path or request.path
    response = HttpResponse(status=401)
    response["HX-Redirect"] = redirect_to_login(back).url
    return response


def login_required(view):
    """Django's login_required for a view that answers in place: a plain request is
    redirected to sign in as before, an htmx one gets `sign_in_whole`."""
    redirecting = plain_login_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated and requested(request):
            return sign_in_whole(request)
        return redirecting(request, *args, **kwargs)

    return wrapper
