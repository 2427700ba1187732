"""Where signing in leads: staff to their desk, readers where they went before.

The sign-in page (`/accounts/login/`) is Django's LoginView with one change: without
a `next` it sends staff (anyone with a role at a library, or a consortium admin) to the
desk — the choice of libraries when they have several, else their library's desk home —
and readers to LOGIN_REDIRECT_URL as before. A `next` on this site still wins: Django
checks it names this host (url_has_allowed_host_and_scheme), so a link elsewhere is
ignored and the user lands as if none had been given.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, UsernameField
from django.contrib.auth.views import LoginView
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from libreach.core import lengths
from libreach.site.desk import desk_libraries


def desk_url_of(user) -> str:
    """The desk `user` works at: their library's desk home, the choice of libraries
    when they have several (or are a consortium admin); "" for anyone else. One query."""
    libraries = desk_libraries(user) if getattr(user, "is_authenticated", False) else []
    if len(libraries) == 1:
        return reverse("desk:library", args=[libraries[0].code])
    return reverse("desk:home") if libraries else ""


def landing_url(user) -> str:
    """Where `user` lands after signing in when no page was asked for."""
    return desk_url_of(user) or resolve_url(settings.LOGIN_REDIRECT_URL)


class SignInForm(AuthenticationForm):
    # Django sets the name's max_length only after building the field, which adds no
    # validator: a longer name went on to authenticate() and django-axes, whose
    # varchar(255) refused it on PostgreSQL with a 500 instead of a form error.
    username = UsernameField(
        max_length=lengths.max_length("accounts.User", "username"),
        error_messages={"max_length": lengths.FORM_TOO_LONG},
        widget=forms.TextInput(attrs={"autofocus": True}),
    )
    # Hashed, so no column's limit; a limit all the same (core.lengths' rule for text).
    password = lengths.text_field(
        max_length=1024,
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class LandingLoginView(LoginView):
    form_class = SignInForm

    def get_default_redirect_url(self) -> str:
        # Called after the form signed the user in, so request.user is the new user.
        return landing_url(self.request.user)
