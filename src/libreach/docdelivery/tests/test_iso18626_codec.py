"""The ISO 18626 codec: every message kind round-trips valid against the XSD, and every way a
peer's message can be wrong gets the ERROR confirmation the standard asks for.

No database: pytest-django refuses any query from these tests.
"""

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from libreach.docdelivery.iso18626 import (
    AgencyId,
    BibliographicInfo,
    Confirmation,
    Costs,
    DeliveryInfo,
    ErrorData,
    Header,
    InvalidMessage,
    Iso18626Error,
    ItemId,
    Request,
    RequestingAgencyMessage,
    ServiceInfo,
    SupplyingAgencyMessage,
    build,
    confirmation,
    confirmation_for,
    dedup_key,
    messages,
    parse,
    parse_confirmation,
    schema,
    unknown_request_id,
    validation_errors,
)
from libreach.docdelivery.models import ReasonRetry, ReasonUnfilled

T0 = datetime(2026, 3, 2, 9, 30, 15, 250000, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 30, 16, tzinfo=UTC)
PKU = AgencyId("ISIL", "CN-100871")  # requester
TSINGHUA = AgencyId("ISIL", "CN-100084")  # supplier
HEADER = Header(TSINGHUA, PKU, T0, "PKU-42", supplying_agency_request_id="TH-7")
ALL_KINDS = set(messages.KINDS)

REQUEST = Request(
    header=HEADER,
    bibliographic=BibliographicInfo(
        supplier_unique_record_id="WILLSUPPLY_LOANED",
        title="中国图书馆学报",
        author="王子舟",
        title_of_component="论知识的组织",
        author_of_component="王子舟; 李明",
        volume="46",
        issue="3",
        pages_requested="4-19",
        item_ids=(ItemId("ISSN", "1001-8867"), ItemId("DOI", "10.1000/xyz123")),
    ),
    service=ServiceInfo(
        service_type="Copy",
        request_type="New",
        need_before=T0 + timedelta(days=2),
        note="闭馆期间请电子传递",
    ),
    publisher="国家图书馆出版社",
    publication_date="2020",
    place_of_publication="北京",
    requesting_agency_name="北京大学图书馆",
    patron_id="r-1024",
    max_cost=Costs("CNY", Decimal("20.00")),
    delivery_email="ill@lib.pku.edu.cn",
)
SUPPLYING = SupplyingAgencyMessage(
    header=HEADER,
    reason_for_message="StatusChange",
    status="Loaned",
    last_change=T0,
    note="Sent by courier",
    expected_delivery_date=T0 + timedelta(days=1),
    due_date=T0 + timedelta(days=28),
    delivery=DeliveryInfo(
        date_sent=T0,
        item_id="30001002003004",
        sent_via="Mail",
        delivered_format="Printed",
        loan_condition="NoReproduction",
        delivery_costs=Costs("CNY", Decimal("0")),
    ),
)
RETRY = SupplyingAgencyMessage(
    header=HEADER,
    reason_for_message="RequestResponse",
    status="RetryPossible",
    last_change=T0,
    reason_retry="CostExceedsMaxCost",
    offered_costs=Costs("CNY", Decimal("35.5")),
    retry_after=T0 + timedelta(hours=1),
    retry_before=T0 + timedelta(days=7),
)
UNFILLED = SupplyingAgencyMessage(
    header=HEADER,
    reason_for_message="RequestResponse",
    status="Unfilled",
    last_change=T0,
    reason_unfilled="NotOnShelf",
)
CANCELLED = SupplyingAgencyMessage(
    header=HEADER,
    reason_for_message="CancelResponse",
    status="Cancelled",
    last_change=T0,
    answer_yes_no="Y",
)
ACTION = RequestingAgencyMessage(header=HEADER, action="ShippedReturn", note="Returned by post")


def _error(data: bytes, **kwargs) -> Iso18626Error:
    with pytest.raises(Iso18626Error) as info:
        parse(data, **kwargs)
    return info.value


