"""Crash safety: gunicorn and the worker killed with SIGKILL under a stream of borrowing requests.

    python bench/crash.py [--kills 10] [--databases sqlite,postgresql] [--postgres URL]

Needs gunicorn (`pip install -e ".[bench]"`). For each database in turn (a fresh SQLite
file in bench/results/crash/, WAL and synchronous=FULL as in production; then PostgreSQL:
the database named by --postgres is dropped and created afresh, so give a scratch name;
without it, `<name>_crash` beside the database $DATABASE_URL names; without either, a
temporary cluster is started here):

1. a library open every day, --records records with 1-3 copies each, --readers readers
   with an e-mail address and an API token, two staff with tokens;
2. gunicorn (gthread) serving the API on 127.0.0.1 and `libreach worker` beside it, each
   in its own process group;
3. --clients reader threads POST /api/v1/borrow-requests (delivery or pickup, 1-3 lines,
   by record or by barcode, drawn at random so that some ask for a copy another request
   holds: 409), and cancel some of their requests at once; --staff desk threads mark the
   lines of other acknowledged requests found (or not found), disinfect and stage them,
   which queues "ready" and "unfilled" notices for the worker to e-mail;
4. every --gap seconds (random within the range) both process groups (gunicorn's master
   and workers, and the worker) get SIGKILL, --kills times, and are started again while
   the clients carry on: a connection error is "not acknowledged", never retried. A share
   of the kills (--aim) waits, within its gap, for the worker to be running a task, so
   that some land while a notice is being sent;
5. then the clients stop, one last `libreach worker --once` sends what is left, and the
   database is checked:
   - lost: a request answered 201 that is missing, or whose lines differ from the answer;
     an answered cancel or stage that did not stick; a notice queued but never sent;
   - duplicates: a copy held by two open lines; a notice e-mailed as two messages, or
     e-mail nobody queued. The same message e-mailed again (one Message-ID: a worker
     killed after handing it to the mail server and before its commit) is counted apart,
     as resent: no sender can rule that out; a mail system can recognise the copy;
   - inconsistent: a request whose lines disagree with its status, a copy whose status
     disagrees with the line holding it (or held by none), a notice the state calls for
     that was never queued, a task left unfinished;
   - SQLite: PRAGMA integrity_check and foreign_key_check. PostgreSQL: the same relational
     checks (no amcheck); its constraints and foreign keys are enforced by the server.

Prints requests sent, acknowledged, lost, duplicates, kills and notices per database, and
exits 1 if anything was lost, duplicated or inconsistent. E-mail goes to files (Django's
file-based backend, bench/crash_settings.py). A few minutes per database by default; the
test suite runs a short version (src/libreach/core/tests/test_crash.py).
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import api_tokens, circulation_staff_tokens, figure, machine  # noqa: E402

RESULTS = BENCH / "results" / "crash"
LIBRARY = "CRS"
PASSWORD = "bench-only-password"
NOTICE_TASK = "send_notice_task"  # the function's name: its module may move
# A line that holds its copy, and the copy's statuses that agree with it.
HOLDING = {
    "requested": {"requested"},
    "found": {"in_process"},
    "disinfected": {"in_process"},
    "staged": {"staged", "in_transit"},
}
HELD_ITEM_STATES = {"requested", "in_process", "staged", "in_transit"}


# --- the processes under test --------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Services:
    """gunicorn and `libreach worker`, each the leader of its own process group."""

    def __init__(self, port: int, workers: int, threads: int, logs: Path):
        self.port, self.workers, self.threads, self.logs = port, workers, threads, logs
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None
        self.starts = 0

    def _spawn(self, command: list[str], name: str) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        try:
            return subprocess.Popen(
                command, env=os.environ.copy(), start_new_session=True,
                stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        finally:
            log.close()

    def start(self) -> float:
        """Start both; returns the seconds until gunicorn answered."""
        began = time.monotonic()
        self.starts += 1
        self.worker = self._spawn(
            [sys.executable, "-m", "libreach", "worker", "--interval", "0.5"], "worker"
        )
        self.server = self._spawn(
            [
                sys.executable, "-m", "gunicorn", "libreach.wsgi:application",
                "--bind", f"127.0.0.1:{self.port}", "--worker-class", "gthread",
                "--workers", str(self.workers), "--threads", str(self.threads),
                "--backlog", "256", "--log-level", "warning",
            ],
            "gunicorn",
        )  # fmt: skip
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise SystemExit(f"gunicorn exited with {self.server.returncode}: see {self.logs}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    return time.monotonic() - began
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"gunicorn did not answer within 90 s: see {self.logs}")

    def kill(self) -> None:
        """SIGKILL to both process groups (master, its workers; the worker), then reap."""
        for process in (self.server, self.worker):
            if process is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
        for process in (self.server, self.worker):
            if process is not None:
                process.wait()
        # gunicorn's workers are the master's children: gone with the group, but make sure
        # none still holds the port or a database lock before the next start.
        for process in (self.server, self.worker):
            if process is not None:
                while _group_alive(process.pid):
                    time.sleep(0.02)

    def stop(self) -> None:
        for process in (self.server, self.worker):
            if process is not None and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in (self.server, self.worker):
            if process is not None:
                try:
                    process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


# --- the library ---------------------------------------------------------------------------


def build_library(records: int, readers: int, rng: random.Random) -> dict:
    """The library, its catalogue, readers with e-mail and tokens, staff with tokens."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from libreach.accounts.models import ReaderProfile, User
    from libreach.catalog.callnumbers import shelving_key
    from libreach.catalog.models import Item, MarcFormat, Record
    from libreach.catalog.services import search_columns
    from libreach.consortium import services as consortium_services

    library = consortium_services.create_library(
        code=LIBRARY, name="京华大学图书馆", name_en="Jinghua University Library"
    )
    building = consortium_services.create_building(library=library, code="DORM1", name="宿舍1号楼")
    consortium_services.create_service_point(
        library=library, code="EAST", name="总馆东门取书点", is_pickup=True
    )
    # Open every day, all day: nothing here depends on the time of day (no slots booked).
    consortium_services.set_weekly_hours(
        library=library, hours={d: [(dt.time(0), dt.time(23, 59))] for d in range(7)}
    )
    expires = timezone.now() + dt.timedelta(days=1)
    with transaction.atomic():
        rows = Record.objects.bulk_create(
            Record(
                library=library,
                title=f"封馆时期的书 第{n}种",
                authors=[f"作者{n}"],
                call_number=(number := f"I{n % 97}.{n % 7}/{n}"),
                marc_format=MarcFormat.NONE,
                **search_columns(authors=[f"作者{n}"], isbns=[], call_numbers=[number]),
            )
            for n in range(1, records + 1)
        )
        items = [
            Item(
                record=record,
                library=library,
                barcode=f"C{n:05}{copy}",
                call_number=record.call_number,
                shelving_key=shelving_key(record.call_number),
            )
            for n, record in enumerate(rows, start=1)
            for copy in range(1, rng.randint(1, 3) + 1)
        ]
        Item.objects.bulk_create(items)
        password = make_password(PASSWORD)
        users = User.objects.bulk_create(
            User(
                username=f"3030{n:06}", name=f"读者{n}", password=password,
                email=f"reader{n}@crash.example.edu.cn",
            )
            for n in range(readers)
        )  # fmt: skip
        ReaderProfile.objects.bulk_create(
            ReaderProfile(
                user=user, library=library, card_number=user.username,
                reader_type="graduate", building=building,
            )
            for user in users
        )  # fmt: skip
        tokens = api_tokens(users, expires)

    staff = circulation_staff_tokens(library, "crs-circ", 2, PASSWORD, expires)
    return {
        "records": [r.pk for r in rows],
        "barcodes": [i.barcode for i in items],
        "readers": [(user.pk, token) for user, token in zip(users, tokens, strict=True)],
        "staff": staff,
        "copies": len(items),
    }


