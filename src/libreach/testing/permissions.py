"""The permission matrix: every API route, every kind of caller, the status each gets.

Each app lists its routes in `libreach/<app>/tests/permissions.py` as `CASES`, a list of
`RouteCase`. `core/tests/test_permission_matrix.py` runs every case for every actor on a
fresh consortium, checks refusals have the error body and changed nothing, and fails if
any route of the OpenAPI document has no case.
"""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import apps

# The six callers every route is tried with (the list) ...
CORE_ACTORS = ("anonymous", "reader", "other_reader", "staff", "other_staff", "consortium_admin")
# ... and two more a case may add where the role matters.
EXTRA_ACTORS = ("library_admin", "volunteer")
ALL_ACTORS = (*CORE_ACTORS, *EXTRA_ACTORS)

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
    # The body is a form with files (multipart), not JSON: an upload route.
    multipart: bool = False

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


def run_case(consortium, api_as, case: RouteCase, actor: str, status: int) -> None:
    """Call the case's route as `actor`; assert the status, and that a refusal has the
    error body and left the database's contents as they were."""
    client = api_as(actor)
    values = (case.setup or default_setup)(consortium)
    path = case.path.format(**values)
    body = case.body(values) if callable(case.body) else case.body
    before = db_fingerprint()

    if case.method.upper() == "GET":
        response = client.get(path, case.query)
    elif case.multipart:
        response = client.client.post(path, body or {}, headers=client.headers)
    else:
        response = client.request(case.method, path, body if body is not None else {})

    assert response.status_code == status, (actor, path, response.content[:500])
    if status >= 400:
        payload = response.json()
        assert set(payload) >= {"error", "detail"}, payload
        assert payload["error"] and payload["detail"]
        changed = changed_tables(before, db_fingerprint())
        assert not changed, f"a refused request changed the database: {changed}"


def app_cases(module: str) -> list:
    """`CASES` of every libreach app's `tests/<module>.py` that has one."""
    cases: list = []
    for config in apps.get_app_configs():
        if not config.name.startswith("libreach."):
            continue
        try:
            found = import_module(f"{config.name}.tests.{module}")
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(f"{config.name}.tests"):
                continue
            raise
        cases.extend(found.CASES)
    return cases


def all_cases() -> list[RouteCase]:
    return app_cases("permissions")


# What a refused call may still change, and why each is not the library's data:
EXCLUDED_TABLES = {
    # The caller's session: Django saves it when a page adds a message or a sign-in
    # rotates it; it belongs to the browser, not to the library.
    "sessions.Session": "the caller's own session",
    # django-axes logs sign-in attempts, refused ones above all: that is its purpose.
    "axes.AccessAttempt": "sign-in attempts are logged by design",
    "axes.AccessFailureLog": "sign-in failures are logged by design",
    "axes.AccessLog": "sign-ins are logged by design",
    # The caller's own credentials: a test client signs in (a new token) when first
    # used, and every use stamps last_used_at (at most once a minute), refused or not.
    "accounts.ApiToken": "the caller's own sign-in",
}
# Columns a refused call may touch in tables that are otherwise compared.
EXCLUDED_COLUMNS: dict[str, set[str]] = {
    # Stamped when the caller signs in, which a test's client may do when first used.
    "accounts.User": {"last_login"},
}


def _fingerprinted_models() -> list:
    from django.db import connection

    existing = set(connection.introspection.table_names())
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.label not in EXCLUDED_TABLES
        and not model._meta.proxy
        and model._meta.managed
        and model._meta.db_table in existing
    ]


def _row_expression(model, vendor: str, quote) -> tuple[str, str]:
    """SQL for one row as text, and the ORDER BY that makes the table's text canonical."""
    skip = EXCLUDED_COLUMNS.get(model._meta.label, set())
    columns = [
        quote(f.column)
        for f in model._meta.concrete_fields
        if f.name not in skip and f.attname not in skip
    ]
    order = quote(model._meta.pk.column)
    if vendor == "postgresql":
        return f"ROW({', '.join(columns)})::text", order
    return " || ',' || ".join(f"quote({c})" for c in columns), order


def _contents_sql() -> tuple[list[str], str]:
    from django.db import connection

    quote = connection.ops.quote_name
    labels, parts = [], []
    for model in _fingerprinted_models():
        row, order = _row_expression(model, connection.vendor, quote)
        table = quote(model._meta.db_table)
        if connection.vendor == "postgresql":
            part = (
                f"(SELECT md5(coalesce(string_agg({row}, '|' ORDER BY {order}), '')) FROM {table})"
            )
        else:
            # SQLite has no md5 and (before 3.44) no ORDER BY inside an aggregate: it
            # concatenates the rows of an ordered subquery, hashed below in Python.
            part = (
                f"(SELECT group_concat(r, '|') FROM (SELECT {row} AS r FROM {table} "
                f"ORDER BY {order}))"
            )
        labels.append(model._meta.label)
        parts.append(part)
    return labels, "SELECT " + ", ".join(parts)


_SQL_CACHE: dict[str, tuple[list[str], str]] = {}


def db_fingerprint() -> dict[str, str]:
    """A hash of the contents of every table (every concrete column, rows ordered by
    primary key), in one statement: a refused call must leave every table as it was,
    not merely with as many rows (an UPDATE keeps the count)."""
    from django.db import connection

    if connection.vendor not in _SQL_CACHE:
        _SQL_CACHE[connection.vendor] = _contents_sql()
    labels, sql = _SQL_CACHE[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(sql)
        values = cursor.fetchone()
    if connection.vendor != "postgresql":
        values = [hashlib.md5((v or "").encode()).hexdigest() for v in values]
    return dict(zip(labels, values, strict=True))


def row_counts() -> dict[str, int]:
    """Row counts of every table, what the matrix compared before contents (kept to show
    what it missed)."""
    return {model._meta.label: model._default_manager.count() for model in _fingerprinted_models()}


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))
