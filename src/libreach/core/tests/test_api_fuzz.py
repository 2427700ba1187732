"""Schemathesis over the live API: it reads GET /api/v1/openapi.json from a live server and
sends every operation generated valid and invalid input, as an anonymous caller, a reader
and staff (bearer tokens from POST /api/v1/auth/token), on whichever database the suite
runs on.

Checks: no 5xx, every status code documented, every body as its documented schema, every
content type as documented. Bounded so it stays within a minute or two per database on a
quiet machine: at most MAX_EXAMPLES cases per operation in the fuzzing phase, generation
deterministic (the same cases every run, no example database written anywhere), one
worker. The schemathesis summary and one line per caller are printed to the terminal
even when the run passes, so the CI log keeps them.

Inputs it found failing are pinned down as plain tests in test_api_input_bounds.
"""

import datetime as dt
import json
import logging
import re
import subprocess
import sys
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine
from django.conf import settings as django_settings

from libreach.catalog.models import Item
from libreach.catalog.services import ItemInput, create_record
from libreach.circulation import closures
from libreach.circulation import services as circulation_services
from libreach.consortium.services import set_weekly_hours
from libreach.contactless import services as contactless_services
from libreach.contactless.models import RequestLine
from libreach.testing.fixtures import PASSWORD

pytestmark = pytest.mark.slow

ACTORS = ["anonymous", "reader", "staff"]
MAX_EXAMPLES = 10
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
# The coverage phase sends each operation its boundary and wrong-type values once;
# fuzzing then draws MAX_EXAMPLES cases; stateful chains need links the schema lacks.
PHASES = ["examples", "coverage", "fuzzing"]
# The server's clock during the run (a Monday of the 2020 closure), so what the fuzz meets
# (hours, due dates, slots, runs) is the same whenever the suite runs.
NOW = dt.datetime(2020, 2, 10, 10, 0, tzinfo=ZoneInfo(django_settings.TIME_ZONE))


def build_world(consortium) -> dict[str, list]:
    """Objects for the fuzzer to find: records, requests in several states, a run, a
    loan, a closure. Returns dictionary name -> values that exist (see BINDINGS)."""
    c = consortium
    set_weekly_hours(library=c.lib, hours={d: [(dt.time(0), dt.time(23, 59))] for d in range(7)})
    records = [
        create_record(
            library=c.lib,
            title=title,
            authors=["作者"],
            call_number=f"I24{n}/1",
            items=[
                ItemInput(barcode=f"FZ{n}{copy}", location="中文书库", call_number=f"I24{n}/1")
                for copy in range(1, 4)
            ],
        )
        for n, title in enumerate(["红楼梦", "呐喊", "数据结构", "时间简史"], start=1)
    ]
    requests_ = []
    for mode, record in [
        ("delivery", records[0]),
        ("pickup", records[1]),
        ("delivery", records[2]),
    ]:
        requests_.append(
            contactless_services.submit_request(
                user=c.reader,
                library=c.lib,
                mode=mode,
                lines=[contactless_services.LineSpec(record_id=record.id)],
                service_point_code="MAIN" if mode != "delivery" else None,
            )
        )
    # The third request is ready and in a delivery run.
    ready = requests_[2]
    for line in RequestLine.objects.filter(request=ready):
        contactless_services.mark_found(request_id=ready.id, line_id=line.id, by=c.staff)
    contactless_services.stage(request_id=ready.id, by=c.staff)
    run = contactless_services.create_run(library=c.lib, by=c.staff, assignee=c.volunteer)
    loan = circulation_services.checkout(
        item=records[3].items.order_by("barcode").first(), reader=c.reader.reader
    )
    closure = closures.declare_closure(
        library=c.lib,
        start_date=dt.date(2020, 1, 24),
        end_date=dt.date(2020, 2, 28),
        reason="新冠肺炎疫情",
        by=c.staff,
    )
    return {
        "libraries": [c.lib.code, c.other_lib.code],
        "service_points": ["MAIN"],
        "buildings": ["DORM1"],
        "records": [r.id for r in records],
        "barcodes": list(Item.objects.values_list("barcode", flat=True)),
        "requests": [r.id for r in requests_],
        "lines": list(RequestLine.objects.values_list("id", flat=True)),
        "runs": [run.id],
        "loans": [loan.id],
        "closures": [closure.id],
        "users": [c.volunteer.username, c.staff.username],
    }