# --- the stream ----------------------------------------------------------------------------


class Http:
    """One keep-alive connection. Any failure is returned, not retried: a POST whose answer
    never came may or may not have been done, and the reader was told nothing."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body=None) -> tuple[int, object]:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request(method, path, body=json.dumps(body or {}).encode(), headers=headers)
            response = self.conn.getresponse()
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, type(exc).__name__


class Ledger:
    """Everything the clients were told, shared by their threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.statuses: Counter = Counter()
        self.acknowledged: dict[int, dict] = {}  # request id -> reader, mode, line ids
        self.cancelled: set[int] = set()  # cancels answered 200
        self.staged: set[int] = set()  # stages answered 200
        self.resolved: dict[int, str] = {}  # line id -> found / not_found, answered 200
        self.to_pick: list[int] = []

    def count(self, what: str) -> None:
        with self.lock:
            self.statuses[what] += 1


def reader_client(port: int, world: dict, ledger: Ledger, stop: threading.Event,
                  budget: list[int], seed: int, cancel_share: float, desk_share: float) -> None:  # fmt: skip
    rng = random.Random(seed)
    conns: dict[str, Http] = {}
    while not stop.is_set():
        with ledger.lock:
            if budget[0] <= 0:
                return
            budget[0] -= 1
        user_id, token = rng.choice(world["readers"])
        lines = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            if rng.random() < 0.5:
                lines.append({"record": rng.choice(world["records"])})
            else:
                lines.append({"item": rng.choice(world["barcodes"])})
        mode = rng.choice(("delivery", "pickup"))
        body = {"library": LIBRARY, "mode": mode, "lines": lines}
        if mode == "pickup":
            body["service_point"] = "EAST"
        conn = conns.setdefault(token, Http(port, token))
        status, answer = conn.call("POST", "/api/v1/borrow-requests", body)
        ledger.count(f"submit {status or answer}")
        if status == 0:
            time.sleep(0.2)  # the server is down: the reader tries again a little later
            continue
        if status != 201:
            continue
        request_id = answer["id"]
        with ledger.lock:
            ledger.acknowledged[request_id] = {
                "reader": user_id, "mode": mode, "lines": sorted(line["id"] for line in answer["lines"]),
            }  # fmt: skip
        roll = rng.random()
        if roll < cancel_share:
            status, _ = conn.call("POST", f"/api/v1/borrow-requests/{request_id}/cancel")
            ledger.count(f"cancel {status}")
            if status == 200:
                with ledger.lock:
                    ledger.cancelled.add(request_id)
        elif roll < cancel_share + desk_share:
            with ledger.lock:
                ledger.to_pick.append(request_id)


