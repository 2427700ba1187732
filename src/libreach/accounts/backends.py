"""Authentication backends (settings.AUTHENTICATION_BACKENDS)."""

from axes.backends import AxesStandaloneBackend
from django.http import HttpRequest


class SignInLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check, first in the list: a locked-out sign-in goes no further.

    Only sign-ins that come with a request (the sign-in page, the token route) are
    counted and refused; one without (a management command, the test client's `login`)
    has no address to count and is left to the next backend.
    """

    def authenticate(self, request: HttpRequest | None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)
