"""API authentication and throttling.

A request that sends an `Authorization` header is judged by that header alone: a wrong,
expired or revoked token, or another scheme, is 401 on every method. It never falls back
to the browser's session, whose CSRF check would answer a token client 403 and whose
cookie the client did not mean to use. Without the header the session may authenticate,
and then (and only then) its CSRF check runs: an anonymous POST is 401 like a GET.
"""

import math
import threading

from django.conf import settings
from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.throttling import SimpleRateThrottle

from libreach.accounts import selectors, services


class BearerToken(HttpBearer):
    def __call__(self, request: HttpRequest):
        header = request.headers.get(self.header)
        if header is None:
            return None  # no credentials of ours: the session may answer
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.openapi_scheme:
            raise AuthenticationError()
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str):
        row = selectors.active_token(token)
        if row is None:
            raise AuthenticationError()
        services.note_token_use(row)
        request.user = row.user
        request.api_token = row  # the token DELETE /auth/token revokes
        return row.user


class SessionAuth(NinjaSessionAuth):
    """The browser's session, with Django's CSRF check, for requests without a token."""

    def __call__(self, request: HttpRequest):
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        return super().__call__(request)


bearer_token = BearerToken()
api_auth = [bearer_token, SessionAuth()]


class AddressRateThrottle(SimpleRateThrottle):
    """Ninja's rate throttle keyed on the client address, for routes open to anonymous callers.

    The rate is read from `settings.LIBREACH_THROTTLE_RATES[scope]` on each request (so it
    can be changed without a restart of the module, and in tests); no rate, or
    `LIBREACH_THROTTLE` off, means no limit. A route that authenticates its caller is not
    counted: the throttle only applies where ninja has set no `request.auth`.
    The per-request state lives in a thread-local, since one throttle object serves every
    thread of a gthread worker. Counts are kept in Django's cache (per process unless
    CACHES names a shared one).
    """

    def __init__(self, scope: str):
        self.scope = scope
        self._state = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        rate = settings.LIBREACH_THROTTLE_RATES.get(self.scope)
        if not settings.LIBREACH_THROTTLE or not rate or getattr(request, "auth", None):
            return True
        num_requests, duration = self.parse_rate(rate)
        key = self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        now = self.timer()
        history = [t for t in self.cache.get(key, []) if t > now - duration]
        state = self._state
        state.wait = None
        if len(history) >= num_requests:
            state.wait = duration - (now - history[-1])
            return False
        history.insert(0, now)
        self.cache.set(key, history, duration)
        return True

    def wait(self) -> float | None:
        wait = getattr(self._state, "wait", None)
        return None if wait is None else max(1, math.ceil(wait))


# Every route open to anonymous callers (the catalogue, the token route, the FAQ assistant
# to come) is limited per address; the token route has its own, lower limit besides.
anonymous_throttle = AddressRateThrottle("anonymous")
sign_in_throttle = AddressRateThrottle("sign_in")
