"""Sign-in lockout, as django-axes keeps it (settings: the axes block).

Axes counts failed sign-ins per account and per address in the database (so every web
process and machine agrees) and refuses further attempts, even with the right password,
once either reaches the limit within the cool-off time. This module gives axes the
account's name in the form people sign in with, tells how long the wait still is, and
answers a locked-out sign-in page with a page in the reader's language.
"""

import logging
import math

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off
from django.conf import settings
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from libreach.core import normalise

log = logging.getLogger(__name__)


def username_of(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account an attempt was for, in one form (AXES_USERNAME_CALLABLE).

    "２０２０００００１ " and "2020000001" are one card: counted together, so typing a
    card number another way does not get round its limit.
    """
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username")
    return normalise.card_number(raw).lower() if raw is not None else None


def seconds_left(request: HttpRequest) -> int:
    """How long a locked-out attempt must still wait, in whole seconds (at least 1).

    The lock lifts once the failures within the cool-off time fall below the limit; the
    last failure counted plus the cool-off time is when that has surely happened.
    """
    cool_off = get_cool_off(request)
    handler = AxesProxyHandler.get_implementation()
    credentials = getattr(request, "axes_credentials", None)
    latest = None
    for attempts in handler.get_user_attempts(request, credentials):
        last = attempts.aggregate(last=Max("attempt_time"))["last"]
        if last is not None and (latest is None or last > latest):
            latest = last
    if latest is None or cool_off is None:
        return 1
    return max(1, math.ceil((latest + cool_off - timezone.now()).total_seconds()))


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: what a locked-out sign-in gets.

    The API's token route has already answered 429 in the contract's shape (the service
    raised TooManyRequests); that answer stands. A page gets a page, with Retry-After.
    """
    if original_response is not None and original_response.status_code == 429:
        return original_response
    wait = seconds_left(request)
    response = render(
        request,
        "registration/locked_out.html",
        {"minutes": math.ceil(wait / 60)},
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


def log_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Receiver of axes' user_locked_out: at the lock and at each attempt refused by it."""
    log.warning("sign-in locked out: account %r, address %s", username, ip_address)


def client_address(request: HttpRequest) -> str | None:
    """The caller's address (AXES_CLIENT_IP_CALLABLE), as Ninja's throttles take it.

    Behind LIBREACH_PROXY_COUNT proxies it is the one the outermost proxy saw; a client's
    own X-Forwarded-For is never believed, or it could choose a fresh address per try.
    """
    proxies = settings.LIBREACH_PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not forwarded:
        return request.META.get("REMOTE_ADDR")
    addresses = [a.strip() for a in forwarded.split(",")]
    return addresses[-min(proxies, len(addresses))]
