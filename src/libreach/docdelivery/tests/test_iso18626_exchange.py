"""The platform against the ISO 18626 test peer over real HTTP, in both roles, and
`POST /iso18626` refusing what it must, changing nothing (twice for a retransmission)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client

from libreach.consortium import services as consortium_services
from libreach.docdelivery import iso18626, services
from libreach.docdelivery.models import DocDeliverySettings, DocRequest, Iso18626Message, Status
from libreach.docdelivery.tests.conftest import ARTICLE, PDF
from libreach.testing.iso18626_peer import Iso18626Peer
from libreach.testing.permissions import db_fingerprint

EXT = iso18626.AgencyId("ISIL", "EXT")
THU = iso18626.AgencyId("ISIL", "THU")


def _external_member(url: str):
    library = consortium_services.create_library(code="EXT", name="外馆自有系统", name_en="EXT")
    DocDeliverySettings.objects.create(library=library, iso18626_url=url)
    return library


def _every_message_valid(peer: Iso18626Peer) -> None:
    assert peer.invalid() == []
    for row in Iso18626Message.objects.all():
        assert iso18626.validation_errors(row.body.encode()) == [], (row.kind, row.body)
        if row.confirmation.startswith("<?xml"):
            assert iso18626.validation_errors(row.confirmation.encode()) == []


# --- the platform asks an outside lender ---------------------------------------------------------

# scenario, request type, the state after the lender's messages, the lender holding it then
AS_REQUESTER = [
    ("WILLSUPPLY_LOANED", "book", Status.SHIPPED, "EXT"),
    ("LOANED_OVERDUE", "book", Status.SHIPPED, "EXT"),
    ("UNFILLED", "article", Status.SENT, "THU"),
    ("WILLSUPPLY_UNFILLED", "article", Status.SENT, "THU"),
    ("RETRY:COST", "article", Status.RETRY_POSSIBLE, "EXT"),
    ("COMPLETED", "article", Status.DELIVERED, "EXT"),
    ("EXPECTTOSUPPLY", "article", Status.WILL_SUPPLY, "EXT"),
    ("ERROR", "article", Status.SENT, "THU"),
    ("HTTP-ERROR-500", "article", Status.SENT, "THU"),
    ("NO_ANSWER", "article", Status.SENT, "THU"),
]


@pytest.mark.django_db(transaction=True)
def test_every_scenario_against_an_outside_lender(members, live_server, file_store):
    with Iso18626Peer(f"{live_server.url}/iso18626", agency=EXT, autoplay=False) as peer:
        _external_member(peer.url)
        outcomes = {}
        for n, (scenario, type_, _, _) in enumerate(AS_REQUESTER):
            citation = {**ARTICLE, "doi": f"10.5555/{n}", "note": f"MOCK:EXT:{scenario}"}
            if type_ == "book":
                citation.update(title=f"数据结构 第{n}版", issn="", doi="", article_title="")
            request = services.submit(
                by=members.c.reader, library=members.home, type_=type_, citation=citation
            )
            services.approve(request_id=request.pk, by=members.c.staff, rota=["EXT", "THU"])
            peer.play()
            request.refresh_from_db()
            if scenario == "NO_ANSWER":
                # Silent: it keeps the request until its window closes.
                assert request.lender.code == "EXT"
                due = request.rota.get(position=1).due_at
                services.pass_on_silent_lenders(at=due)
            else:
                services.pass_on_silent_lenders()  # the unreachable lose it at once
            request.refresh_from_db()
            outcomes[scenario] = (request.status, request.lender.code if request.lender else None)
        assert outcomes == {s: (status, lender) for s, _, status, lender in AS_REQUESTER}

        # The book lent: received here and sent back, and the lender is told each time.
        shipped = DocRequest.objects.filter(status=Status.SHIPPED, lender__code="EXT").first()
        services.receive(request_id=shipped.pk, by=members.c.staff)
        services.return_loan(request_id=shipped.pk, by=members.c.staff)
        actions = [m.action for m in peer.received(iso18626.messages.REQUESTING_AGENCY_MESSAGE)]
        assert actions == ["Received", "ShippedReturn"]
        # The cost offered reached the rota.
        retry = DocRequest.objects.get(status=Status.RETRY_POSSIBLE)
        entry = retry.rota.get(position=1)
        assert entry.reason_retry == "CostExceedsMaxCost" and entry.retry_cost == 35
        # A retry accepted is asked again, as a Retry.
        services.accept_retry(request_id=retry.pk, by=members.c.staff)
        requests = peer.received(iso18626.messages.REQUEST)
        assert requests[-1].service.request_type == "Retry"
        _every_message_valid(peer)


# --- an outside requester asks a lender here ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_outside_requester_is_answered_by_a_lender_here(members, live_server, file_store):
    with Iso18626Peer(f"{live_server.url}/iso18626", agency=EXT) as peer:
        _external_member(peer.url)
        thu = members.lender_staff[0]
        sent = peer.request(THU, "EXT-1", title="Nature", article_title="A paper",
                            service_type="Copy", volume="579")  # fmt: skip
        assert sent.ok and sent.confirmation.message_status == "OK"
        request = DocRequest.objects.get(library__code="EXT", external_id="EXT-1")
        assert request.status == Status.SENT and request.lender.code == "THU"
        assert request.reader is None
        services.will_supply(request_id=request.pk, by=thu)
        services.supply(request_id=request.pk, by=thu, data=PDF)
        statuses = [
            m.status for m in peer.received(iso18626.messages.SUPPLYING_AGENCY_MESSAGE, "EXT-1")
        ]
        assert statuses == ["WillSupply", "CopyCompleted"]

        peer.request(THU, "EXT-2", title="Science", article_title="Another", service_type="Copy")
        assert peer.action("EXT-2", "StatusRequest").confirmation.message_status == "OK"
        assert peer.action("EXT-2", "Cancel").confirmation.message_status == "OK"
        second = DocRequest.objects.get(external_id="EXT-2")
        assert second.status == Status.CANCELLED
        answers = peer.received(iso18626.messages.SUPPLYING_AGENCY_MESSAGE, "EXT-2")
        assert [(m.reason_for_message, m.status, m.answer_yes_no) for m in answers] == [
            ("StatusRequestResponse", "RequestReceived", ""),
            ("CancelResponse", "Cancelled", "Y"),
        ]
        # The same request id again is refused, and nothing is made twice.
        again = peer.request(THU, "EXT-1", title="Nature", service_type="Copy")
        assert again.confirmation.message_status == "ERROR"
        assert DocRequest.objects.filter(external_id="EXT-1").count() == 1
        _every_message_valid(peer)


# --- refusals and retransmissions, without a peer -----------------------------------------------

STAMP = dt.datetime(2026, 3, 3, 2, 0, tzinfo=dt.UTC)


def _post(body: bytes):
    response = Client().post("/iso18626", data=body, content_type="application/xml")
    return response.status_code, response.content


def _error_type(answer: bytes) -> str:
    confirmation = iso18626.parse(answer, accept=iso18626.messages.KINDS)
    assert confirmation.message_status == "ERROR"
    return confirmation.error.error_type


def _unfilled(request_id: str, stamp=STAMP) -> bytes:
    return iso18626.build(
        iso18626.SupplyingAgencyMessage(
            header=iso18626.Header(THU, iso18626.AgencyId("ISIL", "PKU"), stamp, request_id),
            reason_for_message="RequestResponse",
            status="Unfilled",
            last_change=stamp,
            reason_unfilled="NotHeld",
        )
    )


def _state() -> dict:
    state = db_fingerprint()
    state.pop("docdelivery.Iso18626Message")  # every message received is logged
    return state


@pytest.mark.django_db
def test_faults_get_the_right_error_confirmation_and_change_nothing(members):
    good = _unfilled("PKU-999999")
    before = _state()
    cases = {
        "malformed": (b"<ISO18626Message><request>", "BadlyFormedMessage"),
        "wrong namespace": (good.replace(b"illtransactions.org/2013/iso18626", b"example.org/ill"), "BadlyFormedMessage"),
        "unknown enumeration value": (good.replace(b">Unfilled<", b">Sleeping<"), "UnrecognisedDataValue"),
        "unknown request id": (good, "UnrecognisedDataValue"),
    }  # fmt: skip
    for name, (body, expected) in cases.items():
        status, answer = _post(body)
        assert answer, name
        assert iso18626.validation_errors(answer) == [], name
        assert _error_type(answer) == expected, name
    assert _state() == before


@pytest.mark.django_db
def test_a_retransmission_changes_nothing_twice(members):
    request = services.submit(
        by=members.c.reader, library=members.home, type_="article", citation=ARTICLE
    )
    services.approve(request_id=request.pk, by=members.c.staff, rota=["THU", "RUC", "BNU"])
    message = _unfilled(f"PKU-{request.pk}")
    first = _post(message)
    assert (
        first[0] == 200
        and iso18626.parse_confirmation(first[1], "supplyingAgencyMessage").message_status == "OK"
    )
    request.refresh_from_db()
    assert request.lender.code == "RUC"
    before = db_fingerprint()
    assert _post(message) == first  # the same confirmation, byte for byte
    assert db_fingerprint() == before
    # From a member not holding it: unknown to them.
    status, answer = _post(_unfilled(f"PKU-{request.pk}", STAMP + dt.timedelta(seconds=1)))
    assert _error_type(answer) == "UnrecognisedDataValue"
