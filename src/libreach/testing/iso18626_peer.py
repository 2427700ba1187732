"""An ISO 18626 peer for tests: a member library running its own system, over real HTTP.

The platform's tests drive document delivery against it, as ReShare's and CrossLink's are
driven against CrossLink's `illmock`. It listens on 127.0.0.1 (an ephemeral port, a
ThreadingHTTPServer of daemon threads; a context manager starts and stops it) and plays
both roles:

- SUPPLIER: a `request` posted to `peer.url` is confirmed, then (in a background thread, or
  when the test calls `play()`) the peer sends the platform's `platform_url` the
  supplyingAgencyMessages of the scenario named in the request's supplierUniqueRecordId
  (or in a `MOCK:<this agency>:<SCENARIO>` token of its serviceInfo note, as illmock reads
  it); see SCENARIOS. It answers the platform's requestingAgencyMessages (Cancel,
  ShippedReturn, Received, StatusRequest, Renew, Notification) as a supplier would.
- REQUESTER: `send_request()` / `request()` posts the platform a `request` and `action()` a
  requestingAgencyMessage, recording the confirmations; supplyingAgencyMessages the
  platform sends back to `peer.url` are confirmed and recorded.

Every message sent or received, and every confirmation, is recorded in `peer.exchanges`
with its XSD validation errors: a test asserts `peer.invalid() == []`. A message received
twice (same `dedup_key`) gets the first confirmation again and changes nothing; to see the
platform do the same, `peer.send(peer.sent(kind)[i])` posts a sent message again, unchanged. The peer builds its
own messages with the codec, which refuses to build anything invalid. Only the standard
library and the codec (lxml): no Django, no database.
"""

from __future__ import annotations

import functools
import itertools
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from libreach.docdelivery.iso18626 import (
    AgencyId,
    BibliographicInfo,
    Confirmation,
    Costs,
    DeliveryInfo,
    ErrorData,
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
    kind_of,
    parse,
    parse_confirmation,
    unknown_request_id,
    validation_errors,
)
from libreach.docdelivery.iso18626 import messages as vocab

MAX_BODY = 1_000_000
PEER_AGENCY = AgencyId("ISIL", "PEER")


@dataclass(frozen=True)
class Step:
    """One supplyingAgencyMessage of a scenario: its status, why, and what comes with it."""

    status: str
    reason: str = "StatusChange"
    reason_unfilled: str = ""
    reason_retry: str = ""
    offered_cost: Decimal | None = None
    delivery: bool = False  # a deliveryInfo (a copy by URL, a loan by mail)
    note: str = ""
    answer_yes_no: str = ""  # to a Cancel or a Renew


_RR = "RequestResponse"
SCENARIOS: dict[str, tuple[Step, ...]] = {
    # What the supplier sends after confirming the request (RR: RequestResponse first).
    "EXPECTTOSUPPLY": (Step("ExpectToSupply", _RR),),
    "WILLSUPPLY": (Step("WillSupply", _RR),),
    "WILLSUPPLY_LOANED": (Step("WillSupply", _RR), Step("Loaned", delivery=True)),
    "WILLSUPPLY_LOANED_OVERDUE": (
        Step("WillSupply", _RR),
        Step("Loaned", delivery=True),
        Step("Overdue"),
    ),
    "WILLSUPPLY_LOANED_RECALLED": (
        Step("WillSupply", _RR),
        Step("Loaned", delivery=True),
        Step("Recalled"),
    ),
    "WILLSUPPLY_UNFILLED": (
        Step("WillSupply", _RR),
        Step("Unfilled", reason_unfilled="NotOnShelf", note="Missing from the shelf"),
    ),
    "WILLSUPPLY_COMPLETED": (Step("WillSupply", _RR), Step("CopyCompleted", delivery=True)),
    "LOANED": (Step("Loaned", _RR, delivery=True),),
    "LOANED_OVERDUE": (Step("Loaned", _RR, delivery=True), Step("Overdue")),
    "LOANED_RECALLED": (Step("Loaned", _RR, delivery=True), Step("Recalled")),
    "UNFILLED": (Step("Unfilled", _RR, reason_unfilled="NotHeld", note="Not held here"),),
    # COMPLETED: CopyCompleted for a copy, LoanCompleted otherwise (as illmock).
    "COMPLETED": (Step("CopyCompleted", _RR, delivery=True),),
    "RETRY:COST": (
        Step(
            "RetryPossible",
            _RR,
            reason_retry="CostExceedsMaxCost",
            offered_cost=Decimal("35.00"),
            note="Costs more than your maximum",
        ),
    ),
    "RETRY:COND": (Step("RetryPossible", _RR, reason_retry="LoanCondition"),),
    "RETRY:ONLOAN": (Step("RetryPossible", _RR, reason_retry="OnLoan"),),
    "RETRY:NOTFOUNDASCITED": (Step("RetryPossible", _RR, reason_retry="NotFoundAsCited"),),
    # Confirmed, then nothing: the platform's response window runs out.
    "NO_ANSWER": (),
}
# Answered without a scenario's messages: a requestConfirmation with messageStatus ERROR
# (BadlyFormedMessage, as illmock), or an HTTP error status and no confirmation at all.
ERROR = "ERROR"
HTTP_ERRORS = {"HTTP-ERROR-400": 400, "HTTP-ERROR-500": 500}
DEFAULT_SCENARIO = "UNFILLED"  # what illmock does with a scenario it does not know