def _answer(error: Iso18626Error) -> Confirmation:
    """The confirmation we would answer with: schema-valid, and ERROR with the error."""
    data = confirmation_for(error, now=NOW)
    assert validation_errors(data) == []
    answer = parse(data, accept=ALL_KINDS)
    assert isinstance(answer, Confirmation)
    assert answer.message_status == "ERROR"
    assert answer.error == error.error
    return answer


# -- the schema and the vocabularies -------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "values"),
    [
        ("type_status", messages.STATUSES),
        ("type_reasonForMessage", messages.REASONS_FOR_MESSAGE),
        ("type_action", messages.ACTIONS),
        ("type_errorType", messages.ERROR_TYPES),
        ("type_serviceType", messages.SERVICE_TYPES),
        ("type_requestType", messages.REQUEST_TYPES),
        ("type_messageStatus", messages.MESSAGE_STATUSES),
        ("type_yesNo", messages.YES_NO),
    ],
)
def test_vocabularies_are_the_schemas(type_name, values):
    assert schema.enumeration(type_name) == values


def test_the_schema_ships_inside_the_package_and_loads_once():
    assert schema.xml_schema() is schema.xml_schema()
    assert "supplierUniqueRecordId" in schema.declared_elements()


def test_the_models_reason_codes_are_the_standards():
    # NoAnswer is ours (a lender's window ran out) and never goes on the wire.
    assert set(ReasonUnfilled.values) - {"NoAnswer"} == set(messages.REASONS_UNFILLED)
    assert set(ReasonRetry.values) == set(messages.REASONS_RETRY)


def test_the_models_reason_codes_fit_in_a_message():
    # The models keep the standard's codes as sent; each one builds into a valid message.
    for code in ReasonUnfilled.values:
        build(replace(UNFILLED, reason_unfilled=code))
    for code in ReasonRetry.values:
        build(replace(RETRY, reason_retry=code))


# -- round trips ---------------------------------------------------------------------------


MINIMAL_REQUEST = Request(
    header=replace(HEADER, supplying_agency_request_id=""), bibliographic=BibliographicInfo()
)

ROUND_TRIPS = {
    "request": REQUEST,
    "request-minimal": MINIMAL_REQUEST,
    "request-retry": replace(
        REQUEST,
        service=ServiceInfo(
            service_type="Loan", request_type="Retry", previous_request_id="PKU-41"
        ),
    ),
    "supplying-loaned": SUPPLYING,
    "supplying-retry": RETRY,
    "supplying-unfilled": UNFILLED,
    "supplying-cancelled": CANCELLED,
    "requesting": ACTION,
    "requesting-minimal": RequestingAgencyMessage(header=HEADER, action="Received"),
}


@pytest.mark.parametrize("name", ROUND_TRIPS)
def test_each_message_round_trips_valid(name):
    message = ROUND_TRIPS[name]
    data = build(message)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    assert validation_errors(data) == []
    assert parse(data) == message


@pytest.mark.parametrize("message", [REQUEST, SUPPLYING, ACTION], ids=lambda m: m.KIND)
@pytest.mark.parametrize("error", [None, ErrorData("UnrecognisedDataValue", "x: y")])
def test_each_confirmation_round_trips_valid(message, error):
    expected = messages.CONFIRMATION_OF[message.KIND]
    data = confirmation_for(message, error=error, now=NOW)
    assert validation_errors(data) == []
    answer = parse_confirmation(data, message)
    assert answer.kind == expected
    assert answer.ok is (error is None)
    assert answer.error == error
    assert answer.timestamp == NOW
    assert answer.timestamp_received == T0  # the confirmed message's own timestamp
    assert answer.requesting_agency_request_id == "PKU-42"
    assert (answer.requesting_agency, answer.supplying_agency) == (PKU, TSINGHUA)
    # The confirmation echoes the reasonForMessage or the action it answers.
    assert answer.reason_for_message == getattr(message, "reason_for_message", "")
    assert answer.action == getattr(message, "action", "")
    assert confirmation(message, error=error, now=NOW) == answer


