"""Page cases of the desk's home pages."""

from libreach.testing.pages import DESK, LOGIN, PageCase

CASES = [
    # One library: straight to it; several (a consortium admin): the list; none: refused.
    PageCase(
        "GET",
        "desk/",
        expect={
            "anonymous": LOGIN,
            "reader": 403,
            "other_reader": 403,
            "staff": 302,
            "other_staff": 302,
            "volunteer": 302,
            "library_admin": 302,
            "consortium_admin": 200,
        },
    ),
    # Volunteers open the library's desk too (their runs and the handover start there).
    PageCase("GET", "desk/<str:lib>/", expect={**DESK, "volunteer": 200}),
]