def desk_client(port: int, token: str, ledger: Ledger, stop: threading.Event, seed: int) -> None:
    """Picks acknowledged requests: each line found (or, one in eight, not found), then
    disinfects and stages. A step that got no answer is tried again; 409 means it was done
    (the answer was lost) or the reader cancelled first."""
    rng = random.Random(seed)
    conn = Http(port, token)

    def step(path: str, body: dict | None = None) -> int:
        while True:
            status, _ = conn.call("POST", path, body)
            if status != 0:
                ledger.count(f"desk {status}")
                return status
            if stop.is_set():
                return 0
            time.sleep(0.1)

    while not stop.is_set():  # a request begun is finished; the rest wait
        with ledger.lock:
            request_id = ledger.to_pick.pop(0) if ledger.to_pick else None
            lines = ledger.acknowledged[request_id]["lines"] if request_id else []
        if request_id is None:
            time.sleep(0.05)
            continue
        base = f"/api/v1/borrow-requests/{request_id}"
        found = 0
        for line in lines:
            if rng.random() < 0.125:
                status = step(f"{base}/lines/{line}/not-found", {"reason": "not_on_shelf"})
                outcome = "not_found"
            else:
                status = step(f"{base}/lines/{line}/found")
                outcome = "found"
            if status == 200:
                with ledger.lock:
                    ledger.resolved[line] = outcome
            found += outcome == "found"
        disinfected = found and step(f"{base}/disinfect", {"method": "uv", "minutes": 30}) == 200
        if disinfected and step(f"{base}/stage") == 200:
            with ledger.lock:
                ledger.staged.add(request_id)


