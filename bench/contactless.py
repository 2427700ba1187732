"""Contactless borrowing over HTTP: 2,000 requests from 20 concurrent clients, then the desk.

    python bench/contactless.py [--requests 2000] [--clients 20] [--workers 2 --threads 10]

Needs gunicorn (`pip install -e ".[bench]"`). Builds a fresh SQLite database in
bench/results/contactless.sqlite3 (WAL, synchronous=FULL: the production settings):
a demo-like library (JHU: five buildings, a pickup point with 15-minute slots, open
every day), 5,000 records with 10,000 copies (every tenth record a work in volumes),
a reader with an API token for each request (4,000), staff and a volunteer. Then starts gunicorn on
127.0.0.1 (gthread: --workers processes x --threads threads) against it, and:

1. baseline: the clients read GET /api/v1/catalog/records/{id} 2,000 times, at the
   same concurrency (a read of one record and its copies: the cheapest useful route);
2. submission: the clients POST /api/v1/borrow-requests as fast as the server answers
   (closed loop), one request per reader, of 1-3 lines (record-level for a third of the
   records, else the copy's barcode), 5,000 lines in all, 70% delivery, 20% pickup, 10%
   proxy; throughput, p50 / p95 / max latency, each with its ratio to the baseline;
3. pick list of the 5,000 open lines: `selectors.pick_list_lines` in this process and
   GET /api/v1/libraries/JHU/pick-list, p50 / max of --pick-runs runs each;
4. paced submission: --paced more requests (2,000 by default, from the same 20 clients)
   arriving at --paced-share (0.75) of the throughput measured in 2 (open loop: latency
   counts from when each was due). Readers do not resubmit the instant they get an
   answer; with zero think time, 20 clients over 2 cores wait 20 / throughput on
   average (Little's law), whatever the server does;
5. the desk, over HTTP: 4 staff clients mark every line found (2% not found), record
   the disinfection and stage each request; delivery runs per building go out with the
   volunteer, who hands them over; staff hand over pickups (and check proxies' ID
   numbers). Requests and API calls per second.

Peak RSS: this process, and the largest gunicorn worker.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from _common import (  # noqa: E402
    api_tokens,
    circulation_staff_tokens,
    figure,
    machine,
    peak_rss_mib,
    timed,
)

RESULTS = BENCH / "results"
DB = RESULTS / "contactless.sqlite3"
HOME = RESULTS / "home"
SEED = 2020
RECORDS = 5000
LINES = 5000
LIBRARY = "JHU"
BUILDINGS = [
    ("DORM1", "学生宿舍1号楼"),
    ("DORM2", "学生宿舍2号楼"),
    ("GRAD", "研究生公寓"),
    ("CHEM", "化学楼"),
    ("ADMIN", "行政楼"),
]
LOCATIONS = ["中文书库", "自然科学书库", "外文书库"]
PASSWORD = "bench-only-password"
STAFF = 4


def setup_django() -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
    os.environ["LIBREACH_HOME"] = str(HOME)
    os.environ.setdefault("LIBREACH_SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("LIBREACH_THROTTLE", "0")  # 20 clients on one address, by design
    os.environ["DJANGO_SETTINGS_MODULE"] = "libreach.settings"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


# --- the library ---------------------------------------------------------------------------


def build_library(readers: int, rng: random.Random) -> dict:
    """The library, its catalogue, readers with tokens, staff; returns what clients need."""
    import datetime as dt

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from libreach.accounts import services as account_services
    from libreach.accounts.models import ReaderProfile, StaffRole, User
    from libreach.catalog.callnumbers import shelving_key
    from libreach.catalog.models import Item, MarcFormat, Record
    from libreach.catalog.services import search_columns
    from libreach.consortium import services as consortium_services

    library = consortium_services.create_library(
        code=LIBRARY, name="京华大学图书馆", name_en="Jinghua University Library"
    )
    buildings = [
        consortium_services.create_building(library=library, code=code, name=name)
        for code, name in BUILDINGS
    ]
    consortium_services.create_service_point(
        library=library, code="EAST", name="总馆东门取书点", is_pickup=True,
        slot_minutes=15, slot_capacity=8,
    )  # fmt: skip
    consortium_services.create_service_point(library=library, code="DESK", name="总馆服务台")
    consortium_services.set_weekly_hours(
        library=library, hours={d: [(dt.time(8), dt.time(22))] for d in range(7)}
    )
    with transaction.atomic():
        records = Record.objects.bulk_create(
            Record(
                library=library,
                title=f"抗疫时期的阅读 第{n}种",
                authors=[f"作者{n % 211}"],
                call_number=(number := f"{'IKTR'[n % 4]}{n % 97}.{n % 7}/{n}"),
                marc_format=MarcFormat.NONE,
                **search_columns(authors=[f"作者{n % 211}"], isbns=[], call_numbers=[number]),
            )
            for n in range(1, RECORDS + 1)
        )
        items = []
        for n, record in enumerate(records, start=1):
            for copy in range(1, 1 + (n % 3) + 1):
                items.append(
                    Item(
                        record=record,
                        library=library,
                        barcode=f"J{n:05}{copy}",
                        location=LOCATIONS[n % len(LOCATIONS)],
                        call_number=record.call_number,
                        shelving_key=shelving_key(record.call_number),
                        volume=str(copy) if n % 10 == 0 else "",
                    )
                )
        Item.objects.bulk_create(items)
        # Production password hashing costs ~0.3 s a user: one hash for every reader.
        password = make_password(PASSWORD)
        users = User.objects.bulk_create(
            User(username=f"2020{n:06}", name=f"读者{n}", password=password) for n in range(readers)
        )
        ReaderProfile.objects.bulk_create(
            ReaderProfile(
                user=user,
                library=library,
                card_number=user.username,
                reader_type="undergraduate" if n % 3 else "graduate",
                building=buildings[n % len(buildings)],
            )
            for n, user in enumerate(users)
        )
        expires = timezone.now() + dt.timedelta(days=1)
        tokens = api_tokens(users, expires)

    staff = circulation_staff_tokens(library, "jhu-circ", STAFF, PASSWORD, expires)
    volunteer = account_services.create_staff(
        library=library, username="jhu-vol", password=PASSWORD, name="志愿者",
        role=StaffRole.VOLUNTEER,
    ).user  # fmt: skip
    return {
        "library": library,
        "records": [r.pk for r in records],
        "readers": tokens,
        "staff": staff,
        "volunteer": api_tokens([volunteer], expires)[0],
        "copies": {
            record.pk: [i.barcode for i in items if i.record_id == record.pk] for record in records
        },
    }


def plan_requests(world: dict, batches: list[tuple[int, int]], rng: random.Random) -> list:
    """For each (requests, lines) batch, request bodies of 1-3 lines, that many lines in
    all; none competes with another for a copy.

    A third of the records are asked for at record level (any copy), the rest by
    barcode, never both for one record, so every submission should succeed.
    """
    units = []  # (record, barcode or None), one per copy
    for record in world["records"]:
        for barcode in world["copies"][record]:
            units.append((record, None if record % 3 == 0 else barcode))
    rng.shuffle(units)
    return [_bodies(count, lines, units, rng) for count, lines in batches]


def _bodies(count: int, total: int, units: list, rng: random.Random) -> list[dict]:
    ones = count // 10  # the rest are twos and threes
    threes = min(max(total - ones - 2 * (count - ones), 0), count - ones)
    sizes = [1] * ones + [3] * threes + [2] * (count - ones - threes)
    rng.shuffle(sizes)
    bodies = []
    for n, size in enumerate(sizes):
        lines, taken = [], set()
        while len(lines) < size:
            record, barcode = units.pop()
            if record in taken and barcode is None:
                units.insert(0, (record, barcode))  # another request takes it
                continue
            taken.add(record)
            lines.append({"item": barcode} if barcode else {"record": record})
        mode = "delivery" if n % 10 < 7 else "pickup" if n % 10 < 9 else "proxy"
        body = {"library": LIBRARY, "mode": mode, "lines": lines}
        if mode != "delivery":
            body["service_point"] = "EAST"
        if mode == "proxy":
            body["proxy"] = {"name": f"代取人{n}", "id_number": f"1101081990030{n:05}"}
        bodies.append(body)
    return bodies


# --- the server and its clients ------------------------------------------------------------


def start_server(port: int, workers: int, threads: int) -> subprocess.Popen:
    if shutil.which("gunicorn") is None:
        raise SystemExit('gunicorn is not installed: pip install -e ".[bench]"')
    command = [
        "gunicorn", "libreach.wsgi:application", "--bind", f"127.0.0.1:{port}",
        "--worker-class", "gthread", "--workers", str(workers), "--threads", str(threads),
        "--keep-alive", "30", "--backlog", "256", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=os.environ.copy(), start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/api/v1/openapi.json")
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not answer within 60 s")


def server_peak_rss_mib(server: subprocess.Popen) -> float:
    """The largest peak RSS (VmHWM) among gunicorn's workers."""
    peak = 0.0
    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    except OSError:
        return peak
    for pid in children:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        except OSError:
            pass
    return peak


