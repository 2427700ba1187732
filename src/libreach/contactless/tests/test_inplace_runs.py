"""Dispatching a delivery run answers in place, from the run's page (its body again,
statuses and handover forms, the focus on its heading) and from the list of runs (its
row); without JavaScript it redirects as before. Refusals change nothing."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from libreach.contactless import services
from libreach.contactless.models import BorrowRequest, DeliveryRun, RequestStatus
from libreach.testing.permissions import changed_tables, db_fingerprint

HX = {"HTTP_HX_REQUEST": "true"}


def client_as(user, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    if user is not None:
        client.force_login(user)
    return client


def planned_run(shelf, titles=("红楼梦", "呐喊"), *, assignee=None) -> DeliveryRun:
    for title in titles:
        borrow = services.submit_request(
            user=shelf.reader,
            library=shelf.lib,
            mode="delivery",
            building_code="DORM1",
            lines=[services.LineSpec(record_id=shelf.record(title).pk)],
        )
        for line in borrow.lines.all():
            services.mark_found(request_id=borrow.pk, line_id=line.pk, by=shelf.staff)
        services.stage(request_id=borrow.pk, by=shelf.staff)
    return services.create_run(library=shelf.lib, by=shelf.staff, assignee=assignee)


def dispatch_url(run) -> str:
    return reverse("desk:run_dispatch", args=["PKU", run.pk])


def statuses(run) -> set[str]:
    return set(BorrowRequest.objects.filter(run=run).values_list("status", flat=True))


def test_run_page_dispatch_answers_in_place(shelf):
    run = planned_run(shelf)
    staff = client_as(shelf.staff)
    page = staff.get(reverse("desk:run", args=["PKU", run.pk])).content.decode()
    assert f'hx-post="{dispatch_url(run)}" hx-target="#run-body"' in page
    assert '<span lang="zh">张三</span>' in page  # a Chinese name on an English page

    response = staff.post(dispatch_url(run), **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div id="run-body">')
    assert '<h1 id="run-heading" tabindex="-1" data-focus-after>' in html
    assert "2 requests are out for delivery." in html  # the message, out of band
    assert 'id="messages" hx-swap-oob="innerHTML"' in html
    assert 'name="pickup_code"' in html  # handed over at the door from now on
    assert 'id="run-dispatch"' not in html
    assert statuses(run) == {RequestStatus.OUT_FOR_DELIVERY}


@pytest.mark.parametrize("in_place", [True, False], ids=["htmx", "plain"])
def test_dispatching_twice_is_refused_and_changes_nothing(shelf, in_place):
    run = planned_run(shelf, ("红楼梦",))
    staff = client_as(shelf.staff)
    staff.post(dispatch_url(run))
    before = db_fingerprint()
    response = staff.post(dispatch_url(run), **(HX if in_place else {}))
    assert changed_tables(before, db_fingerprint()) == []
    if in_place:
        assert response.status_code == 409
        assert "Nothing in this run is ready to leave." in response.content.decode()
    else:
        assert response.status_code == 302
        page = staff.get(response.url)
        assert "Nothing in this run is ready to leave." in page.content.decode()


def test_plain_dispatch_redirects_to_the_run_or_the_list(shelf):
    run = planned_run(shelf, ("红楼梦",))
    staff = client_as(shelf.staff)
    response = staff.post(dispatch_url(run))
    assert response.url == reverse("desk:run", args=["PKU", run.pk])
    other = planned_run(shelf, ("呐喊",))
    response = staff.post(dispatch_url(other), {"next": reverse("desk:runs", args=["PKU"])})
    assert response.url == reverse("desk:runs", args=["PKU"])
    assert statuses(other) == {RequestStatus.OUT_FOR_DELIVERY}


def test_run_list_dispatch_answers_with_the_row(shelf):
    run = planned_run(shelf)
    staff = client_as(shelf.staff)
    page = staff.get(reverse("desk:runs", args=["PKU"])).content.decode()
    assert f'<tr id="run-{run.pk}">' in page
    assert f'hx-target="#run-{run.pk}"' in page and f'id="dispatch-{run.pk}"' in page

    response = staff.post(dispatch_url(run), HTTP_HX_TARGET=f"run-{run.pk}", **HX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<template><tr id="run-{run.pk}" hx-swap-oob="true">')
    assert f'id="dispatch-{run.pk}"' not in html
    assert "data-focus-after>Out</span>" in html
    assert "2 requests are out for delivery." in html


def test_volunteer_dispatches_only_their_run(shelf):
    theirs = planned_run(shelf, ("红楼梦",), assignee=shelf.c.volunteer)
    not_theirs = planned_run(shelf, ("呐喊",))
    volunteer = client_as(shelf.c.volunteer)
    page = volunteer.get(reverse("desk:runs", args=["PKU"])).content.decode()
    assert f'id="dispatch-{theirs.pk}"' in page and f"run-{not_theirs.pk}" not in page
    before = db_fingerprint()
    assert volunteer.post(dispatch_url(not_theirs), **HX).status_code == 404
    assert changed_tables(before, db_fingerprint()) == []
    response = volunteer.post(dispatch_url(theirs), HTTP_HX_TARGET=f"run-{theirs.pk}", **HX)
    assert response.status_code == 200
    assert statuses(theirs) == {RequestStatus.OUT_FOR_DELIVERY}


@pytest.mark.parametrize(
    ("actor", "status"), [("other_staff", 403), ("reader", 403), ("anonymous", 302)]
)
def test_others_cannot_dispatch(shelf, actor, status):
    run = planned_run(shelf, ("红楼梦",))
    client = client_as(shelf.c.actor(actor))
    before = db_fingerprint()
    for headers in (HX, {}):
        assert client.post(dispatch_url(run), **headers).status_code == status
    assert changed_tables(before, db_fingerprint()) == []
    assert statuses(run) == {RequestStatus.READY}