def run_stream(args, world: dict, services: Services, rng: random.Random) -> dict:
    """The clients, with the kills; returns what they were told and the kill figures."""
    ledger = Ledger()
    stop = threading.Event()
    budget = [args.requests]
    threads = [
        threading.Thread(
            target=reader_client,
            args=(
                services.port,
                world,
                ledger,
                stop,
                budget,
                rng.randrange(2**32),
                args.cancel_share,
                args.desk_share,
            ),
        )  # fmt: skip
        for _ in range(args.clients)
    ]
    threads += [
        threading.Thread(
            target=desk_client, args=(services.port, token, ledger, stop, rng.randrange(2**32))
        )
        for token in world["staff"][: args.staff]
    ]
    restarts: list[float] = []
    began = time.monotonic()
    for thread in threads:
        thread.start()
    kills = aimed = 0
    try:
        while kills < args.kills and budget[0] > 0:
            wait = rng.uniform(*args.gap)
            if rng.random() < args.aim:
                aimed += task_running_within(wait)
            else:
                time.sleep(wait)
            services.kill()
            kills += 1
            restarts.append(services.start())
            print(f"# kill {kills}: {len(ledger.acknowledged)} acknowledged so far; "
                  f"up again in {restarts[-1]:.1f} s", flush=True)  # fmt: skip
        time.sleep(args.tail)  # a last stretch without kills
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return {
        "ledger": ledger, "kills": kills, "aimed": aimed, "restarts": restarts,
        "wall": time.monotonic() - began,
    }  # fmt: skip


def task_running_within(seconds: float) -> bool:
    """Wait until the worker is running a task (then kill at once), at most `seconds`."""
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if DBTaskResult.objects.filter(status="RUNNING").exists():
                return True
            time.sleep(0.002)
        return False
    finally:
        connection.close()


# --- the checks ----------------------------------------------------------------------------


def read_mail(directory: Path) -> tuple[dict[tuple, Counter], int]:
    """Per (recipient, subject, request number), the messages by Message-ID; and the
    number of damaged messages."""
    sent: dict[tuple, Counter] = defaultdict(Counter)
    damaged = 0
    separator = b"\n" + b"-" * 79 + b"\n"
    for path in sorted(directory.iterdir()):
        for chunk in path.read_bytes().split(separator):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk, policy=email.policy.default)
            body = message.get_body(("plain",))
            number = re.search(r"#(\d+) · libreach", body.get_content()) if body else None
            if not message["To"] or number is None:
                damaged += 1
                continue
            subject = " ".join(str(message["Subject"]).split())  # unfolded, as rendered
            key = (str(message["To"]), subject, int(number.group(1)))
            sent[key][str(message["Message-ID"])] += 1
    return sent, damaged