class Client:
    """One keep-alive HTTP connection speaking JSON, with a bearer token."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def call(self, method: str, path: str, body=None, token: str | None = None):
        headers = dict(self.headers)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        data = json.dumps(body).encode() if body is not None else None
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=data, headers=headers)
                response = self.conn.getresponse()
                payload = response.read()
                return response.status, json.loads(payload) if payload else None
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")


def run_clients(
    port: int, jobs: list, clients: int, rate: float | None = None
) -> tuple[list, list[float], float]:
    """Run (method, path, body, token) jobs from `clients` threads, each with its own
    keep-alive connection; returns results in job order, latencies (ms) and wall time.

    Without `rate` each client sends its next job as soon as it has an answer (closed
    loop: as fast as the server goes). With `rate`, job n is due at n / rate seconds
    and its latency counts from then (open loop: readers arriving at that rate)."""
    work: queue.Queue = queue.Queue()
    for n, job in enumerate(jobs):
        work.put((n, job))
    results: list = [None] * len(jobs)
    latencies: list[float] = [0.0] * len(jobs)
    begin = time.perf_counter()

    def client() -> None:
        conn = Client(port)
        while True:
            try:
                n, (method, path, body, token) = work.get_nowait()
            except queue.Empty:
                return
            started = time.perf_counter()
            if rate:
                started = begin + n / rate
                time.sleep(max(0.0, started - time.perf_counter()))
            try:
                results[n] = conn.call(method, path, body, token)
            except Exception as exc:  # counted as an error below
                results[n] = (0, repr(exc))
            latencies[n] = (time.perf_counter() - started) * 1000

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, latencies, time.perf_counter() - begin


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def statuses(results) -> str:
    return ", ".join(f"{code}: {n}" for code, n in sorted(Counter(r[0] for r in results).items()))


# --- the phases ----------------------------------------------------------------------------


def bench_pick_list(port: int, library, staff_token: str, runs: int) -> None:
    from django.db import connections

    from libreach.contactless.selectors import pick_list_lines

    rows = pick_list_lines(library)
    figure("pick_list_open_lines", len(rows), "lines")
    in_process = []
    for _ in range(runs):
        with timed() as t:
            pick_list_lines(library)
        in_process.append(t.wall * 1000)
    connections.close_all()
    client = Client(port, staff_token)
    over_http = []
    for _ in range(runs):
        started = time.perf_counter()
        status, body = client.call("GET", f"/api/v1/libraries/{LIBRARY}/pick-list")
        over_http.append((time.perf_counter() - started) * 1000)
        assert status == 200 and len(body) == len(rows), (status, len(body or []))
    figure("pick_list_selector_p50_ms", statistics.median(in_process), "ms")
    figure("pick_list_selector_max_ms", max(in_process), "ms")
    figure("pick_list_http_p50_ms", statistics.median(over_http), "ms",
           baseline=statistics.median(in_process), baseline_name="selector")  # fmt: skip
    figure("pick_list_http_max_ms", max(over_http), "ms")


def process_at_the_desk(port: int, world: dict, created: list[tuple[dict, dict]]) -> None:
    """Found / not found, disinfect, stage (4 staff); runs; handover. Over HTTP."""
    rng = random.Random(SEED + 1)
    staff, volunteer = world["staff"], world["volunteer"]
    calls = 0
    with timed() as desk:
        jobs = []
        for n, (_, request) in enumerate(created):
            token = staff[n % len(staff)]
            base = f"/api/v1/borrow-requests/{request['id']}"
            for line in request["lines"]:
                if rng.random() < 0.02:
                    jobs.append(("POST", f"{base}/lines/{line['id']}/not-found",
                                 {"reason": "not_on_shelf"}, token))  # fmt: skip
                else:
                    jobs.append(("POST", f"{base}/lines/{line['id']}/found", {}, token))
        # Lines first (4 desks), then each request's disinfection and staging.
        results, _, _ = run_clients(port, jobs, len(staff))
        calls += len(jobs)
        errors = [r for r in results if r[0] != 200]
        unfilled = {r[1]["id"] for r in results if r[0] == 200 and r[1]["status"] == "unfilled"}
        jobs = []
        for n, (_, request) in enumerate(created):
            if request["id"] in unfilled:
                continue
            token = staff[n % len(staff)]
            base = f"/api/v1/borrow-requests/{request['id']}"
            jobs.append(("POST", f"{base}/disinfect", {"method": "uv", "minutes": 30}, token))
        results, _, _ = run_clients(port, jobs, len(staff))
        errors += [r for r in results if r[0] != 200]
        stage = [("POST", job[1].rsplit("/", 1)[0] + "/stage", {}, job[3]) for job in jobs]
        results, _, _ = run_clients(port, stage, len(staff))
        calls += len(jobs) + len(stage)
        errors += [r for r in results if r[0] != 200]
        # Runs: one per building, with the volunteer; then the volunteer's handovers.
        client = Client(port, staff[0])
        runs = []
        for code, _ in BUILDINGS:
            status, run = client.call(
                "POST", f"/api/v1/libraries/{LIBRARY}/delivery-runs",
                {"buildings": [code], "assignee": "jhu-vol"},
            )  # fmt: skip
            assert status == 201, run
            runs.append(run["id"])
        for run in runs:
            status, body = Client(port, volunteer).call(
                "POST", f"/api/v1/delivery-runs/{run}/dispatch"
            )
            assert status == 200, body
        calls += 2 * len(runs)
        jobs = []
        for n, (body, request) in enumerate(created):
            if request["id"] in unfilled:
                continue
            handover = {"pickup_code": request["pickup_code"]}
            if body["mode"] == "proxy":
                handover["proxy_id_number"] = body["proxy"]["id_number"]
            token = volunteer if body["mode"] == "delivery" else staff[n % len(staff)]
            jobs.append(("POST", f"/api/v1/borrow-requests/{request['id']}/handover",
                         handover, token))  # fmt: skip
        results, latencies, _ = run_clients(port, jobs, len(staff))
        calls += len(jobs)
        errors += [r for r in results if r[0] != 200]
    handed = sum(len(r[1]["loans"]) for r in results if r[0] == 200)
    print(f"# desk: {len(created)} requests, {len(unfilled)} unfilled, {handed} loans, "
          f"{len(errors)} errors {errors[:3]}")  # fmt: skip
    figure("desk_requests_per_s", len(created) / desk.wall, "requests/s")
    figure("desk_api_calls_per_s", calls / desk.wall, "calls/s")
    figure("handover_p95_ms", p95(latencies), "ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=10, help="threads per process")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--pick-runs", type=int, default=10)
    parser.add_argument("--paced", type=int, default=2000, help="paced submissions")
    parser.add_argument("--paced-share", type=float, default=0.75)
    parser.add_argument("--no-desk", action="store_true", help="stop after the pick list")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    HOME.mkdir(exist_ok=True)
    rng = random.Random(SEED)
    setup_django()
    from django.db import connections

    with timed() as setup:
        world = build_library(args.requests + args.paced, rng)
        bodies, paced_bodies = plan_requests(
            world, [(args.requests, LINES), (args.paced, 2 * args.paced)], rng
        )
    connections.close_all()
    print(f"# {machine()}; database sqlite (file, WAL, synchronous=FULL)")
    print(f"# gunicorn gthread {args.workers} x {args.threads}; {args.clients} clients; "
          f"setup {setup.wall:.1f} s")  # fmt: skip
    server = start_server(args.port, args.workers, args.threads)
    try:
        # Baseline: the same clients read one record with its copies.
        reads = [("GET", f"/api/v1/catalog/records/{rng.choice(world['records'])}", None, None)
                 for _ in range(args.requests)]  # fmt: skip
        run_clients(args.port, reads[:200], args.clients)  # warm up both workers
        results, base, base_wall = run_clients(args.port, reads, args.clients)
        assert all(r[0] == 200 for r in results), statuses(results)
        # Submission.
        jobs = [("POST", "/api/v1/borrow-requests", body, token)
                for body, token in zip(bodies, world["readers"], strict=False)]  # fmt: skip
        results, submit, submit_wall = run_clients(args.port, jobs, args.clients)
        print(f"# submissions: {statuses(results)}")
        created = [(body, r[1]) for (_, _, body, _), r in zip(jobs, results, strict=True)
                   if r[0] == 201]  # fmt: skip
        read_rate = len(reads) / base_wall
        figure("read_record_per_s", read_rate, "requests/s")
        figure("submit_per_s", len(jobs) / submit_wall, "requests/s",
               baseline=read_rate, baseline_name="record read")  # fmt: skip
        for name, value, baseline in [
            ("submit_p50_ms", statistics.median(submit), statistics.median(base)),
            ("submit_p95_ms", p95(submit), p95(base)),
            ("submit_max_ms", max(submit), max(base)),
        ]:
            figure(name, value, "ms", baseline=baseline, baseline_name="record read")
        bench_pick_list(args.port, world["library"], world["staff"][0], args.pick_runs)
        # The same, paced: readers arriving at --paced-share of that throughput.
        rate = args.paced_share * len(jobs) / submit_wall
        paced_jobs = [
            ("POST", "/api/v1/borrow-requests", body, token)
            for body, token in zip(paced_bodies, world["readers"][args.requests :], strict=True)
        ]
        results, paced, _ = run_clients(args.port, paced_jobs, args.clients, rate=rate)
        print(f"# paced submissions at {rate:.1f}/s: {statuses(results)}")
        created += [(body, r[1]) for (_, _, body, _), r in zip(paced_jobs, results, strict=True)
                    if r[0] == 201]  # fmt: skip
        figure("paced_submit_p50_ms", statistics.median(paced), "ms")
        figure("paced_submit_p95_ms", p95(paced), "ms",
               baseline=p95(base), baseline_name="record read")  # fmt: skip
        figure("paced_submit_max_ms", max(paced), "ms")
        if not args.no_desk:
            process_at_the_desk(args.port, world, created)
        figure("server_worker_peak_rss_mib", server_peak_rss_mib(server), "MiB")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    figure("bench_peak_rss_mib", peak_rss_mib(), "MiB")
    print(f"# load at the end: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