def test_timestamps_are_utc_and_any_zone_reads_back():
    data = build(
        replace(
            ACTION,
            header=replace(
                HEADER, timestamp=T0.astimezone(__import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
            ),
        )
    )
    assert b"<ill:timestamp>2026-03-02T09:30:15.250000Z</ill:timestamp>" in data
    received = build(ACTION).replace(b"09:30:15.250000Z", b"17:30:15.25+08:00")
    assert parse(received).header.timestamp == T0
    naive = build(ACTION).replace(b"09:30:15.250000Z", b"09:30:15.25")
    assert parse(naive).header.timestamp == T0  # no zone: read as UTC


# -- we never send an invalid message ----------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        replace(SUPPLYING, status="Sleeping"),
        replace(SUPPLYING, reason_for_message="Gossip"),
        replace(ACTION, action="Dance"),
        replace(REQUEST, service=ServiceInfo(service_type="Scan")),
        replace(ACTION, header=replace(HEADER, timestamp=datetime(2026, 3, 2, 9, 30))),
        replace(SUPPLYING, answer_yes_no="Maybe"),
    ],
    ids=["status", "reason", "action", "service", "naive-time", "yes-no"],
)
def test_build_refuses_what_the_schema_refuses(message):
    with pytest.raises(InvalidMessage):
        build(message)


# -- what a peer can get wrong, and the confirmation it gets back --------------------------


def test_not_well_formed_xml_is_badly_formed_answered_as_its_kind_when_readable():
    # Cut short: the kind and header are still readable, so the answer is the matching
    # confirmation, echoing what was read.
    error = _error(build(SUPPLYING)[:-40])
    assert error.error_type == "BadlyFormedMessage"
    assert error.http_status == 200
    answer = _answer(error)
    assert answer.kind == "supplyingAgencyMessageConfirmation"
    assert answer.requesting_agency_request_id == "PKU-42"
    assert answer.timestamp_received == T0


@pytest.mark.parametrize("data", [b"", b"hello", b"<a><b></a>", b"\xff\xfe<x/>", b"<?xml"])
def test_unreadable_bytes_get_a_request_confirmation_and_400(data):
    error = _error(data)
    assert error.error_type == "BadlyFormedMessage"
    assert error.kind == ""
    assert error.http_status == 400
    answer = _answer(error)
    assert answer.kind == "requestConfirmation"
    assert answer.timestamp_received == NOW  # nothing to echo


def test_a_wrong_namespace_is_badly_formed():
    data = build(ACTION).replace(
        b"http://illtransactions.org/2013/iso18626", b"http://illtransactions.org/2013/iso18626x"
    )
    error = _error(data)
    assert error.error_type == "BadlyFormedMessage"
    assert "namespace http://illtransactions.org/2013/iso18626x" in error.error_value
    answer = _answer(error)
    assert answer.kind == "requestingAgencyMessageConfirmation"
    assert answer.action == "ShippedReturn"
    assert answer.requesting_agency_request_id == "PKU-42"


def test_no_namespace_and_a_wrong_root_are_badly_formed():
    plain = b'<ISO18626Message version="1.2"><request/></ISO18626Message>'
    assert _error(plain).error_type == "BadlyFormedMessage"
    assert _answer(_error(plain)).kind == "requestConfirmation"
    # <request> alone is a global element of the schema, and would validate: still refused.
    bare = (
        build(REQUEST)
        .replace(b"<ill:ISO18626Message", b"<ill:Wrapper")
        .replace(b"</ill:ISO18626Message>", b"</ill:Wrapper>")
    )
    assert _error(bare).error_type == "BadlyFormedMessage"


