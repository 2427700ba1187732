"""The ISO 18626 test peer plays every scenario over real HTTP, every message XSD-valid.

The platform's `POST /iso18626` is written beside this, so here a small receiver stands in
for it: it reads each message with the codec and answers the codec's confirmation, as the
view will. No database.
"""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from libreach.docdelivery.iso18626 import (
    AgencyId,
    BibliographicInfo,
    Confirmation,
    Costs,
    Header,
    Iso18626Error,
    Message,
    Request,
    RequestingAgencyMessage,
    ServiceInfo,
    SupplyingAgencyMessage,
    build,
    confirmation_for,
    dedup_key,
    parse,
    parse_confirmation,
    unknown_request_id,
    validation_errors,
)
from libreach.testing.iso18626_peer import Iso18626Peer, scenario_names

PLATFORM = AgencyId("ISIL", "CN-BALIS")
LENDER = AgencyId("ISIL", "CN-100084")
SAM = "supplyingAgencyMessage"


class Receiver:
    """The platform's endpoint, stood in: codec.parse, then codec.confirmation_for."""

    def __init__(self, answer: bytes | None = None) -> None:
        self.received: list[Message] = []
        self.errors: list[str] = []  # XSD errors of what it received, and of its answers
        self.known: set[str] | None = None  # request ids it knows; None: all
        self.answer = answer  # a fixed (broken) answer, to see the peer notice
        self._changed = threading.Condition()

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, answer = receiver.handle(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/iso18626"

    def handle(self, body: bytes) -> tuple[int, bytes]:
        self.errors += validation_errors(body)
        try:
            message = parse(body)
        except Iso18626Error as exc:
            return exc.http_status, confirmation_for(exc)
        assert not isinstance(message, Confirmation)
        error = None
        if self.known is not None and message.header.requesting_agency_request_id not in self.known:
            error = unknown_request_id(message)
        answer = self.answer if self.answer is not None else confirmation_for(message, error=error)
        self.errors += validation_errors(answer)
        with self._changed:
            self.received.append(message)
            self._changed.notify_all()
        return 200, answer

    def wait(self, count: int, kind: str = SAM, timeout: float = 5.0) -> list[Message]:
        def found() -> list[Message]:
            return [m for m in self.received if kind == m.KIND]

        with self._changed:
            self._changed.wait_for(lambda: len(found()) >= count, timeout=timeout)
            return found()


def post(url: str, body: bytes) -> tuple[int, bytes]:
    req = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


_ids = iter(range(1, 10_000))


def platform_request(scenario: str, service_type: str = "Copy", **service: str) -> Request:
    """What the platform sends a lender, naming the scenario as the peer reads it."""
    return Request(
        header=Header(LENDER, PLATFORM, datetime.now(UTC), f"BALIS-{next(_ids)}"),
        bibliographic=BibliographicInfo(
            supplier_unique_record_id=scenario,
            title="中国图书馆学报",
            title_of_component="论知识的组织",
        ),
        service=ServiceInfo(service_type=service_type, **service),
        max_cost=Costs("CNY", Decimal("20.00")),
    )


def action(request: Request, what: str) -> RequestingAgencyMessage:
    return RequestingAgencyMessage(
        header=replace(request.header, timestamp=datetime.now(UTC)), action=what
    )


@pytest.fixture
def platform():
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def lender(platform):
    with Iso18626Peer(platform.url, agency=LENDER) as peer:
        yield peer
        assert peer.invalid() == []
        assert platform.errors == []


def _send(peer: Iso18626Peer, message: Message) -> Confirmation:
    status, body = post(peer.url, build(message))
    assert status == 200
    assert validation_errors(body) == []
    return parse_confirmation(body, message)


# The statuses each scenario sends after confirming the request, in order.
EXPECTED = {
    "EXPECTTOSUPPLY": ["ExpectToSupply"],
    "WILLSUPPLY": ["WillSupply"],
    "WILLSUPPLY_LOANED": ["WillSupply", "Loaned"],
    "WILLSUPPLY_LOANED_OVERDUE": ["WillSupply", "Loaned", "Overdue"],
    "WILLSUPPLY_LOANED_RECALLED": ["WillSupply", "Loaned", "Recalled"],
    "WILLSUPPLY_UNFILLED": ["WillSupply", "Unfilled"],
    "WILLSUPPLY_COMPLETED": ["WillSupply", "CopyCompleted"],
    "LOANED": ["Loaned"],
    "LOANED_OVERDUE": ["Loaned", "Overdue"],
    "LOANED_RECALLED": ["Loaned", "Recalled"],
    "UNFILLED": ["Unfilled"],
    "COMPLETED": ["CopyCompleted"],
    "RETRY:COST": ["RetryPossible"],
    "RETRY:COND": ["RetryPossible"],
    "RETRY:ONLOAN": ["RetryPossible"],
    "RETRY:NOTFOUNDASCITED": ["RetryPossible"],
    "NO_ANSWER": [],
}


def test_every_scenario_is_listed_here():
    assert set(scenario_names()) == {*EXPECTED, "ERROR", "HTTP-ERROR-400", "HTTP-ERROR-500"}


@pytest.mark.parametrize("scenario", [s for s in EXPECTED if s != "NO_ANSWER"])
def test_the_lender_plays_each_scenario(platform, lender, scenario):
    request = platform_request(scenario)
    answer = _send(lender, request)
    assert answer.ok
    assert answer.requesting_agency_request_id == request.header.requesting_agency_request_id
    expected = EXPECTED[scenario]
    sent = platform.wait(len(expected))
    assert [m.status for m in sent] == expected
    rid = request.header.requesting_agency_request_id
    # The peer records an exchange once the platform's confirmation is back.
    assert lender.wait_for(lambda: len(lender.statuses_sent(rid)) == len(expected))
    assert lender.statuses_sent(rid) == expected
    first = sent[0]
    assert first.reason_for_message == "RequestResponse"
    assert all(m.reason_for_message == "StatusChange" for m in sent[1:])
    assert {m.header.supplying_agency for m in sent} == {LENDER}
    assert {m.header.requesting_agency for m in sent} == {PLATFORM}
    assert len({m.header.supplying_agency_request_id for m in sent}) == 1
    assert len({dedup_key(m) for m in sent}) == len(sent)  # never taken for retransmissions
    # Every message the peer sent was confirmed OK by the platform.
    assert all(
        e.confirmation and e.confirmation.ok for e in lender.exchanges if e.direction == "sent"
    )
    by_status = {m.status: m for m in sent}
    if "Unfilled" in by_status:
        assert by_status["Unfilled"].reason_unfilled in {"NotHeld", "NotOnShelf"}
    if scenario == "RETRY:COST":
        retry = by_status["RetryPossible"]
        assert retry.reason_retry == "CostExceedsMaxCost"
        assert retry.offered_costs is not None
        assert retry.offered_costs.currency == "CNY"
        assert retry.offered_costs.amount > request.max_cost.amount
    if "Loaned" in by_status:
        loaned = by_status["Loaned"]
        assert loaned.due_date is not None
        assert loaned.delivery is not None
        assert loaned.delivery.sent_via == "Mail"
    if "CopyCompleted" in by_status:
        delivery = by_status["CopyCompleted"].delivery
        assert delivery is not None
        assert (delivery.sent_via, delivery.delivered_format) == ("URL", "PDF")


def test_completed_on_a_loan_is_loan_completed(platform, lender):
    _send(lender, platform_request("COMPLETED", service_type="Loan"))
    assert [m.status for m in platform.wait(1)] == ["LoanCompleted"]


def test_no_answer_confirms_then_says_nothing(platform):
    # Played by the test's thread: nothing pending means nothing will ever be sent.
    with Iso18626Peer(platform.url, agency=LENDER, autoplay=False) as lender:
        request = platform_request("NO_ANSWER")
        assert _send(lender, request).ok
        assert lender.play() == []
        assert platform.received == []
        assert lender.invalid() == []


def test_error_answers_the_request_with_an_error_confirmation(platform, lender):
    request = platform_request("ERROR")
    answer = _send(lender, request)
    assert answer.kind == "requestConfirmation"
    assert answer.message_status == "ERROR"
    assert answer.error is not None
    assert answer.error.error_type == "BadlyFormedMessage"
    assert lender.transactions == {}
    assert lender.play() == []


@pytest.mark.parametrize("code", [500, 400])
def test_http_error_answers_that_status_and_nothing_else(platform, lender, code):
    status, body = post(lender.url, build(platform_request(f"HTTP-ERROR-{code}")))
    assert status == code
    assert not body.startswith(b"<")
    assert lender.transactions == {}
    assert lender.exchanges[-1].http_status == code


def test_scenarios_played_on_demand_leave_in_order(platform):
    with Iso18626Peer(platform.url, agency=LENDER, autoplay=False) as lender:
        request = platform_request("WILLSUPPLY_LOANED_OVERDUE")
        _send(lender, request)
        assert platform.received == []  # nothing until the test says so
        results = lender.play(request.header.requesting_agency_request_id)
        assert [r.ok for r in results] == [True, True, True]
        assert [m.status for m in platform.received] == ["WillSupply", "Loaned", "Overdue"]
        assert lender.invalid() == []


def test_the_note_or_the_default_chooses_when_the_record_id_does_not(platform):
    with Iso18626Peer(
        platform.url, agency=LENDER, autoplay=False, default_scenario="WILLSUPPLY"
    ) as lender:
        # A real record id, not a scenario: the peer's default.
        _send(lender, platform_request("ocm12345"))
        # A MOCK token for this lender wins over the record id; one for another is ignored.
        noted = platform_request("UNFILLED", note="MOCK:CN-100084:LOANED MOCK:OTHER:ERROR")
        _send(lender, noted)
        lender.play()
        assert [m.status for m in platform.received] == ["WillSupply", "Loaned"]


def test_a_retry_after_retry_possible_plays_what_follows(platform):
    with Iso18626Peer(platform.url, agency=LENDER, autoplay=False) as lender:
        first = platform_request("RETRY:COST_LOANED")
        _send(lender, first)
        lender.play()
        retry = replace(
            platform_request("RETRY:COST_LOANED"),
            service=ServiceInfo(
                service_type="Copy",
                request_type="Retry",
                previous_request_id=first.header.requesting_agency_request_id,
            ),
        )
        _send(lender, retry)
        lender.play()
        assert [m.status for m in platform.received] == ["RetryPossible", "Loaned"]
        assert lender.invalid() == []


def test_the_lender_answers_cancel_and_return(platform):
    with Iso18626Peer(platform.url, agency=LENDER, autoplay=False) as lender:
        willing = platform_request("WILLSUPPLY_LOANED")
        rid = willing.header.requesting_agency_request_id
        _send(lender, willing)
        lender.play()
        answer = _send(lender, action(willing, "ShippedReturn"))
        assert answer.kind == "requestingAgencyMessageConfirmation"
        assert answer.action == "ShippedReturn"
        lender.play()
        assert lender.statuses_sent(rid) == ["WillSupply", "Loaned", "LoanCompleted"]

        cancelled = platform_request("WILLSUPPLY_LOANED")
        _send(lender, cancelled)
        assert _send(lender, action(cancelled, "Cancel")).ok  # before anything was played
        lender.play(cancelled.header.requesting_agency_request_id)
        last = platform.received[-1]
        assert isinstance(last, SupplyingAgencyMessage)
        assert (last.reason_for_message, last.status, last.answer_yes_no) == (
            "CancelResponse",
            "Cancelled",
            "Y",
        )
        assert len(lender.statuses_sent(cancelled.header.requesting_agency_request_id)) == 1

        shipped = platform_request("LOANED")
        _send(lender, shipped)
        lender.play()
        _send(lender, action(shipped, "Cancel"))
        lender.play()
        last = platform.received[-1]
        assert (last.status, last.answer_yes_no) == ("Loaned", "N")
        assert lender.invalid() == []


def test_an_action_on_a_request_the_lender_never_had_is_an_error(platform, lender):
    stranger = platform_request("WILLSUPPLY")
    answer = _send(lender, action(stranger, "Received"))
    assert answer.message_status == "ERROR"
    assert answer.error is not None
    assert answer.error.error_type == "UnrecognisedDataValue"
    assert answer.error.error_value == (
        f"requestingAgencyRequestId: {stranger.header.requesting_agency_request_id}"
    )


def test_the_peer_answers_broken_xml_with_the_standards_error(platform, lender):
    status, body = post(lender.url, b"<ill:ISO18626Message")
    assert status == 400
    answer = parse(body, accept={"requestConfirmation"})
    assert answer.error.error_type == "BadlyFormedMessage"
    sleeping = build(platform_request("WILLSUPPLY")).replace(b">Copy<", b">Scan<")
    status, body = post(lender.url, sleeping)
    assert status == 200
    answer = parse(body, accept={"requestConfirmation"})
    assert answer.error.error_value == "serviceType: Scan"
    # What the platform sent was invalid, and the peer's record says so.
    assert [e.body_errors != [] for e in lender.exchanges] == [True, True]
    lender.exchanges.clear()  # the fixture checks the rest


def test_as_requester_the_peer_asks_and_confirms(platform):
    reader_library = AgencyId("ISIL", "CN-100871")
    with Iso18626Peer(platform.url, agency=reader_library) as requester:
        result = requester.request(PLATFORM, "PKU-1", scenario="", article_title="论知识的组织")
        assert result.ok
        assert result.confirmation.kind == "requestConfirmation"
        (request,) = platform.wait(1, kind="request")
        assert request.header.requesting_agency == reader_library
        # The platform, as supplier, answers at the peer's URL.
        will = SupplyingAgencyMessage(
            header=replace(
                request.header, timestamp=datetime.now(UTC), supplying_agency_request_id="B-9"
            ),
            reason_for_message="RequestResponse",
            status="WillSupply",
            last_change=datetime.now(UTC),
        )
        assert _send(requester, will).ok
        stranger = replace(
            will, header=replace(will.header, requesting_agency_request_id="PKU-404")
        )
        refused = _send(requester, stranger)
        assert refused.error.error_value == "requestingAgencyRequestId: PKU-404"
        for what in ("Received", "ShippedReturn", "Notification", "Cancel"):
            assert requester.action("PKU-1", what, note=what).ok
        actions = platform.wait(4, kind="requestingAgencyMessage")
        assert [m.action for m in actions] == [
            "Received",
            "ShippedReturn",
            "Notification",
            "Cancel",
        ]
        assert {m.header.supplying_agency_request_id for m in actions} == {"B-9"}
        assert len(requester.received(SAM)) == 2
        assert requester.invalid() == []
        assert platform.errors == []


def test_two_peers_run_a_loan_end_to_end():
    # As CrossLink runs two illmocks against each other: every message of both, valid.
    requester = Iso18626Peer("http://127.0.0.1:9/unused", agency=AgencyId("ISIL", "REQ"))
    with requester, Iso18626Peer(requester.url, agency=LENDER) as supplier:
        requester.platform_url = supplier.url
        assert requester.request(LENDER, "R-1", scenario="WILLSUPPLY_LOANED").ok
        assert requester.wait_for(lambda: len(requester.received(SAM)) == 2)
        assert requester.action("R-1", "Received").ok
        assert requester.action("R-1", "ShippedReturn").ok
        assert requester.wait_for(lambda: len(requester.received(SAM)) == 3)
        statuses = [m.status for m in requester.received(SAM)]
        assert statuses == ["WillSupply", "Loaned", "LoanCompleted"]
        assert requester.invalid() == [] and supplier.invalid() == []
        assert supplier.wait_for(lambda: len(supplier.exchanges) == 6)
        assert len(requester.exchanges) == 6


def test_a_stopped_clock_still_gives_distinct_timestamps(platform):
    frozen = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with Iso18626Peer(platform.url, agency=LENDER, autoplay=False, clock=lambda: frozen) as lender:
        _send(lender, platform_request("WILLSUPPLY_LOANED_OVERDUE"))
        lender.play()
        stamps = [m.header.timestamp for m in platform.received]
        assert stamps == sorted(set(stamps))
        assert stamps[0] > frozen


def test_the_peer_records_a_platform_that_is_down_or_answers_badly():
    with Receiver(answer=b"<ok/>") as broken:
        with Iso18626Peer(broken.url, agency=LENDER) as peer:
            result = peer.request(PLATFORM, "X-1")
            assert result.http_status == 200
            assert result.confirmation is None
            assert [e.valid for e in peer.exchanges] == [False]
        url = broken.url
    with Iso18626Peer(url, agency=LENDER, timeout=1) as peer:
        result = peer.request(PLATFORM, "X-2")  # the receiver is gone: connection refused
        assert result.http_status is None
        assert result.error


def test_the_lender_answers_a_status_request_and_a_renewal(platform):
    with Iso18626Peer(platform.url, agency=LENDER, autoplay=False) as lender:
        request = platform_request("WILLSUPPLY_LOANED_OVERDUE", service_type="Loan")
        _send(lender, request)
        lender.play()
        renew = action(request, "Renew")
        assert _send(lender, renew).action == "Renew"
        assert _send(lender, action(request, "StatusRequest")).ok
        lender.play()
        *_, renewed, status = lender.sent(SAM)
        assert (renewed.reason_for_message, renewed.status) == ("RenewResponse", "Loaned")
        assert renewed.answer_yes_no == "Y"
        assert renewed.due_date is not None
        assert (status.reason_for_message, status.status) == ("StatusRequestResponse", "Loaned")
        # The platform does not renew: it refuses the RenewResponse as the standard says.
        refused = [e.confirmation for e in lender.exchanges if e.message == renewed]
        assert refused[0].error.error_type == "UnsupportedReasonForMessageType"
        assert lender.invalid() == []
        assert platform.errors == []


def test_a_retransmission_is_answered_alike_and_changes_nothing(platform):
    with Iso18626Peer(platform.url, agency=LENDER, autoplay=False) as lender:
        request = platform_request("WILLSUPPLY")
        body = build(request)
        first = post(lender.url, body)
        lender.play()
        again = post(lender.url, body)
        assert again == first
        assert lender.play() == []  # the scenario is not played twice
        assert [e.retransmission for e in lender.exchanges if e.direction == "received"] == [
            False,
            True,
        ]
        cancel = build(action(request, "Cancel"))
        assert post(lender.url, cancel) == post(lender.url, cancel)
        lender.play()
        assert lender.statuses_sent(request.header.requesting_agency_request_id) == [
            "WillSupply",
            "Cancelled",
        ]


def test_the_peer_retransmits_a_message_unchanged(platform):
    with Iso18626Peer(platform.url, agency=LENDER) as peer:
        peer.request(PLATFORM, "R-9")
        (sent,) = peer.sent("request")
        peer.send(sent)
        first, second = (e.body for e in peer.exchanges)
        assert first == second
        assert len(platform.wait(2, kind="request")) == 2
