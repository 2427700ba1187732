"""Staff desk pages of contactless borrowing (`/desk/<lib>/…`), one module per page:
the pick list and its printed slips, requests and what staff do with them, delivery
runs with their route sheets, handover by pickup code, and the statistics.

Views only translate: they parse the form, call a service or a selector, and render or
redirect. A service's refusal (DomainError) becomes a message and changes nothing.
Volunteers open only the runs given to them and the handover page (`DESK_ROLES`);
every other page is for staff.
"""

from libreach.contactless.desk_views.handover import handover, handover_scan, parse_request_ref
from libreach.contactless.desk_views.picklist import (
    line_found,
    line_not_found,
    pick_list,
    pick_slip,
    pick_slip_pdf,
    picklist_scan,
    print_pick_slip,
)
from libreach.contactless.desk_views.requests import (
    cancel,
    disinfect,
    dispatch,
    request_detail,
    request_list,
    request_scan,
    stage,
)
from libreach.contactless.desk_views.returns import returns
from libreach.contactless.desk_views.runs import (
    run_create,
    run_detail,
    run_dispatch,
    run_list,
    run_sheet,
    run_sheet_pdf,
)
from libreach.contactless.desk_views.stats import stats

__all__ = [
    "cancel",
    "disinfect",
    "dispatch",
    "handover",
    "handover_scan",
    "line_found",
    "line_not_found",
    "parse_request_ref",
    "pick_list",
    "pick_slip",
    "pick_slip_pdf",
    "picklist_scan",
    "print_pick_slip",
    "request_detail",
    "request_list",
    "request_scan",
    "returns",
    "run_create",
    "run_detail",
    "run_dispatch",
    "run_list",
    "run_sheet",
    "run_sheet_pdf",
    "stage",
    "stats",
]