# Where each dictionary of real values goes. Each is used in PROBABILITY of the cases;
# the others keep the generated value, which must still be refused cleanly.
BINDINGS = {
    "path.lib": "libraries",
    "query.library": "libraries",
    "body.library": "libraries",
    "path.service_point": "service_points",
    "query.service_point": "service_points",
    "body.service_point": "service_points",
    "body.building": "buildings",
    "body.buildings[*]": "buildings",
    "path.record_id": "records",
    "body.lines[*].record": "records",
    "body.lines[*].item": "barcodes",
    "body.barcode": "barcodes",
    "path.request_id": "requests",
    "path.line_id": "lines",
    "path.run_id": "runs",
    "body.run": "runs",
    "path.loan_id": "loans",
    "path.closure_id": "closures",
    "body.assignee": "users",
}
PROBABILITY = 0.7


def config_toml(world: dict[str, list]) -> str:
    """A schemathesis.toml with the world's values as dictionaries bound to parameters."""
    lines = []
    for name, values in world.items():
        lines += [f"[dictionaries.{name}]", f"values = {json.dumps(values)}", ""]
    lines.append("[parameters]")
    for key, name in BINDINGS.items():
        lines.append(f'"{key}" = {{ dictionary = "{name}", probability = {PROBABILITY} }}')
    return "\n".join(lines) + "\n"


def bearer(base_url: str, username: str) -> str:
    response = requests.post(
        f"{base_url}/api/v1/auth/token",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["token"]


@pytest.fixture
def fuzz_clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def quiet_request_log():
    """Thousands of 4xx answers would each log a warning, and a failing run would print
    them all; 5xx (ERROR, with its traceback) still shows."""
    loggers = [logging.getLogger(name) for name in ("django.request", "axes")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


def summary_line(actor: str, output: str, returncode: int) -> str:
    """One line for the CI log: operations tested, cases generated, what failed."""
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"Test cases:\s*\n\s*(.+)", output)
    return (
        f"schemathesis as {actor}: {tested.group(1) if tested else '?'} operations tested, "
        f"{cases.group(1).strip() if cases else 'no cases'}, exit {returncode}"
    )


@pytest.mark.parametrize("actor", ACTORS)
def test_api_fuzz(
    fuzz_clock,
    transactional_db,
    consortium,
    live_server,
    settings,
    quiet_request_log,
    actor,
    tmp_path,
    capsys,
):
    # Thousands of requests from one address within a minute: the per-address limits
    # would answer most of them 429, and the token route's failures would lock the
    # address out. The live server runs in this process and reads settings per request.
    settings.LIBREACH_THROTTLE = False
    settings.AXES_FAILURE_LIMIT = 1_000_000
    world = build_world(consortium)
    config = tmp_path / "schemathesis.toml"
    config.write_text(config_toml(world), encoding="utf-8")
    # Fetched here rather than by schemathesis, whose 10 s limit for it a loaded CI machine
    # can overrun.
    schema = tmp_path / "openapi.json"
    response = requests.get(f"{live_server.url}/api/v1/openapi.json", timeout=120)
    assert response.status_code == 200
    schema.write_bytes(response.content)
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(config),
        "--no-color",
        "run",
        str(schema),
        "--url",
        live_server.url,
        "--checks",
        ",".join(CHECKS),
        "--phases",
        ",".join(PHASES),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--workers",
        "1",
        "--request-timeout",
        "30",
    ]
    user = consortium.actor(actor)
    if user is not None:
        command += ["--header", f"Authorization: Bearer {bearer(live_server.url, user.username)}"]
        # Revoking its own token would leave the rest of the run anonymous.
        command += ["--exclude-name", "DELETE /api/v1/auth/token"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path)
    output = run.stdout + run.stderr
    line = summary_line(actor, output, run.returncode)
    # A passing run shows its summary; a failing one everything, with how to reproduce.
    summary = re.search(r"^=+ SUMMARY =+$", output, re.MULTILINE)
    shown = output[summary.start() :] if summary and run.returncode == 0 else output
    with capsys.disabled():
        print(f"\n\n----- schemathesis as {actor} -----\n{shown}\n{line}\n")
    assert run.returncode == 0, f"{line}: failures above"
