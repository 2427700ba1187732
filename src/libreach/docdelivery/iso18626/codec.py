"""ISO 18626 v1.2 on the wire: dataclasses to XML and back, and the confirmation for each case.

`build()` serialises a message and validates it against the schema before returning it: a
bug on our side raises `InvalidMessage` and nothing invalid is ever sent. `parse()` reads
bytes from a peer and either returns a message or raises `Iso18626Error` carrying the
errorType the standard asks for; `confirmation_for()` turns either into the confirmation to
answer with (OK, or ERROR with errorData), itself schema-valid.

How a failure is classified (ISO 18626:2017 errorType; as ReShare and CrossLink answer):
- not well-formed, not an ISO18626Message root, the wrong namespace, a required element
  missing or elements out of the schema's order -> BadlyFormedMessage;
- an element the schema does not declare -> UnrecognisedDataElement;
- a value outside an enumeration or not of its type (status "Sleeping", a timestamp that
  is not a dateTime) -> UnrecognisedDataValue; the same for an action -> UnsupportedActionType,
  for a reasonForMessage -> UnsupportedReasonForMessageType;
- a schema-valid action or reasonForMessage the platform does not handle -> Unsupported...;
- a request id the platform does not know: the caller decides, and answers with
  `confirmation_for(message, error=unknown_request_id(message))`.

When a message is too broken to tell its kind, the answer is a requestConfirmation (the
confirmation of the exchange's first message, and the one needing the fewest header fields)
with `Iso18626Error.http_status` 400: ReShare mod-rs and CrossLink both answer such a body
with HTTP 400 (as text); we also put a confirmation in it so the sender can read why.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from . import schema
from .messages import (
    ACTIONS,
    CONFIRMATION_OF,
    KINDS,
    REASONS_FOR_MESSAGE,
    REQUEST,
    REQUEST_CONFIRMATION,
    REQUESTING_AGENCY_MESSAGE,
    REQUESTING_AGENCY_MESSAGE_CONFIRMATION,
    SUPPLYING_AGENCY_MESSAGE,
    SUPPLYING_AGENCY_MESSAGE_CONFIRMATION,
    SUPPORTED_ACTIONS,
    SUPPORTED_REASONS,
    AgencyId,
    BibliographicInfo,
    Confirmation,
    Costs,
    DeliveryInfo,
    ErrorData,
    Header,
    ItemId,
    Message,
    Request,
    RequestingAgencyMessage,
    ServiceInfo,
    SupplyingAgencyMessage,
)

NS = schema.NS
_N = f"{{{NS}}}"
# Enough for any ISO 18626 message (a request with a long citation is a few kB).
MAX_BYTES = 1_000_000
INCOMING_KINDS = frozenset({REQUEST, SUPPLYING_AGENCY_MESSAGE, REQUESTING_AGENCY_MESSAGE})
CONFIRMATION_KINDS = frozenset(CONFIRMATION_OF.values())

BADLY_FORMED = "BadlyFormedMessage"
UNRECOGNISED_ELEMENT = "UnrecognisedDataElement"
UNRECOGNISED_VALUE = "UnrecognisedDataValue"
UNSUPPORTED_ACTION = "UnsupportedActionType"
UNSUPPORTED_REASON = "UnsupportedReasonForMessageType"


class InvalidMessage(ValueError):
    """A message we built does not validate: a bug on our side, never sent."""


class Iso18626Error(Exception):
    """A message from a peer that cannot be accepted, and what to answer it.

    Carries the errorType and errorValue for the ERROR confirmation, and what could be read
    of the message (its kind and header) so the confirmation can echo them.
    """

    def __init__(
        self,
        error_type: str,
        error_value: str = "",
        *,
        kind: str = "",
        supplying_agency: AgencyId | None = None,
        requesting_agency: AgencyId | None = None,
        requesting_agency_request_id: str = "",
        timestamp: datetime | None = None,
        reason_for_message: str = "",
        action: str = "",
    ) -> None:
        super().__init__(f"{error_type}: {error_value}" if error_value else error_type)
        self.error_type = error_type
        self.error_value = error_value
        self.kind = kind
        self.supplying_agency = supplying_agency
        self.requesting_agency = requesting_agency
        self.requesting_agency_request_id = requesting_agency_request_id
        self.timestamp = timestamp
        self.reason_for_message = reason_for_message
        self.action = action

    @property
    def error(self) -> ErrorData:
        return ErrorData(self.error_type, self.error_value[:500])

    @property
    def confirmation_kind(self) -> str:
        """The confirmation that answers it; a requestConfirmation when the kind is unknown."""
        return CONFIRMATION_OF.get(self.kind, REQUEST_CONFIRMATION)

    @property
    def http_status(self) -> int:
        """200 when the message's kind is known (the confirmation says ERROR), else 400."""
        return 200 if self.kind in CONFIRMATION_OF else 400


