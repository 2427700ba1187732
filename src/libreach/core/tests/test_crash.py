"""Crash safety, the short version of bench/crash.py: gunicorn and the worker killed with
SIGKILL three times under a stream of borrowing requests, on the database the suite runs
on (SQLite, or a scratch database beside the suite's PostgreSQL one). Nothing answered
201 may be lost, no copy held twice, every notice e-mailed once.

No clock is set: the requests need no pickup slot and the library is open every day, all
day, so nothing depends on the time of day.
"""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

SCRIPT = Path(__file__).resolve().parents[4] / "bench" / "crash.py"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SCRIPT.exists(), reason="bench/ is not beside this checkout"),
]


def scratch_postgres_url() -> str:
    """The suite's PostgreSQL server, with a database of this test's own."""
    db = settings.DATABASES["default"]
    auth = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    name = f"{db['NAME']}_crash"[:63]
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def drop_scratch_database() -> None:
    import psycopg

    url = scratch_postgres_url()
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_nothing_answered_is_lost_when_the_server_and_the_worker_are_killed(tmp_path):
    pytest.importorskip("gunicorn")
    vendor = "postgresql" if "postgresql" in settings.DATABASES["default"]["ENGINE"] else "sqlite"
    command = [
        sys.executable, str(SCRIPT), "--databases", vendor, "--kills", "3",
        "--gap", "1", "2.5", "--tail", "1", "--clients", "6", "--workers", "1",
        "--threads", "4", "--records", "60", "--readers", "80", "--work", str(tmp_path),
    ]  # fmt: skip
    if vendor == "postgresql":
        command += ["--postgres", scratch_postgres_url()]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600)
    finally:
        if vendor == "postgresql":
            drop_scratch_database()
    summaries = [
        json.loads(line.removeprefix("# summary "))
        for line in run.stdout.splitlines()
        if line.startswith("# summary ")
    ]
    assert run.returncode == 0 and len(summaries) == 1, run.stdout + run.stderr
    summary = summaries[0]
    assert summary["kills"] == 3
    assert summary["acknowledged"] > 0
    assert (summary["lost"], summary["duplicates"], summary["inconsistent"]) == (0, 0, 0)