def check(ledger: Ledger, mail_dir: Path, vendor: str) -> dict:
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from libreach.accounts.models import User
    from libreach.catalog.models import Item
    from libreach.contactless.models import BorrowRequest, RequestLine
    from libreach.core.notify import render_notice

    problems: dict[str, list] = defaultdict(list)
    requests = {r.pk: r for r in BorrowRequest.objects.select_related("reader")}
    lines_of: dict[int, list[RequestLine]] = defaultdict(list)
    for line in RequestLine.objects.order_by("pk"):
        lines_of[line.request_id].append(line)

    # Lost: what a client was told and the database does not say.
    for request_id, told in ledger.acknowledged.items():
        request = requests.get(request_id)
        if request is None:
            problems["lost"].append(f"request {request_id} answered 201 is missing")
            continue
        if request.reader.user_id != told["reader"] or request.mode != told["mode"]:
            problems["lost"].append(f"request {request_id} is not the one answered")
        if sorted(line.pk for line in lines_of[request_id]) != told["lines"]:
            problems["lost"].append(f"request {request_id}: lines differ from the answer")
    for request_id in ledger.cancelled:
        if requests[request_id].status != "cancelled":
            problems["lost"].append(f"request {request_id}: cancel answered 200, now {requests[request_id].status}")  # fmt: skip
    for request_id in ledger.staged:
        if requests[request_id].status not in {"ready", "awaiting_pickup"}:
            problems["lost"].append(f"request {request_id}: stage answered 200, now {requests[request_id].status}")  # fmt: skip
    line_status = {line.pk: line.status for lines in lines_of.values() for line in lines}
    for line_id, outcome in ledger.resolved.items():
        if outcome == "found" and line_status[line_id] in {"requested", "not_found"}:
            problems["lost"].append(f"line {line_id}: found answered 200, now {line_status[line_id]}")  # fmt: skip
        if outcome == "not_found" and line_status[line_id] != "not_found":
            problems["lost"].append(f"line {line_id}: not found answered 200, now {line_status[line_id]}")  # fmt: skip

    # Each request's lines agree with its status.
    allowed = {
        "submitted": {"requested"},
        "picking": {"requested", "found", "disinfected", "not_found"},
        "ready": {"staged", "not_found"},
        "awaiting_pickup": {"staged", "not_found"},
        "cancelled": {"cancelled", "not_found"},
        "unfilled": {"not_found"},
    }
    for request_id, request in requests.items():
        statuses = {line.status for line in lines_of[request_id]}
        if not lines_of[request_id] or not statuses <= allowed.get(request.status, statuses):
            problems["inconsistent"].append(f"request {request_id} {request.status}: lines {sorted(statuses)}")  # fmt: skip

    # No copy held twice; each copy's status agrees with the line holding it.
    holders: dict[int, list[RequestLine]] = defaultdict(list)
    for lines in lines_of.values():
        for line in lines:
            if line.status in HOLDING and line.item_id is not None:
                holders[line.item_id].append(line)
    for item in Item.objects.all():
        held = holders.get(item.pk, [])
        if len(held) > 1:
            problems["duplicates"].append(f"copy {item.barcode} held by lines {[h.pk for h in held]}")  # fmt: skip
        elif held and item.status not in HOLDING[held[0].status]:
            problems["inconsistent"].append(f"copy {item.barcode} is {item.status}, its line {held[0].status}")  # fmt: skip
        elif not held and item.status in HELD_ITEM_STATES:
            problems["inconsistent"].append(f"copy {item.barcode} is {item.status}, held by no line")  # fmt: skip

    # Notices: queued where the state calls for one, each sent once.
    tasks = list(DBTaskResult.objects.all())
    unfinished = [t for t in tasks if t.status != "SUCCESSFUL"]
    for task in unfinished:
        problems["lost" if task.task_path.endswith(NOTICE_TASK) else "inconsistent"].append(
            f"task {task.task_path} {task.id} left {task.status}"
        )
    notices = [t for t in tasks if t.task_path.endswith(NOTICE_TASK)]
    queued = Counter((t.args_kwargs["args"][2]["request_id"], t.args_kwargs["args"][1]) for t in notices)  # fmt: skip
    for request_id, request in requests.items():
        expected = []
        if request.ready_at and request.mode != "delivery":
            expected.append("contactless_ready")
        if request.status == "unfilled":
            expected.append("contactless_unfilled")
        for template in expected:
            if queued[(request_id, template)] != 1:
                problems["inconsistent"].append(f"request {request_id}: {queued[(request_id, template)]} {template} notices queued")  # fmt: skip
    sent, damaged = read_mail(mail_dir)
    users = {u.pk: u for u in User.objects.filter(pk__in={t.args_kwargs["args"][0] for t in notices})}  # fmt: skip
    expected_mail = Counter()
    for task in notices:
        user_id, template, context = task.args_kwargs["args"]
        subject, _ = render_notice(user=users[user_id], template=template, context=context)
        expected_mail[(users[user_id].email, subject, context["request_id"])] += 1
    resent = 0
    for key, count in expected_mail.items():
        messages, distinct = sum(sent[key].values()), len(sent[key])
        if distinct < count:
            problems["lost"].append(f"notice {key} queued {count}, sent {distinct}")
        elif distinct > count:
            problems["duplicates"].append(f"notice {key} queued {count}, sent {distinct} different messages")  # fmt: skip
        # The same message again: the worker died between handing it over and its commit.
        resent += messages - distinct
    for key in set(sent) - set(expected_mail):
        problems["duplicates"].append(f"mail {key} sent, never queued")
    if damaged:
        problems["inconsistent"].append(f"{damaged} damaged mail messages")

    with connection.cursor() as cursor:
        if vendor == "sqlite":
            cursor.execute("PRAGMA integrity_check")
            integrity = ", ".join(row[0] for row in cursor.fetchall())
            cursor.execute("PRAGMA foreign_key_check")
            if cursor.fetchall():
                problems["inconsistent"].append("PRAGMA foreign_key_check found rows")
        else:
            integrity = "not checked (no amcheck); constraints enforced by the server"
    if vendor == "sqlite" and integrity != "ok":
        problems["inconsistent"].append(f"PRAGMA integrity_check: {integrity}")
    return {
        "problems": problems,
        "integrity": integrity,
        "requests_in_db": len(requests),
        "notices_queued": len(notices),
        "notices_sent": sum(sum(ids.values()) for ids in sent.values()),
        "notices_resent": resent,
    }


# --- one database, in a process of its own -------------------------------------------------


