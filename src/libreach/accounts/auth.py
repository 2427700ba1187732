"""API authentication: a bearer token, or the browser's session (with CSRF)."""

from django.http import HttpRequest
from ninja.security import HttpBearer, django_auth

from libreach.accounts import selectors


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str):
        user = selectors.user_for_token(token)
        if user is not None:
            request.user = user
        return user


api_auth = [BearerToken(), django_auth]


def optional_user(request: HttpRequest):
    """The caller on a public route: token user, session user, or an anonymous user."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        user = selectors.user_for_token(header[7:].strip())
        if user is not None:
            return user
    return request.user