def test_an_unknown_element_is_unrecognised():
    data = build(SUPPLYING).replace(b"<ill:note>", b"<ill:mood>calm</ill:mood><ill:note>")
    error = _error(data)
    assert (error.error_type, error.error_value) == ("UnrecognisedDataElement", "mood")
    assert _answer(error).kind == "supplyingAgencyMessageConfirmation"
    foreign = build(SUPPLYING).replace(
        b"<ill:note>", b'<x:note xmlns:x="urn:x">a</x:note><ill:note>'
    )
    assert _error(foreign).error_type == "UnrecognisedDataElement"


def test_known_elements_out_of_order_or_missing_are_badly_formed():
    data = build(ACTION)
    pair = b"<ill:action>ShippedReturn</ill:action><ill:note>Returned by post</ill:note>"
    swapped = data.replace(
        pair, b"<ill:note>Returned by post</ill:note><ill:action>ShippedReturn</ill:action>"
    )
    error = _error(swapped)
    assert (error.error_type, error.error_value) == (
        "BadlyFormedMessage",
        "note: not expected there",
    )
    missing = data.replace(b"<ill:action>ShippedReturn</ill:action>", b"")
    error = _error(missing)
    assert error.error_type == "BadlyFormedMessage"
    assert _answer(error).kind == "requestingAgencyMessageConfirmation"
    unversioned = data.replace(b' ill:version="1.2"', b"")
    assert _error(unversioned).error_type == "BadlyFormedMessage"


def test_a_value_outside_an_enumeration_is_unrecognised():
    data = build(SUPPLYING).replace(b"<ill:status>Loaned<", b"<ill:status>Sleeping<")
    error = _error(data)
    assert (error.error_type, error.error_value) == ("UnrecognisedDataValue", "status: Sleeping")
    answer = _answer(error)
    assert answer.kind == "supplyingAgencyMessageConfirmation"
    assert answer.reason_for_message == "StatusChange"
    assert answer.requesting_agency_request_id == "PKU-42"


def test_a_value_not_of_its_type_is_unrecognised():
    data = build(ACTION).replace(b"2026-03-02T09:30:15.250000Z", b"yesterday")
    error = _error(data)
    assert error.error_type == "UnrecognisedDataValue"
    assert "yesterday" in error.error_value
    assert _answer(error).timestamp_received == NOW  # the timestamp could not be read
    costs = build(RETRY).replace(b"<ill:monetaryValue>35.5<", b"<ill:monetaryValue>lots<")
    assert _error(costs).error_type == "UnrecognisedDataValue"


def test_an_action_unknown_or_not_handled_is_unsupported():
    unknown = build(ACTION).replace(b">ShippedReturn<", b">Dance<")
    error = _error(unknown)
    assert (error.error_type, error.error_value) == ("UnsupportedActionType", "Dance")
    assert _answer(error).kind == "requestingAgencyMessageConfirmation"
    renew = build(replace(ACTION, action="Renew"))
    error = _error(renew)
    assert (error.error_type, error.error_value) == ("UnsupportedActionType", "Renew")
    assert _answer(error).action == "Renew"
    # A caller that handles Renew says so.
    assert parse(renew, actions={"Renew"}).action == "Renew"


def test_a_reason_for_message_unknown_or_not_handled_is_unsupported():
    unknown = build(SUPPLYING).replace(b">StatusChange<", b">Gossip<")
    error = _error(unknown)
    assert (error.error_type, error.error_value) == ("UnsupportedReasonForMessageType", "Gossip")
    renew = build(replace(SUPPLYING, reason_for_message="RenewResponse"))
    error = _error(renew)
    assert error.error_type == "UnsupportedReasonForMessageType"
    assert _answer(error).reason_for_message == "RenewResponse"


