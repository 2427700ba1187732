"""Page cases of signing in and out, passwords, and the language switch."""

from libreach.testing.fixtures import PASSWORD
from libreach.testing.pages import LOGIN, PUBLIC, SIGNED_IN, PageCase

ALL_302 = dict.fromkeys(PUBLIC, 302)
SIGNED_IN_302 = {**ALL_302, "anonymous": LOGIN}

CASES = [
    PageCase("GET", "accounts/login/", expect=PUBLIC),
    PageCase(
        "POST",
        "accounts/login/",
        data={"username": "2020000001", "password": PASSWORD},
        expect=ALL_302,
    ),
    PageCase("POST", "accounts/logout/", expect=ALL_302),
    PageCase("GET", "accounts/password_change/", expect=SIGNED_IN),
    PageCase(
        "POST",
        "accounts/password_change/",
        data={
            "old_password": PASSWORD,
            "new_password1": "Reach-2021-changed",
            "new_password2": "Reach-2021-changed",
        },
        expect=SIGNED_IN_302,
    ),
    PageCase("GET", "accounts/password_change/done/", expect=SIGNED_IN),
    PageCase("GET", "accounts/password_reset/", expect=PUBLIC),
    PageCase("POST", "accounts/password_reset/", data={"email": "x@example.org"}, expect=ALL_302),
    PageCase("GET", "accounts/password_reset/done/", expect=PUBLIC),
    PageCase(
        "GET",
        "accounts/reset/<uidb64>/<token>/",
        setup=lambda c: {"uidb64": "MQ", "token": "set-password"},
        expect=PUBLIC,
    ),
    PageCase("GET", "accounts/reset/done/", expect=PUBLIC),
    PageCase("POST", "i18n/setlang/", data={"language": "en", "next": "/"}, expect=ALL_302),
]
