"""The demo prints what a tester needs to complete its proxy pickup: the request, the
proxy's name and whole ID number (the desk asks for it; the request keeps only a hash and
the last four digits), and the pickup code."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection

from libreach.contactless import services
from libreach.contactless.models import RequestStatus
from libreach.contactless.tests.conftest import Shelf
from libreach.site import demo
from libreach.site.management.commands import demo as demo_command


@pytest.fixture
def proxy_request(consortium):
    shelf = Shelf(consortium)
    request = services.submit_request(
        user=shelf.reader,
        library=shelf.lib,
        mode="proxy",
        service_point_code="MAIN",
        proxy=services.Proxy(*demo.DEMO_PROXY),
        lines=[services.LineSpec(record_id=shelf.record("呐喊").pk)],
    )
    return shelf, request


def test_the_printed_lines_name_the_request_proxy_and_whole_id_number(proxy_request):
    _shelf, request = proxy_request
    text = "\n".join(demo.proxy_pickup_lines())
    assert f"PKU request #{request.pk} (No. {request.queue_number})" in text
    assert "reader 2020000001" in text
    assert "proxy 陈静, ID number 110101199203154321" in text
    assert f"pickup code {request.pickup_code}" in text


def test_the_printed_id_number_completes_the_handover(proxy_request):
    shelf, request = proxy_request
    printed = "\n".join(demo.proxy_pickup_lines())
    id_number = re.search(r"ID number (\S+),", printed).group(1)
    code = re.search(r"pickup code (\d+)", printed).group(1)
    (line,) = request.lines.all()
    services.mark_found(request_id=request.pk, line_id=line.pk, by=shelf.staff)
    services.stage(request_id=request.pk, by=shelf.staff)
    services.handover(
        request_id=request.pk, by=shelf.staff, pickup_code=code, proxy_id_number=id_number
    )
    request.refresh_from_db()
    assert request.status == RequestStatus.COLLECTED
    # Collected: nothing left to try, nothing printed.
    assert demo.proxy_pickup_lines() == []


def test_no_demo_proxy_request_prints_nothing(consortium):
    assert demo.proxy_pickup_lines() == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the demo runs on SQLite only")
def test_the_demo_command_prints_them_after_the_logins(proxy_request, monkeypatch):
    _shelf, request = proxy_request
    logins = [demo.Login("PKU circulation", "pku-circ", demo.PASSWORD)]
    monkeypatch.setattr(demo_command, "load_demo", lambda **kwargs: logins)
    out = io.StringIO()
    call_command("demo", "--no-serve", stdout=out)
    printed = out.getvalue()
    assert printed.index("pku-circ") < printed.index(f"request #{request.pk}")
    assert "ID number 110101199203154321" in printed