def scenario_names() -> list[str]:
    """Every scenario the supplier plays (RETRY:<reason>_<then> plays <then> on the retry)."""
    return [*SCENARIOS, ERROR, *HTTP_ERRORS]


@dataclass
class Exchange:
    """One HTTP exchange as the peer saw it, with the schema's verdict on both bodies."""

    direction: str  # "sent" (the peer posted) or "received" (the platform posted)
    kind: str  # the message's kind, or "" when unreadable
    body: bytes
    body_errors: list[str]
    http_status: int | None  # None: no answer (connection refused, timeout)
    answer: bytes = b""
    answer_errors: list[str] = field(default_factory=list)
    message: Message | None = None
    confirmation: Confirmation | None = None
    retransmission: bool = False  # received again: answered as before, nothing done

    @property
    def valid(self) -> bool:
        return not self.body_errors and not self.answer_errors


@dataclass
class SendResult:
    http_status: int | None
    body: bytes
    confirmation: Confirmation | None  # None unless HTTP 200 with the right, valid confirmation
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.confirmation is not None and self.confirmation.ok


@dataclass
class Transaction:
    """A request the peer holds as supplier."""

    request: Request
    scenario: str
    supplier_request_id: str
    pending: list[Step]
    status: str = "RequestReceived"
    retry_then: str = ""
    answers: int = 0  # answers to the platform's actions, queued before the scenario's rest


def choose_scenario(request: Request, agency: AgencyId, default: str = DEFAULT_SCENARIO) -> str:
    """The scenario a request names for this supplier: a MOCK:<agency>:<SCENARIO> token of
    the note first, then supplierUniqueRecordId, else `default`."""
    note = request.service.note if request.service else ""
    for token in note.split():
        parts = token.split(":", 2)
        if len(parts) == 3 and parts[0] == "MOCK" and parts[1] == agency.value and parts[2]:
            return parts[2]
    named = request.bibliographic.supplier_unique_record_id.strip()
    return named if _known(named) else default


def _known(name: str) -> bool:
    base, _, _ = name.partition("_") if name.startswith("RETRY:") else (name, "", "")
    return name in SCENARIOS or base in SCENARIOS or name == ERROR or name in HTTP_ERRORS


def _steps(scenario: str, service_type: str) -> tuple[list[Step], str]:
    """A scenario's steps, and for RETRY:<reason>_<then> the scenario a Retry plays."""
    then = ""
    if scenario.startswith("RETRY:") and scenario not in SCENARIOS:
        scenario, _, then = scenario.partition("_")
    steps = list(SCENARIOS.get(scenario, SCENARIOS[DEFAULT_SCENARIO]))
    if service_type != "Copy":
        # A loan completes as a loan, and what it delivers goes by mail.
        steps = [
            replace(s, status="LoanCompleted") if s.status == "CopyCompleted" else s for s in steps
        ]
    return steps, then


