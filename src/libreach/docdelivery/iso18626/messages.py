"""ISO 18626 v1.2 messages as frozen dataclasses: the parts of the standard the platform uses.

A message here is what travels, not what the database holds: the services map a DocRequest
onto a `Request` and a `SupplyingAgencyMessage` onto a transition. The codec (codec.py) turns
these into XML valid against the schema and back. Optional text fields are "" when absent.
The vocabularies are the schema's enumerations (checked against the XSD by the tests), plus
the standard's reasonUnfilled and reasonRetry code lists, which the schema leaves open.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

# The schema's enumerations (type_status, type_reasonForMessage, ...).
STATUSES = (
    "RequestReceived",
    "ExpectToSupply",
    "WillSupply",
    "Loaned",
    "Overdue",
    "Recalled",
    "RetryPossible",
    "Unfilled",
    "CopyCompleted",
    "LoanCompleted",
    "CompletedWithoutReturn",
    "Cancelled",
)
REASONS_FOR_MESSAGE = (
    "RequestResponse",
    "StatusRequestResponse",
    "RenewResponse",
    "CancelResponse",
    "StatusChange",
    "Notification",
)
ACTIONS = (
    "StatusRequest",
    "Received",
    "Cancel",
    "Renew",
    "ShippedReturn",
    "ShippedForward",
    "Notification",
)
ERROR_TYPES = (
    "UnsupportedActionType",
    "UnsupportedReasonForMessageType",
    "UnrecognisedDataElement",
    "UnrecognisedDataValue",
    "BadlyFormedMessage",
)
SERVICE_TYPES = ("Copy", "Loan", "CopyOrLoan")
REQUEST_TYPES = ("New", "Retry", "Reminder")
MESSAGE_STATUSES = ("OK", "ERROR")
YES_NO = ("Y", "N")

# The standard's code lists for messageInfo/reasonUnfilled and reasonRetry (the schema types
# them as open schemeValuePairs); models.ReasonUnfilled and ReasonRetry hold the same codes.
REASONS_UNFILLED = (
    "NotHeld",
    "NotOnShelf",
    "InUseOnLoan",
    "InProcess",
    "NonCirculating",
    "NotAvailableForILL",
    "PoorCondition",
    "Lost",
    "OnOrder",
    "Vol/IssueNotYetAvailable",
    "AtBindery",
    "Lacking",
    "NotOnOrder",
    "Other",
)
REASONS_RETRY = (
    "AtBindery",
    "CostExceedsMaxCost",
    "LoanCondition",
    "MustBeCheckedOutOnly",
    "NotCurrentAvailableForILL",
    "NotFoundAsCited",
    "OnLoan",
    "OnOrder",
    "ReqDelDateNotPossible",
    "ReqDelMethodNotSupp",
    "ReqEditionNotPossible",
    "ReqFormatNotPossible",
    "ReqPayMethNotSupported",
    "ReqSpecialNotSupported",
    "InProcess",
    "Lost",
)

# What the platform handles by default; parse() answers anything else with
# UnsupportedActionType / UnsupportedReasonForMessageType (a caller may pass its own sets).
# Renew and ShippedForward have no place in the state machine (DESIGN.md), nor RenewResponse.
SUPPORTED_ACTIONS = frozenset(
    {"StatusRequest", "Received", "Cancel", "ShippedReturn", "Notification"}
)
SUPPORTED_REASONS = frozenset(
    {"RequestResponse", "StatusRequestResponse", "CancelResponse", "StatusChange", "Notification"}
)

# Message kinds: the element under ISO18626Message.
REQUEST = "request"
REQUEST_CONFIRMATION = "requestConfirmation"
SUPPLYING_AGENCY_MESSAGE = "supplyingAgencyMessage"
SUPPLYING_AGENCY_MESSAGE_CONFIRMATION = "supplyingAgencyMessageConfirmation"
REQUESTING_AGENCY_MESSAGE = "requestingAgencyMessage"
REQUESTING_AGENCY_MESSAGE_CONFIRMATION = "requestingAgencyMessageConfirmation"
KINDS = (
    REQUEST,
    REQUEST_CONFIRMATION,
    SUPPLYING_AGENCY_MESSAGE,
    SUPPLYING_AGENCY_MESSAGE_CONFIRMATION,
    REQUESTING_AGENCY_MESSAGE,
    REQUESTING_AGENCY_MESSAGE_CONFIRMATION,
)
# The confirmation that answers each message kind.
CONFIRMATION_OF = {
    REQUEST: REQUEST_CONFIRMATION,
    SUPPLYING_AGENCY_MESSAGE: SUPPLYING_AGENCY_MESSAGE_CONFIRMATION,
    REQUESTING_AGENCY_MESSAGE: REQUESTING_AGENCY_MESSAGE_CONFIRMATION,
}


@dataclass(frozen=True)
class AgencyId:
    """agencyIdType (e.g. "ISIL", or the consortium's own scheme) and agencyIdValue.

    The platform knows a member by `value` (its library code), whatever the type (API.md)."""

    type: str
    value: str

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"


@dataclass(frozen=True)
class Header:
    """The header every request, supplyingAgencyMessage and requestingAgencyMessage carries.

    `timestamp` is when the sender created this message (timezone-aware): with the agencies
    and requestingAgencyRequestId it tells a retransmission from a new message."""

    supplying_agency: AgencyId
    requesting_agency: AgencyId
    timestamp: datetime
    requesting_agency_request_id: str
    supplying_agency_request_id: str = ""
    multiple_item_request_id: str = ""  # required by the schema, usually empty


@dataclass(frozen=True)
class Costs:
    currency: str  # ISO 4217, e.g. "CNY"
    amount: Decimal


@dataclass(frozen=True)
class ItemId:
    """bibliographicItemId: an identifier of the item and its code (ISBN, ISSN, DOI, ...)."""

    code: str
    identifier: str


@dataclass(frozen=True)
class BibliographicInfo:
    # The supplier's record id; the test peer reads its scenario here.
    supplier_unique_record_id: str = ""
    title: str = ""  # the journal's or the book's
    author: str = ""
    subtitle: str = ""
    edition: str = ""
    title_of_component: str = ""  # the article's or the chapter's
    author_of_component: str = ""
    volume: str = ""
    issue: str = ""
    pages_requested: str = ""
    item_ids: tuple[ItemId, ...] = ()


@dataclass(frozen=True)
class ServiceInfo:
    service_type: str = "Copy"  # SERVICE_TYPES
    request_type: str = ""  # REQUEST_TYPES; "" leaves it out (the standard reads New)
    previous_request_id: str = ""  # requestingAgencyPreviousRequestId, on a Retry
    need_before: datetime | None = None
    note: str = ""


@dataclass(frozen=True)
class Request:
    """The requesting agency asks a supplying agency for an item."""

    KIND: ClassVar[str] = REQUEST

    header: Header
    bibliographic: BibliographicInfo
    service: ServiceInfo | None = None
    publisher: str = ""
    publication_date: str = ""  # a year, as the citation has it
    place_of_publication: str = ""
    requesting_agency_name: str = ""
    patron_id: str = ""  # an opaque reference, never the reader's name
    max_cost: Costs | None = None  # billingInfo/maximumCosts
    delivery_email: str = ""  # requestedDeliveryInfo/address/electronicAddress


@dataclass(frozen=True)
class DeliveryInfo:
    date_sent: datetime
    item_id: str = ""  # the barcode of a loan, or the copy's reference
    sent_via: str = ""  # e.g. "Mail", "URL", "Email"
    delivered_format: str = ""  # e.g. "PDF", "Printed"
    loan_condition: str = ""
    delivery_costs: Costs | None = None


@dataclass(frozen=True)
class SupplyingAgencyMessage:
    """The supplier tells the requester what became of the request (a status, and why)."""

    KIND: ClassVar[str] = SUPPLYING_AGENCY_MESSAGE

    header: Header
    reason_for_message: str  # REASONS_FOR_MESSAGE
    status: str  # STATUSES
    last_change: datetime
    answer_yes_no: str = ""  # YES_NO, to a Cancel (CancelResponse) or a Renew
    note: str = ""
    reason_unfilled: str = ""  # models.ReasonUnfilled values
    reason_retry: str = ""  # models.ReasonRetry values
    offered_costs: Costs | None = None
    retry_after: datetime | None = None
    retry_before: datetime | None = None
    expected_delivery_date: datetime | None = None
    due_date: datetime | None = None
    delivery: DeliveryInfo | None = None


@dataclass(frozen=True)
class RequestingAgencyMessage:
    """The requester tells the supplier what it did (Received, ShippedReturn) or wants (Cancel)."""

    KIND: ClassVar[str] = REQUESTING_AGENCY_MESSAGE

    header: Header
    action: str  # ACTIONS
    note: str = ""


@dataclass(frozen=True)
class ErrorData:
    error_type: str  # ERROR_TYPES
    error_value: str = ""


@dataclass(frozen=True)
class Confirmation:
    """The synchronous answer to a message: one class for the three confirmation kinds.

    `timestamp` is when the confirmation was made, `timestamp_received` the header timestamp
    of the message it confirms. `reason_for_message` echoes a supplyingAgencyMessage's,
    `action` a requestingAgencyMessage's."""

    kind: str  # REQUEST_CONFIRMATION, SUPPLYING_AGENCY_MESSAGE_CONFIRMATION, ...
    message_status: str  # "OK" or "ERROR"
    timestamp: datetime
    timestamp_received: datetime
    supplying_agency: AgencyId | None = None
    requesting_agency: AgencyId | None = None
    requesting_agency_request_id: str = ""
    error: ErrorData | None = None
    reason_for_message: str = ""
    action: str = ""

    @property
    def ok(self) -> bool:
        return self.message_status == "OK"


Message = Request | SupplyingAgencyMessage | RequestingAgencyMessage | Confirmation