def prepare_database(vendor: str, url: str | None, work: Path) -> str:
    """A fresh database; returns its URL."""
    if vendor == "sqlite":
        db = work / "crash.sqlite3"
        for suffix in ("", "-wal", "-shm", "-writers.lock"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{db}"
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"not a scratch database name: {name!r}")
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    return url


def run_one(args) -> int:
    vendor = args.child
    work = Path(args.work) / vendor
    shutil.rmtree(work, ignore_errors=True)
    mail_dir, logs = work / "mail", work / "logs"
    for directory in (mail_dir, logs, work / "home"):
        directory.mkdir(parents=True)
    os.environ.update(
        DATABASE_URL=prepare_database(vendor, args.postgres, work),
        LIBREACH_HOME=str(work / "home"),
        LIBREACH_CRASH_MAIL_DIR=str(mail_dir),
        DJANGO_SETTINGS_MODULE="crash_settings",
        LIBREACH_TASKS="database",
        PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")])),
    )
    os.environ.setdefault("LIBREACH_SECRET_KEY", "bench-only-secret-key")
    import django
    from django.core.management import call_command
    from django.db import connection, connections

    django.setup()
    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    world = build_library(args.records, args.readers, rng)
    connections.close_all()
    services = Services(free_port(), args.workers, args.threads, logs)
    print(f"# {vendor}: {args.records} records, {world['copies']} copies, {args.readers} readers; "
          f"{args.clients} readers and {args.staff} desks at once; gunicorn gthread "
          f"{args.workers} x {args.threads} and one worker on 127.0.0.1:{services.port}", flush=True)  # fmt: skip
    services.start()
    try:
        run = run_stream(args, world, services, rng)
    finally:
        services.stop()
    # What the killed workers left, as the next worker to start would find it.
    drain = subprocess.run(
        [sys.executable, "-m", "libreach", "worker", "--once"],
        env=os.environ.copy(), capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if drain.returncode != 0:
        print(drain.stdout, drain.stderr)
    ledger = run["ledger"]
    result = check(ledger, mail_dir, connection.vendor)
    problems = result["problems"]
    submits = {
        what.split()[1]: n for what, n in ledger.statuses.items() if what.startswith("submit")
    }
    refused = submits.pop("ConnectionRefusedError", 0)  # the server was down: never sent
    sent = sum(submits.values())
    unanswered = sum(n for what, n in submits.items() if not what.isdigit())
    print(f"# answers: {', '.join(f'{k}: {v}' for k, v in sorted(ledger.statuses.items()))}")
    print(f"# {vendor} integrity: {result['integrity']}")
    for kind in ("lost", "duplicates", "inconsistent"):
        for problem in problems[kind][:10]:
            print(f"# {kind}: {problem}")
    requeued = drain.stdout.count("requeued") + drain.stderr.count("requeued")
    requeued += (logs / "worker.log").read_text(errors="replace").count("requeued")
    figure(f"{vendor}_kills", run["kills"])
    figure(f"{vendor}_kills_during_a_task", run["aimed"])
    figure(f"{vendor}_tasks_requeued", requeued)
    figure(f"{vendor}_requests_sent", sent)
    figure(f"{vendor}_requests_acknowledged", len(ledger.acknowledged))
    figure(f"{vendor}_requests_unanswered", unanswered)
    figure(f"{vendor}_requests_refused", refused)
    figure(f"{vendor}_requests_conflict_409", ledger.statuses["submit 409"])
    figure(f"{vendor}_requests_in_database", result["requests_in_db"])
    figure(f"{vendor}_requests_lost", len(problems["lost"]))
    figure(f"{vendor}_duplicates", len(problems["duplicates"]))
    figure(f"{vendor}_inconsistencies", len(problems["inconsistent"]))
    figure(f"{vendor}_notices_queued", result["notices_queued"])
    figure(f"{vendor}_notices_sent", result["notices_sent"])
    figure(f"{vendor}_notices_resent_same_message", result["notices_resent"])
    figure(f"{vendor}_restart_mean_s", sum(run["restarts"]) / max(len(run["restarts"]), 1), "s")
    figure(f"{vendor}_stream_wall_s", run["wall"], "s")
    summary = {
        "database": vendor, "kills": run["kills"], "sent": sent,
        "acknowledged": len(ledger.acknowledged), "lost": len(problems["lost"]),
        "duplicates": len(problems["duplicates"]), "inconsistent": len(problems["inconsistent"]),
        "notices": result["notices_sent"], "resent": result["notices_resent"],
        "integrity": result["integrity"],
    }  # fmt: skip
    print("# summary " + json.dumps(summary), flush=True)
    failed = problems["lost"] or problems["duplicates"] or problems["inconsistent"]
    return 1 if failed or run["kills"] < args.kills else 0


# --- PostgreSQL, when none is given --------------------------------------------------------


def start_cluster(work: Path) -> tuple[str, callable]:
    """A throwaway PostgreSQL cluster on 127.0.0.1, as scripts/test.sh starts one."""
    pgbins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    if not pgbins:
        raise SystemExit("no PostgreSQL here: pass --postgres URL or --databases sqlite")
    pgbin = pgbins[-1]
    data = Path(tempfile.mkdtemp(prefix="libreach-crash-pg-"))
    as_pg: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
        as_pg = ["runuser", "-u", "postgres", "--"]
    port = free_port()
    subprocess.run([*as_pg, str(pgbin / "initdb"), "-D", str(data / "db"), "-U", "postgres",
                    "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"],
                   check=True, capture_output=True)  # fmt: skip
    subprocess.run([*as_pg, str(pgbin / "pg_ctl"), "-D", str(data / "db"), "-l",
                    str(data / "server.log"), "-w", "-o",
                    f"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"],
                   check=True, capture_output=True, start_new_session=True)  # fmt: skip

    def stop() -> None:
        subprocess.run([*as_pg, str(pgbin / "pg_ctl"), "-D", str(data / "db"), "-m", "fast", "stop"],
                       capture_output=True)  # fmt: skip
        shutil.rmtree(data, ignore_errors=True)

    return f"postgres://postgres@127.0.0.1:{port}/libreach_crash", stop


def beside(url: str) -> str:
    """A scratch database next to the one $DATABASE_URL names, which is left alone."""
    if not url.startswith("postgres"):
        return ""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_crash"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", help="scratch database URL (dropped and created)")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--gap", type=float, nargs=2, default=(3.0, 8.0),
                        metavar=("MIN", "MAX"), help="seconds between kills")  # fmt: skip
    parser.add_argument("--aim", type=float, default=0.5,
                        help="share of kills that wait (within the gap) for a task running")  # fmt: skip
    parser.add_argument("--tail", type=float, default=3.0, help="seconds after the last kill")
    parser.add_argument("--requests", type=int, default=20000, help="most submissions")
    parser.add_argument("--clients", type=int, default=12, help="readers at once")
    parser.add_argument("--staff", type=int, default=2, choices=(0, 1, 2), help="desks at once")
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--readers", type=int, default=400)
    parser.add_argument("--cancel-share", type=float, default=0.4)
    parser.add_argument("--desk-share", type=float, default=0.3)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=6, help="threads per process")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--work", default=str(RESULTS), help="databases, mail and logs")
    parser.add_argument("--child", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return run_one(args)
    if shutil.which("gunicorn") is None:
        raise SystemExit('gunicorn is not installed: pip install -e ".[bench]"')
    print(f"# {machine()}")
    print(f"# {args.kills} kills per database, every {args.gap[0]:g}-{args.gap[1]:g} s")
    status, summaries, stop_cluster = 0, [], None
    try:
        for vendor in args.databases.split(","):
            command = [sys.executable, __file__, "--child", vendor, *sys.argv[1:]]
            if vendor == "postgresql":
                url = args.postgres or beside(os.environ.get("DATABASE_URL", ""))
                if not url.startswith("postgres"):
                    url, stop_cluster = start_cluster(Path(args.work))
                command += ["--postgres", url]
            child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
            for line in child.stdout:
                print(line, end="", flush=True)
                if line.startswith("# summary "):
                    summaries.append(json.loads(line.removeprefix("# summary ")))
            status = max(status, child.wait())
    finally:
        if stop_cluster:
            stop_cluster()
    for s in summaries:
        print(f"# {s['database']}: {s['kills']} kills, {s['sent']} requests sent, "
              f"{s['acknowledged']} acknowledged, {s['lost']} lost, {s['duplicates']} duplicates, "
              f"{s['inconsistent']} inconsistencies, {s['notices']} notices e-mailed "
              f"({s['resent']} the same message again); "
              f"integrity {s['integrity']}")  # fmt: skip
    return status


if __name__ == "__main__":
    sys.exit(main())