class Iso18626Peer:
    """A member's ISO 18626 system on 127.0.0.1; use as `with Iso18626Peer(url) as peer:`.

    `platform_url`: where the peer sends its messages (the platform's POST /iso18626).
    `agency`: the peer's agency id (a member is known by agencyIdValue, its library code).
    `autoplay`: send a scenario's messages in a background thread once the request is
    confirmed; else the test calls `play()`, which sends them in its own thread.
    `step_delay`: seconds between two messages of a scenario (default none).
    `clock`: the peer's time (timestamps strictly increase even if it stands still).
    """

    def __init__(
        self,
        platform_url: str,
        *,
        agency: AgencyId = PEER_AGENCY,
        default_scenario: str = DEFAULT_SCENARIO,
        autoplay: bool = True,
        step_delay: float = 0.0,
        timeout: float = 5.0,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.platform_url = platform_url
        self.agency = agency
        self.default_scenario = default_scenario
        self.autoplay = autoplay
        self.step_delay = step_delay
        self.timeout = timeout
        self.clock = clock or (lambda: datetime.now(UTC))
        self.exchanges: list[Exchange] = []
        self.transactions: dict[tuple[str, str], Transaction] = {}
        self.requests: dict[str, Request] = {}  # what the peer asked for, as requester
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._last_stamp: datetime | None = None
        self._ids = itertools.count(1)
        self._answered: dict[str, bytes] = {}  # dedup_key -> the confirmation given
        self._server: ThreadingHTTPServer | None = None
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    # -- life cycle ------------------------------------------------------------------------

    def start(self) -> Iso18626Peer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join(timeout=self.timeout)
        self._threads.clear()

    def __enter__(self) -> Iso18626Peer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start the peer first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/iso18626"

    # -- what was exchanged ------------------------------------------------------------------

    def invalid(self) -> list[Exchange]:
        """Exchanges where a message or a confirmation did not validate against the XSD."""
        with self._lock:
            return [e for e in self.exchanges if not e.valid]

    def sent(self, kind: str = "", request_id: str = "") -> list[Message]:
        return self._messages("sent", kind, request_id)

    def received(self, kind: str = "", request_id: str = "") -> list[Message]:
        return self._messages("received", kind, request_id)

    def statuses_sent(self, request_id: str) -> list[str]:
        """The statuses the peer sent as supplier for one request, in order."""
        sent = self.sent(vocab.SUPPLYING_AGENCY_MESSAGE, request_id)
        return [m.status for m in sent if isinstance(m, SupplyingAgencyMessage)]

    def _messages(self, direction: str, kind: str, request_id: str) -> list[Message]:
        with self._lock:
            found = []
            for e in self.exchanges:
                m = e.message
                if e.direction != direction or m is None or (kind and e.kind != kind):
                    continue
                if request_id and (
                    isinstance(m, Confirmation)
                    or m.header.requesting_agency_request_id != request_id
                ):
                    continue
                found.append(m)
            return found

    def wait_for(self, predicate: Callable[[], bool], timeout: float | None = None) -> bool:
        """Wait (bounded) until `predicate()` holds after some exchange; True if it did."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout=timeout or self.timeout)

    def wait_sent(self, count: int, kind: str = vocab.SUPPLYING_AGENCY_MESSAGE) -> bool:
        return self.wait_for(lambda: len(self.sent(kind)) >= count)

    def _record(self, exchange: Exchange) -> None:
        with self._changed:
            self.exchanges.append(exchange)
            self._changed.notify_all()

    def now(self) -> datetime:
        """The peer's clock, strictly increasing by at least a millisecond per message, so
        two messages are never taken for a retransmission."""
        with self._lock:
            stamp = self.clock()
            if self._last_stamp is not None and stamp <= self._last_stamp:
                stamp = self._last_stamp + timedelta(milliseconds=1)
            self._last_stamp = stamp
            return stamp

    # -- sending ---------------------------------------------------------------------------

    def send(
        self, message: Request | SupplyingAgencyMessage | RequestingAgencyMessage
    ) -> SendResult:
        """Post a message to the platform and record the exchange and its confirmation."""
        body = build(message)  # refuses to build an invalid message
        status: int | None = None
        answer = b""
        error = ""
        req = urllib.request.Request(
            self.platform_url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                status = response.status
                answer = response.read(MAX_BODY + 1)
        except urllib.error.HTTPError as exc:
            status = exc.code
            answer = exc.read(MAX_BODY + 1)
            error = f"HTTP {exc.code}"
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            error = str(exc)
        answer_errors: list[str] = []
        confirmation: Confirmation | None = None
        if status == 200:
            answer_errors = validation_errors(answer)
            try:
                confirmation = parse_confirmation(answer, message)
            except Iso18626Error as exc:
                error = str(exc)
                answer_errors = answer_errors or [f"not the confirmation of a {kind_of(message)}"]
        self._record(
            Exchange(
                direction="sent",
                kind=kind_of(message),
                body=body,
                body_errors=validation_errors(body),
                http_status=status,
                answer=answer,
                answer_errors=answer_errors,
                message=message,
                confirmation=confirmation,
            )
        )
        return SendResult(status, answer, confirmation, error)

    # -- as requester ----------------------------------------------------------------------

    def request(
        self,
        supplier: AgencyId,
        request_id: str = "",
        *,
        scenario: str = "",
        title: str = "Journal of Library Science",
        article_title: str = "",
        service_type: str = "Copy",
        **bibliographic: str,
    ) -> SendResult:
        """Ask the platform (as `supplier`) for an item; returns its confirmation."""
        request_id = request_id or f"{self.agency.value}-{next(self._ids)}"
        message = Request(
            header=Header(supplier, self.agency, self.now(), request_id),
            bibliographic=BibliographicInfo(
                supplier_unique_record_id=scenario,
                title=title,
                title_of_component=article_title,
                **bibliographic,
            ),
            service=ServiceInfo(service_type=service_type, request_type="New"),
        )
        return self.send_request(message)

    def send_request(self, message: Request) -> SendResult:
        with self._lock:
            self.requests[message.header.requesting_agency_request_id] = message
        return self.send(message)

    def action(self, request_id: str, action: str, note: str = "") -> SendResult:
        """Send the platform a requestingAgencyMessage about a request the peer made."""
        with self._lock:
            original = self.requests[request_id]
            answered = self.received(vocab.SUPPLYING_AGENCY_MESSAGE, request_id)
        supplier_id = next(
            (
                m.header.supplying_agency_request_id
                for m in reversed(answered)
                if not isinstance(m, Confirmation)
            ),
            "",
        )
        header = replace(
            original.header, timestamp=self.now(), supplying_agency_request_id=supplier_id
        )
        return self.send(RequestingAgencyMessage(header=header, action=action, note=note))

    # -- as supplier -----------------------------------------------------------------------

    def play(self, request_id: str = "") -> list[SendResult]:
        """Send the pending messages of one transaction (or of all), in this thread."""
        results = []
        with self._lock:
            keys = [k for k in self.transactions if not request_id or k[1] == request_id]
        for key in keys:
            while not self._stopping.is_set():
                with self._lock:
                    tx = self.transactions[key]
                    if not tx.pending:
                        break
                    step = tx.pending.pop(0)
                    tx.answers = max(0, tx.answers - 1)
                    if step.reason == "StatusRequestResponse":  # the status when answered
                        step = replace(step, status=tx.status)
                    tx.status = step.status
                    message = self._supplying(tx, step)
                results.append(self.send(message))
                if self.step_delay and tx.pending:
                    self._stopping.wait(self.step_delay)
        return results

    def _play_later(self, request_id: str) -> None:
        thread = threading.Thread(target=self.play, args=(request_id,), daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _supplying(self, tx: Transaction, step: Step) -> SupplyingAgencyMessage:
        now = self.now()
        h = tx.request.header
        header = Header(
            supplying_agency=self.agency,
            requesting_agency=h.requesting_agency,
            timestamp=now,
            requesting_agency_request_id=h.requesting_agency_request_id,
            supplying_agency_request_id=tx.supplier_request_id,
        )
        delivery = None
        due = None
        if step.delivery and step.status == "CopyCompleted":
            delivery = DeliveryInfo(now, sent_via="URL", delivered_format="PDF")
        elif step.delivery:
            delivery = DeliveryInfo(now, item_id=f"39{tx.supplier_request_id}", sent_via="Mail")
        if step.status == "Loaned":
            due = now + timedelta(days=28)
        cost = None
        if step.offered_cost is not None:
            max_cost = tx.request.max_cost
            cost = Costs(max_cost.currency if max_cost else "CNY", step.offered_cost)
        return SupplyingAgencyMessage(
            header=header,
            reason_for_message=step.reason,
            status=step.status,
            last_change=now,
            answer_yes_no=step.answer_yes_no,
            note=step.note,
            reason_unfilled=step.reason_unfilled,
            reason_retry=step.reason_retry,
            offered_costs=cost,
            due_date=due,
            delivery=delivery,
        )

    # -- what the platform posts to the peer ---------------------------------------------

    def handle(self, body: bytes) -> tuple[int, bytes, Callable[[], None] | None]:
        """Answer one posted message: (HTTP status, body, what to do once it is sent)."""
        after = None
        message: Message | None = None
        try:
            message = parse(body, actions=vocab.ACTIONS, reasons=vocab.REASONS_FOR_MESSAGE)
        except Iso18626Error as exc:
            status, answer, kind = exc.http_status, confirmation_for(exc, now=self.now()), exc.kind
        else:
            kind = kind_of(message)
            assert not isinstance(message, Confirmation)
            key = dedup_key(message)
            with self._lock:
                seen = self._answered.get(key)
            if seen is not None:
                self._record(
                    Exchange(
                        "received",
                        kind,
                        body,
                        validation_errors(body),
                        200,
                        seen,
                        message=message,
                        retransmission=True,
                    )  # fmt: skip
                )
                return 200, seen, None
            if isinstance(message, Request):
                status, answer, after = self._on_request(message)
            elif isinstance(message, RequestingAgencyMessage):
                status, answer, after = self._on_action(message)
            else:
                status, answer = self._on_supplying(message)
            if status == 200:
                with self._lock:
                    self._answered[key] = answer
        self._record(
            Exchange(
                direction="received",
                kind=kind,
                body=body,
                body_errors=validation_errors(body),
                http_status=status,
                answer=answer,
                answer_errors=validation_errors(answer) if status == 200 else [],
                message=message,
            )
        )
        return status, answer, after

    def _on_request(self, message: Request) -> tuple[int, bytes, Callable[[], None] | None]:
        scenario = choose_scenario(message, self.agency, self.default_scenario)
        if scenario in HTTP_ERRORS:
            return HTTP_ERRORS[scenario], b"mock HTTP error\n", None
        now = self.now()
        if scenario == ERROR:
            error = ErrorData("BadlyFormedMessage", f"scenario {ERROR}")
            return 200, confirmation_for(message, error=error, now=now), None
        h = message.header
        key = (h.requesting_agency.value, h.requesting_agency_request_id)
        service_type = message.service.service_type if message.service else "Copy"
        steps, then = _steps(scenario, service_type)
        with self._lock:
            previous = self.transactions.get(key)
            if previous is None and message.service and message.service.previous_request_id:
                previous = self.transactions.get(
                    (h.requesting_agency.value, message.service.previous_request_id)
                )
            retry = message.service is not None and message.service.request_type == "Retry"
            if retry and previous is not None and previous.retry_then:
                steps, then = _steps(previous.retry_then, service_type)
            self.transactions[key] = Transaction(
                request=message,
                scenario=scenario,
                supplier_request_id=f"{self.agency.value}-S{next(self._ids)}",
                pending=steps,
                retry_then=then,
            )
        after = None
        if self.autoplay:
            after = functools.partial(self._play_later, h.requesting_agency_request_id)
        return 200, confirmation_for(message, now=now), after

    def _on_action(
        self, message: RequestingAgencyMessage
    ) -> tuple[int, bytes, Callable[[], None] | None]:
        h = message.header
        now = self.now()
        with self._lock:
            tx = self.transactions.get((h.requesting_agency.value, h.requesting_agency_request_id))
            if tx is None:
                error = unknown_request_id(message)
                return 200, confirmation_for(message, error=error, now=now), None
            answer: Step | None = None
            if message.action == "Cancel":
                shipped = tx.status in ("Loaned", "Overdue", "Recalled", "CopyCompleted")
                tx.pending.clear()
                tx.answers = 0
                if shipped:
                    answer = Step(tx.status, "CancelResponse", answer_yes_no="N", note="Shipped")
                else:
                    answer = Step("Cancelled", "CancelResponse", answer_yes_no="Y")
            elif message.action == "ShippedReturn":
                tx.pending.clear()
                tx.answers = 0
                answer = Step("LoanCompleted")
            elif message.action == "StatusRequest":
                answer = Step(tx.status, "StatusRequestResponse")
            elif message.action == "Renew":
                answer = Step("Loaned", "RenewResponse", answer_yes_no="Y")
            if answer is not None:
                tx.pending.insert(tx.answers, answer)  # after earlier answers, in order
                tx.answers += 1
        after = None
        if answer is not None and self.autoplay:
            after = functools.partial(self._play_later, h.requesting_agency_request_id)
        return 200, confirmation_for(message, now=now), after

    def _on_supplying(self, message: SupplyingAgencyMessage) -> tuple[int, bytes]:
        now = self.now()
        with self._lock:
            known = message.header.requesting_agency_request_id in self.requests
        if not known:
            return 200, confirmation_for(message, error=unknown_request_id(message), now=now)
        return 200, confirmation_for(message, now=now)


def _handler_for(peer: Iso18626Peer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = peer.timeout  # a client that stalls cannot hold a thread for long
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._answer(413, b"too large\n", "text/plain")
                return
            status, answer, after = peer.handle(self.rfile.read(length))
            content_type = "application/xml" if answer.startswith(b"<?xml") else "text/plain"
            self._answer(status, answer, content_type)
            if after is not None:
                after()  # the confirmation is out before the next message leaves

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()

        def log_message(self, format: str, *args: object) -> None:
            pass  # tests read peer.exchanges, not stderr

    return Handler
