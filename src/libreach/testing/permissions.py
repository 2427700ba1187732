"""The permission matrix: every API route, every kind of caller, the status each gets.

Each app lists its routes in `libreach/<app>/tests/permissions.py` as `CASES`, a list of
`RouteCase`. `core/tests/test_permission_matrix.py` runs every case for every actor on a
fresh consortium, checks refusals have the error body and changed nothing, and fails if
any route of the OpenAPI document has no case.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps

# The six callers every route is tried with (the list) ...
CORE_ACTORS = ("anonymous", "reader", "other_reader", "staff", "other_staff", "consortium_admin")
# ... and two more a case may add where the role matters.
EXTRA_ACTORS = ("library_admin", "volunteer")

Setup = Callable[[Any], dict[str, Any]]

# Expectations most routes share.
PUBLIC = dict.fromkeys(CORE_ACTORS, 200)
SIGNED_IN = {**PUBLIC, "anonymous": 401}
# A write by the library's staff: created for them and consortium admins, refused to others.
STAFF_WRITE = {
    "anonymous": 401,
    "reader": 403,
    "other_reader": 403,
    "staff": 201,
    "other_staff": 403,
    "consortium_admin": 201,
}
STAFF_WRITE_EXTRA = {"library_admin": 201, "volunteer": 403}
STAFF_READ = {**STAFF_WRITE, "staff": 200, "consortium_admin": 200}


@dataclass
class RouteCase:
    """One route and what each actor gets from it.

    `path` is the OpenAPI template (`/api/v1/libraries/{lib}/buildings`); `setup(consortium)`
    returns the values that fill it (and may create objects, e.g. the reader's own request);
    `body` is the JSON sent, or a callable of the setup values that returns it.
    """

    method: str
    path: str
    expect: dict[str, int]
    body: dict | Callable[[dict], dict] | None = None
    query: dict | None = None
    setup: Setup | None = None
    name: str = ""
    extra: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        missing = set(CORE_ACTORS) - set(self.expect)
        if missing:
            raise ValueError(f"{self.method} {self.path}: no expectation for {sorted(missing)}")

    @property
    def key(self) -> tuple[str, str]:
        return self.method.upper(), self.path

    @property
    def label(self) -> str:
        return self.name or f"{self.method.upper()} {self.path}"

    def expectations(self) -> dict[str, int]:
        return {**self.expect, **self.extra}


def default_setup(consortium) -> dict[str, Any]:
    return {"lib": consortium.lib.code}


def all_cases() -> list[RouteCase]:
    cases: list[RouteCase] = []
    for config in apps.get_app_configs():
        if not config.name.startswith("libreach."):
            continue
        try:
            module = import_module(f"{config.name}.tests.permissions")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(f"{config.name}.tests"):
                continue
            raise
        cases.extend(module.CASES)
    return cases


def db_fingerprint() -> dict[str, int]:
    """Row counts of every model: a refused write must leave them all as they were."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label not in {"accounts.ApiToken", "sessions.Session", "admin.LogEntry"}
    }