def test_an_unknown_request_id_is_answered_by_the_caller():
    message = parse(build(SUPPLYING))
    data = confirmation_for(message, error=unknown_request_id(message), now=NOW)
    assert validation_errors(data) == []
    answer = parse_confirmation(data, message)
    assert answer.message_status == "ERROR"
    assert answer.error == ErrorData("UnrecognisedDataValue", "requestingAgencyRequestId: PKU-42")
    by_supplier_id = unknown_request_id(message, "supplyingAgencyRequestId")
    assert by_supplier_id.error_value == "supplyingAgencyRequestId: TH-7"


def test_an_empty_request_id_or_agency_is_badly_formed():
    no_id = build(replace(ACTION, header=replace(HEADER, requesting_agency_request_id="")))
    assert _error(no_id).error_value == "requestingAgencyRequestId is empty"
    no_agency = build(
        replace(ACTION, header=replace(HEADER, requesting_agency=AgencyId("ISIL", "")))
    )
    assert _error(no_agency).error_type == "BadlyFormedMessage"


def test_a_confirmation_is_not_a_message_to_post():
    data = confirmation_for(REQUEST, now=NOW)
    error = _error(data)
    assert error.error_type == "BadlyFormedMessage"
    # And the confirmation of the wrong kind is refused by the sender reading it.
    with pytest.raises(Iso18626Error):
        parse_confirmation(data, ACTION)


def test_entities_are_never_expanded():
    data = (
        build(ACTION)
        .replace(
            b"<?xml version='1.0' encoding='UTF-8'?>",
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
        )
        .replace(b"Returned by post", b"&e;")
    )
    # An external entity is never read, and no message needs a DTD at all.
    error = _error(data)
    assert (error.error_type, error.error_value) == (
        "BadlyFormedMessage",
        "a DOCTYPE is not allowed",
    )
    assert _answer(error).kind == "requestingAgencyMessageConfirmation"


def test_an_oversized_body_is_refused_unread():
    error = _error(b" " * 1_000_001)
    assert error.error_type == "BadlyFormedMessage"
    assert error.http_status == 400


# -- retransmissions -----------------------------------------------------------------------


def test_dedup_key_is_the_same_for_a_retransmission_only():
    key = dedup_key(SUPPLYING)
    assert key == dedup_key(parse(build(SUPPLYING)))
    assert key.startswith("supplyingAgencyMessage|ISIL:CN-100084|ISIL:CN-100871|PKU-42|")
    assert dedup_key(replace(SUPPLYING, status="Overdue")) != key
    later = replace(HEADER, timestamp=T0 + timedelta(milliseconds=1))
    assert dedup_key(replace(SUPPLYING, header=later)) != key
    # The requester's messages are keyed by the requester as sender.
    assert dedup_key(ACTION).startswith("requestingAgencyMessage|ISIL:CN-100871|")
    assert dedup_key(REQUEST) != dedup_key(ACTION)


def test_dedup_key_fits_the_column():
    long_id = replace(HEADER, requesting_agency_request_id="x" * 400)
    key = dedup_key(replace(ACTION, header=long_id))
    assert len(key) <= 255
    other = replace(HEADER, requesting_agency_request_id="x" * 399 + "y")
    assert dedup_key(replace(ACTION, header=other)) != key


def test_threads_validating_at_once_each_get_their_own_errors():
    # One compiled schema serves every thread of a server; its error log must not be
    # read by one thread while another validates.
    sleeping = build(SUPPLYING).replace(b"<ill:status>Loaned<", b"<ill:status>Sleeping<")
    dancing = build(ACTION).replace(b">ShippedReturn<", b">Dance<")
    wrong: list[str] = []

    def check(data: bytes, expected: str) -> None:
        for _ in range(1500):
            try:
                parse(data)
            except Iso18626Error as error:
                if error.error_type != expected:
                    wrong.append(error.error_type)

    threads = [
        threading.Thread(target=check, args=(sleeping, "UnrecognisedDataValue")),
        threading.Thread(target=check, args=(dancing, "UnsupportedActionType")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
