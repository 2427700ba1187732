"""ISO 18626 v1.2, the interlibrary loan protocol ReShare and CrossLink speak, on the wire.

No models and no views here: `messages` holds the messages as dataclasses, `codec` turns them
into schema-valid XML and back and says which confirmation answers what, `schema` loads the
standard's XSD (shipped in schema/). The services and the `POST /iso18626` view call these.
"""

from .codec import (
    InvalidMessage,
    Iso18626Error,
    build,
    confirmation,
    confirmation_for,
    dedup_key,
    kind_of,
    parse,
    parse_confirmation,
    recipient_of,
    sender_of,
    unknown_request_id,
    validation_errors,
)
from .messages import (
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

__all__ = [
    "AgencyId",
    "BibliographicInfo",
    "Confirmation",
    "Costs",
    "DeliveryInfo",
    "ErrorData",
    "Header",
    "InvalidMessage",
    "ItemId",
    "Iso18626Error",
    "Message",
    "Request",
    "RequestingAgencyMessage",
    "ServiceInfo",
    "SupplyingAgencyMessage",
    "build",
    "confirmation",
    "confirmation_for",
    "dedup_key",
    "kind_of",
    "parse",
    "parse_confirmation",
    "recipient_of",
    "sender_of",
    "unknown_request_id",
    "validation_errors",
]
