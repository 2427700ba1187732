"""Writes of contactless borrowing: submit, cancel, pick, disinfect, stage, dispatch,
hand over, expire — one module per use case, the public names re-exported here so
callers keep writing `services.submit_request(...)`.

Every function is one transaction. Refusals raise a DomainError before anything is
written (or roll the transaction back), so a refused call changes nothing. Copies move
through circulation's item table (`circulation.transitions`); requests and lines move
through this app's tables (`contactless.transitions`).
"""

from libreach.contactless.services.cancellation import cancel_request
from libreach.contactless.services.common import hash_id_number, id_number_matches, new_pickup_code
from libreach.contactless.services.delivery import create_run, dispatch, dispatch_run
from libreach.contactless.services.handover import handover
from libreach.contactless.services.jobs import expire_holds, send_expiry_notices
from libreach.contactless.services.picking import (
    MISSING_REASONS,
    disinfect,
    mark_found,
    mark_not_found,
    print_pick_slip,
    scan_found,
    stage,
)
from libreach.contactless.services.returns import check_in_returned
from libreach.contactless.services.submission import (
    MAX_LINES,
    LineSpec,
    Proxy,
    book_slot,
    submit_request,
)

__all__ = [
    "MAX_LINES",
    "MISSING_REASONS",
    "LineSpec",
    "Proxy",
    "book_slot",
    "cancel_request",
    "check_in_returned",
    "create_run",
    "disinfect",
    "dispatch",
    "dispatch_run",
    "expire_holds",
    "handover",
    "hash_id_number",
    "id_number_matches",
    "mark_found",
    "mark_not_found",
    "new_pickup_code",
    "print_pick_slip",
    "scan_found",
    "send_expiry_notices",
    "stage",
    "submit_request",
]