# -- helpers shared by build and parse ---------------------------------------------------


def kind_of(message: Message) -> str:
    """The element name of a message under ISO18626Message ("request", ...)."""
    if isinstance(message, Confirmation):
        return message.kind
    return message.KIND


def sender_of(message: Request | SupplyingAgencyMessage | RequestingAgencyMessage) -> AgencyId:
    """Who sent it: the supplying agency of a supplyingAgencyMessage, else the requesting one."""
    h = message.header
    return (
        h.supplying_agency if isinstance(message, SupplyingAgencyMessage) else h.requesting_agency
    )


def recipient_of(
    message: Request | SupplyingAgencyMessage | RequestingAgencyMessage,
) -> AgencyId:
    h = message.header
    return (
        h.requesting_agency if isinstance(message, SupplyingAgencyMessage) else h.supplying_agency
    )


def format_datetime(value: datetime) -> str:
    """xs:dateTime in UTC ("2026-12-02T01:02:03.456Z"); a naive datetime is a bug."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidMessage(f"naive datetime {value!r}: ISO 18626 timestamps carry a zone")
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_datetime(text: str) -> datetime:
    """xs:dateTime to an aware datetime; a time without a zone is read as UTC."""
    value = datetime.fromisoformat(text.strip())
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def dedup_key(message: Request | SupplyingAgencyMessage | RequestingAgencyMessage) -> str:
    """A key equal for a message and its retransmission, different for any other message.

    Message kind, sender and recipient, requestingAgencyRequestId, the header timestamp (to
    the microsecond, in UTC), and the status or action: a peer that sends two messages in
    the same millisecond still gets two keys. At most 255 characters (the model's column):
    a longer key keeps its head and ends in a hash of the whole.
    """
    h = message.header
    detail = ""
    if isinstance(message, SupplyingAgencyMessage):
        detail = f"{message.reason_for_message}/{message.status}"
    elif isinstance(message, RequestingAgencyMessage):
        detail = message.action
    stamp = h.timestamp.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    key = "|".join(
        (
            kind_of(message),
            str(sender_of(message)),
            str(recipient_of(message)),
            h.requesting_agency_request_id,
            stamp,
            detail,
        )
    )
    if len(key) <= 255:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()
    return f"{key[:190]}#{digest}"


# -- build ---------------------------------------------------------------------------------


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _N + name)
    if text is not None:
        child.text = text
    return child


def _opt(parent: etree._Element, name: str, text: str) -> None:
    if text:
        _el(parent, name, text)


def _opt_dt(parent: etree._Element, name: str, value: datetime | None) -> None:
    if value is not None:
        _el(parent, name, format_datetime(value))


def _agency(parent: etree._Element, name: str, agency: AgencyId) -> None:
    el = _el(parent, name)
    _el(el, "agencyIdType", agency.type)
    _el(el, "agencyIdValue", agency.value)


def _costs(parent: etree._Element, name: str, costs: Costs | None) -> None:
    if costs is not None:
        el = _el(parent, name)
        _el(el, "currencyCode", costs.currency)
        _el(el, "monetaryValue", format(costs.amount, "f"))


def _header(parent: etree._Element, h: Header) -> None:
    el = _el(parent, "header")
    _agency(el, "supplyingAgencyId", h.supplying_agency)
    _agency(el, "requestingAgencyId", h.requesting_agency)
    _el(el, "multipleItemRequestId", h.multiple_item_request_id)
    _el(el, "timestamp", format_datetime(h.timestamp))
    _el(el, "requestingAgencyRequestId", h.requesting_agency_request_id)
    _opt(el, "supplyingAgencyRequestId", h.supplying_agency_request_id)


def _build_request(root: etree._Element, m: Request) -> None:
    el = _el(root, REQUEST)
    _header(el, m.header)
    b = m.bibliographic
    bib = _el(el, "bibliographicInfo")
    for name, value in (
        ("supplierUniqueRecordId", b.supplier_unique_record_id),
        ("title", b.title),
        ("author", b.author),
        ("subtitle", b.subtitle),
        ("edition", b.edition),
        ("titleOfComponent", b.title_of_component),
        ("authorOfComponent", b.author_of_component),
        ("volume", b.volume),
        ("issue", b.issue),
        ("pagesRequested", b.pages_requested),
    ):
        _opt(bib, name, value)
    for item in b.item_ids:
        iid = _el(bib, "bibliographicItemId")
        _el(iid, "bibliographicItemIdentifier", item.identifier)
        _el(iid, "bibliographicItemIdentifierCode", item.code)
    if m.publisher or m.publication_date or m.place_of_publication:
        pub = _el(el, "publicationInfo")
        _opt(pub, "publisher", m.publisher)
        _opt(pub, "publicationDate", m.publication_date)
        _opt(pub, "placeOfPublication", m.place_of_publication)
    if (s := m.service) is not None:
        svc = _el(el, "serviceInfo")
        _opt(svc, "requestType", s.request_type)
        _opt(svc, "requestingAgencyPreviousRequestId", s.previous_request_id)
        _el(svc, "serviceType", s.service_type)
        _opt_dt(svc, "needBeforeDate", s.need_before)
        _opt(svc, "note", s.note)
    if m.delivery_email:
        delivery = _el(_el(_el(el, "requestedDeliveryInfo"), "address"), "electronicAddress")
        _el(delivery, "electronicAddressType", "Email")
        _el(delivery, "electronicAddressData", m.delivery_email)
    if m.requesting_agency_name:
        _el(_el(el, "requestingAgencyInfo"), "name", m.requesting_agency_name)
    if m.patron_id:
        _el(_el(el, "patronInfo"), "patronId", m.patron_id)
    if m.max_cost is not None:
        _costs(_el(el, "billingInfo"), "maximumCosts", m.max_cost)


def _build_supplying(root: etree._Element, m: SupplyingAgencyMessage) -> None:
    el = _el(root, SUPPLYING_AGENCY_MESSAGE)
    _header(el, m.header)
    info = _el(el, "messageInfo")
    _el(info, "reasonForMessage", m.reason_for_message)
    _opt(info, "answerYesNo", m.answer_yes_no)
    _opt(info, "note", m.note)
    _opt(info, "reasonUnfilled", m.reason_unfilled)
    _opt(info, "reasonRetry", m.reason_retry)
    _costs(info, "offeredCosts", m.offered_costs)
    _opt_dt(info, "retryAfter", m.retry_after)
    _opt_dt(info, "retryBefore", m.retry_before)
    status = _el(el, "statusInfo")
    _el(status, "status", m.status)
    _opt_dt(status, "expectedDeliveryDate", m.expected_delivery_date)
    _opt_dt(status, "dueDate", m.due_date)
    _el(status, "lastChange", format_datetime(m.last_change))
    if (d := m.delivery) is not None:
        delivery = _el(el, "deliveryInfo")
        _el(delivery, "dateSent", format_datetime(d.date_sent))
        _opt(delivery, "itemId", d.item_id)
        _opt(delivery, "sentVia", d.sent_via)
        _opt(delivery, "loanCondition", d.loan_condition)
        _opt(delivery, "deliveredFormat", d.delivered_format)
        _costs(delivery, "deliveryCosts", d.delivery_costs)


def _build_requesting(root: etree._Element, m: RequestingAgencyMessage) -> None:
    el = _el(root, REQUESTING_AGENCY_MESSAGE)
    _header(el, m.header)
    _el(el, "action", m.action)
    _opt(el, "note", m.note)


def _build_confirmation(root: etree._Element, c: Confirmation) -> None:
    if c.kind not in CONFIRMATION_KINDS:
        raise InvalidMessage(f"not a confirmation kind: {c.kind!r}")
    el = _el(root, c.kind)
    head = _el(el, "confirmationHeader")
    if c.supplying_agency is not None:
        _agency(head, "supplyingAgencyId", c.supplying_agency)
    if c.requesting_agency is not None:
        _agency(head, "requestingAgencyId", c.requesting_agency)
    _el(head, "timestamp", format_datetime(c.timestamp))
    _opt(head, "requestingAgencyRequestId", c.requesting_agency_request_id)
    _el(head, "timestampReceived", format_datetime(c.timestamp_received))
    _el(head, "messageStatus", c.message_status)
    if c.kind == SUPPLYING_AGENCY_MESSAGE_CONFIRMATION:
        _opt(el, "reasonForMessage", c.reason_for_message)
    elif c.kind == REQUESTING_AGENCY_MESSAGE_CONFIRMATION:
        _opt(el, "action", c.action)
    if c.error is not None:
        err = _el(el, "errorData")
        _el(err, "errorType", c.error.error_type)
        _opt(err, "errorValue", c.error.error_value)


def to_element(message: Message) -> etree._Element:
    """The message as an ISO18626Message element, not yet validated."""
    root = etree.Element(_N + schema.ROOT, nsmap={"ill": NS})
    root.set(_N + "version", schema.VERSION)
    if isinstance(message, Request):
        _build_request(root, message)
    elif isinstance(message, SupplyingAgencyMessage):
        _build_supplying(root, message)
    elif isinstance(message, RequestingAgencyMessage):
        _build_requesting(root, message)
    elif isinstance(message, Confirmation):
        _build_confirmation(root, message)
    else:
        raise InvalidMessage(f"not an ISO 18626 message: {type(message).__name__}")
    return root


def build(message: Message) -> bytes:
    """The message as UTF-8 XML, validated against the schema (InvalidMessage if not)."""
    root = to_element(message)
    if errors := schema.check(root):
        text = "; ".join(f"{e.line}: {e.message}" for e in errors)
        raise InvalidMessage(f"{kind_of(message)} does not validate: {text}")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def validation_errors(data: bytes) -> list[str]:
    """Why `data` is not a valid ISO 18626 message ([] when it is): for tests and logs."""
    try:
        root = etree.fromstring(data, schema.safe_parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed: {exc}"]
    if root.tag != _N + schema.ROOT:
        return [f"root is {root.tag}, not {_N}{schema.ROOT}"]
    try:
        return [f"{e.line}: {e.message}" for e in schema.check(root)]
    except etree.XMLSchemaValidateError as exc:
        return [str(exc)]


# -- parse ---------------------------------------------------------------------------------


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _first_child(el: etree._Element) -> etree._Element | None:
    return next((c for c in el if isinstance(c.tag, str)), None)


def _by_local(el: etree._Element, *path: str) -> etree._Element | None:
    """Follow child names whatever their namespace (to read what a broken message says)."""
    for name in path:
        el = next((c for c in el if _local(c.tag) == name), None)
        if el is None:
            return None
    return el


def _text_local(el: etree._Element, *path: str) -> str:
    found = _by_local(el, *path)
    return (found.text or "").strip() if found is not None else ""


def _salvage(root: etree._Element | None) -> dict:
    """What can be read of a message that does not validate: its kind and header."""
    if root is None or _local(root.tag) != schema.ROOT:
        return {}
    body = _first_child(root)
    if body is None or _local(body.tag) not in KINDS:
        return {}
    kind = _local(body.tag)
    found: dict = {"kind": kind}
    head_name = "confirmationHeader" if kind in CONFIRMATION_KINDS else "header"
    for key, name in (
        ("supplying_agency", "supplyingAgencyId"),
        ("requesting_agency", "requestingAgencyId"),
    ):
        type_ = _text_local(body, head_name, name, "agencyIdType")
        value = _text_local(body, head_name, name, "agencyIdValue")
        if type_ and value:
            found[key] = AgencyId(type_, value)
    found["requesting_agency_request_id"] = _text_local(
        body, head_name, "requestingAgencyRequestId"
    )
    with contextlib.suppress(ValueError):
        found["timestamp"] = parse_datetime(_text_local(body, head_name, "timestamp"))
    reason = _text_local(body, "messageInfo", "reasonForMessage")
    if reason in REASONS_FOR_MESSAGE:
        found["reason_for_message"] = reason
    action = _text_local(body, "action")
    if action in ACTIONS:
        found["action"] = action
    return found


_ELEMENT = re.compile(r"Element '(?:\{(?P<ns>[^}]*)\})?(?P<name>[^']+)'")
_VALUE = re.compile(r"The value '(?P<v>[^']*)'|'(?P<w>[^']*)' is not a valid value")


def _classify(entry: etree._LogEntry) -> tuple[str, str]:
    """An lxml schema error as (errorType, errorValue)."""
    message = entry.message
    m = _ELEMENT.search(message)
    ns, name = (m.group("ns") or "", m.group("name")) if m else ("", "")
    if "This element is not expected" in message:
        if ns != NS or name not in schema.declared_elements():
            return UNRECOGNISED_ELEMENT, name
        return BADLY_FORMED, f"{name}: not expected there"
    if "attribute" in message and "is not allowed" in message:
        return UNRECOGNISED_ELEMENT, message
    v = _VALUE.search(message)
    if v is not None and ("enumeration" in message or "not a valid value" in message):
        value = v.group("v") if v.group("v") is not None else v.group("w")
        if name == "action":
            return UNSUPPORTED_ACTION, value
        if name == "reasonForMessage":
            return UNSUPPORTED_REASON, value
        return UNRECOGNISED_VALUE, f"{name}: {value}"
    return BADLY_FORMED, message


def _tree(data: bytes) -> etree._Element:
    if len(data) > MAX_BYTES:
        raise Iso18626Error(BADLY_FORMED, f"more than {MAX_BYTES} bytes")
    try:
        root = etree.fromstring(data, schema.safe_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        salvaged: dict = {}
        try:
            recover = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
            salvaged = _salvage(etree.fromstring(data, recover))
        except (etree.XMLSyntaxError, ValueError):
            pass
        raise Iso18626Error(BADLY_FORMED, f"not well-formed XML: {exc}", **salvaged) from None
    # No message needs a DTD; an entity left unexpanded would also break validation.
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise Iso18626Error(BADLY_FORMED, "a DOCTYPE is not allowed", **_salvage(root))
    return root


def parse(
    data: bytes,
    *,
    accept: Collection[str] = INCOMING_KINDS,
    actions: Collection[str] = SUPPORTED_ACTIONS,
    reasons: Collection[str] = SUPPORTED_REASONS,
) -> Message:
    """Read an ISO 18626 message, or raise Iso18626Error saying what to answer.

    `accept`: the kinds expected (by default the three a peer posts to /iso18626; a
    confirmation posted there is BadlyFormedMessage). `actions` and `reasons`: the
    requestingAgencyMessage actions and supplyingAgencyMessage reasonForMessage values the
    caller handles; others are UnsupportedActionType / UnsupportedReasonForMessageType.
    """
    root = _tree(data)
    if root.tag != _N + schema.ROOT:
        ns = etree.QName(root.tag).namespace or "(none)"
        value = f"namespace {ns}" if _local(root.tag) == schema.ROOT else f"root {root.tag}"
        raise Iso18626Error(BADLY_FORMED, value, **_salvage(root))
    try:
        errors = schema.check(root)
    except etree.XMLSchemaValidateError as exc:  # libxml2 gave up on the document
        raise Iso18626Error(BADLY_FORMED, str(exc), **_salvage(root)) from None
    if errors:
        error_type, error_value = _classify(errors[0])
        raise Iso18626Error(error_type, error_value, **_salvage(root))
    body = _first_child(root)
    assert body is not None  # the schema requires one
    kind = _local(body.tag)
    if kind not in accept:
        raise Iso18626Error(BADLY_FORMED, f"{kind} not expected here", **_salvage(root))
    try:
        message = _read(kind, body)
    except (ValueError, InvalidOperation) as exc:
        # Schema-valid but beyond what Python reads (a dateTime at 24:00, year 0).
        raise Iso18626Error(UNRECOGNISED_VALUE, str(exc), **_salvage(root)) from None
    if isinstance(message, RequestingAgencyMessage) and message.action not in actions:
        raise Iso18626Error(UNSUPPORTED_ACTION, message.action, **_salvage(root))
    if isinstance(message, SupplyingAgencyMessage) and message.reason_for_message not in reasons:
        raise Iso18626Error(UNSUPPORTED_REASON, message.reason_for_message, **_salvage(root))
    if not isinstance(message, Confirmation):
        h = message.header
        for label, value in (
            ("requestingAgencyRequestId", h.requesting_agency_request_id),
            ("supplyingAgencyId", h.supplying_agency.value),
            ("requestingAgencyId", h.requesting_agency.value),
        ):
            if not value:
                raise Iso18626Error(BADLY_FORMED, f"{label} is empty", **_salvage(root))
    return message


def parse_confirmation(data: bytes, answering: Message | str) -> Confirmation:
    """Read the confirmation a peer answered our message with (Iso18626Error if it is not
    valid, or not the confirmation of that message's kind)."""
    kind = answering if isinstance(answering, str) else kind_of(answering)
    expected = CONFIRMATION_OF.get(kind, kind)
    confirmation = parse(data, accept={expected})
    assert isinstance(confirmation, Confirmation)
    return confirmation


def _t(el: etree._Element, path: str) -> str:
    found = el.find(_path(path))
    return (found.text or "").strip() if found is not None else ""


def _path(path: str) -> str:
    return "/".join(_N + part for part in path.split("/"))


def _dt(el: etree._Element, path: str) -> datetime | None:
    text = _t(el, path)
    return parse_datetime(text) if text else None


def _agency_of(el: etree._Element, path: str) -> AgencyId | None:
    found = el.find(_path(path))
    if found is None:
        return None
    return AgencyId(_t(found, "agencyIdType"), _t(found, "agencyIdValue"))


def _costs_of(el: etree._Element, path: str) -> Costs | None:
    found = el.find(_path(path))
    if found is None:
        return None
    return Costs(_t(found, "currencyCode"), Decimal(_t(found, "monetaryValue")))


def _read_header(el: etree._Element) -> Header:
    h = el.find(_path("header"))
    supplying = _agency_of(h, "supplyingAgencyId")
    requesting = _agency_of(h, "requestingAgencyId")
    timestamp = _dt(h, "timestamp")
    assert supplying and requesting and timestamp  # required by the schema
    return Header(
        supplying_agency=supplying,
        requesting_agency=requesting,
        timestamp=timestamp,
        requesting_agency_request_id=_t(h, "requestingAgencyRequestId"),
        supplying_agency_request_id=_t(h, "supplyingAgencyRequestId"),
        multiple_item_request_id=_t(h, "multipleItemRequestId"),
    )


def _read(kind: str, el: etree._Element) -> Message:
    if kind == REQUEST:
        bib = el.find(_path("bibliographicInfo"))
        items = tuple(
            ItemId(
                code=_t(i, "bibliographicItemIdentifierCode"),
                identifier=_t(i, "bibliographicItemIdentifier"),
            )
            for i in bib.findall(_path("bibliographicItemId"))
        )
        svc = el.find(_path("serviceInfo"))
        service = None
        if svc is not None:
            service = ServiceInfo(
                service_type=_t(svc, "serviceType"),
                request_type=_t(svc, "requestType"),
                previous_request_id=_t(svc, "requestingAgencyPreviousRequestId"),
                need_before=_dt(svc, "needBeforeDate"),
                note=_t(svc, "note"),
            )
        email = ""
        for delivery in el.findall(_path("requestedDeliveryInfo")):
            address = delivery.find(_path("address/electronicAddress"))
            if address is not None and _t(address, "electronicAddressType").lower() == "email":
                email = _t(address, "electronicAddressData")
                break
        return Request(
            header=_read_header(el),
            bibliographic=BibliographicInfo(
                supplier_unique_record_id=_t(bib, "supplierUniqueRecordId"),
                title=_t(bib, "title"),
                author=_t(bib, "author"),
                subtitle=_t(bib, "subtitle"),
                edition=_t(bib, "edition"),
                title_of_component=_t(bib, "titleOfComponent"),
                author_of_component=_t(bib, "authorOfComponent"),
                volume=_t(bib, "volume"),
                issue=_t(bib, "issue"),
                pages_requested=_t(bib, "pagesRequested"),
                item_ids=items,
            ),
            service=service,
            publisher=_t(el, "publicationInfo/publisher"),
            publication_date=_t(el, "publicationInfo/publicationDate"),
            place_of_publication=_t(el, "publicationInfo/placeOfPublication"),
            requesting_agency_name=_t(el, "requestingAgencyInfo/name"),
            patron_id=_t(el, "patronInfo/patronId"),
            max_cost=_costs_of(el, "billingInfo/maximumCosts"),
            delivery_email=email,
        )
    if kind == SUPPLYING_AGENCY_MESSAGE:
        info = el.find(_path("messageInfo"))
        status = el.find(_path("statusInfo"))
        last_change = _dt(status, "lastChange")
        assert last_change is not None  # required by the schema
        delivery = None
        d = el.find(_path("deliveryInfo"))
        if d is not None:
            date_sent = _dt(d, "dateSent")
            assert date_sent is not None
            delivery = DeliveryInfo(
                date_sent=date_sent,
                item_id=_t(d, "itemId"),
                sent_via=_t(d, "sentVia"),
                delivered_format=_t(d, "deliveredFormat"),
                loan_condition=_t(d, "loanCondition"),
                delivery_costs=_costs_of(d, "deliveryCosts"),
            )
        return SupplyingAgencyMessage(
            header=_read_header(el),
            reason_for_message=_t(info, "reasonForMessage"),
            status=_t(status, "status"),
            last_change=last_change,
            answer_yes_no=_t(info, "answerYesNo"),
            note=_t(info, "note"),
            reason_unfilled=_t(info, "reasonUnfilled"),
            reason_retry=_t(info, "reasonRetry"),
            offered_costs=_costs_of(info, "offeredCosts"),
            retry_after=_dt(info, "retryAfter"),
            retry_before=_dt(info, "retryBefore"),
            expected_delivery_date=_dt(status, "expectedDeliveryDate"),
            due_date=_dt(status, "dueDate"),
            delivery=delivery,
        )
    if kind == REQUESTING_AGENCY_MESSAGE:
        return RequestingAgencyMessage(
            header=_read_header(el), action=_t(el, "action"), note=_t(el, "note")
        )
    head = el.find(_path("confirmationHeader"))
    timestamp = _dt(head, "timestamp")
    received = _dt(head, "timestampReceived")
    assert timestamp and received  # required by the schema
    err = el.find(_path("errorData"))
    return Confirmation(
        kind=kind,
        message_status=_t(head, "messageStatus"),
        timestamp=timestamp,
        timestamp_received=received,
        supplying_agency=_agency_of(head, "supplyingAgencyId"),
        requesting_agency=_agency_of(head, "requestingAgencyId"),
        requesting_agency_request_id=_t(head, "requestingAgencyRequestId"),
        error=ErrorData(_t(err, "errorType"), _t(err, "errorValue")) if err is not None else None,
        reason_for_message=_t(el, "reasonForMessage"),
        action=_t(el, "action"),
    )


# -- confirmations -------------------------------------------------------------------------


def unknown_request_id(
    message: Request | SupplyingAgencyMessage | RequestingAgencyMessage,
    field: str = "requestingAgencyRequestId",
) -> ErrorData:
    """The errorData for a message about a request the platform does not know."""
    h = message.header
    value = (
        h.supplying_agency_request_id
        if field == "supplyingAgencyRequestId"
        else h.requesting_agency_request_id
    )
    return ErrorData(UNRECOGNISED_VALUE, f"{field}: {value}")


def confirmation(
    subject: Request | SupplyingAgencyMessage | RequestingAgencyMessage | Iso18626Error,
    *,
    error: ErrorData | None = None,
    now: datetime | None = None,
) -> Confirmation:
    """The confirmation answering a parsed message (OK, or ERROR when `error` is given) or a
    message parse() refused (ERROR with its errorType and errorValue)."""
    now = now or datetime.now(UTC)
    if isinstance(subject, Iso18626Error):
        return Confirmation(
            kind=subject.confirmation_kind,
            message_status="ERROR",
            timestamp=now,
            timestamp_received=subject.timestamp or now,
            supplying_agency=subject.supplying_agency,
            requesting_agency=subject.requesting_agency,
            requesting_agency_request_id=subject.requesting_agency_request_id,
            error=subject.error,
            reason_for_message=subject.reason_for_message,
            action=subject.action,
        )
    h = subject.header
    return Confirmation(
        kind=CONFIRMATION_OF[kind_of(subject)],
        message_status="OK" if error is None else "ERROR",
        timestamp=now,
        timestamp_received=h.timestamp,
        supplying_agency=h.supplying_agency,
        requesting_agency=h.requesting_agency,
        requesting_agency_request_id=h.requesting_agency_request_id,
        error=error,
        reason_for_message=getattr(subject, "reason_for_message", ""),
        action=getattr(subject, "action", ""),
    )


def confirmation_for(
    subject: Request | SupplyingAgencyMessage | RequestingAgencyMessage | Iso18626Error,
    *,
    error: ErrorData | None = None,
    now: datetime | None = None,
) -> bytes:
    """`confirmation()` as schema-valid XML, ready to answer with."""
    return build(confirmation(subject, error=error, now=now))
