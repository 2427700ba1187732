"""A request's history in words, from each event's code and data (RequestEvent.event,
RequestEvent.data), in the language active when it is read: the desk's line and the
reader's sentence. Nothing is parsed back out of stored text."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from libreach.contactless.models import (
    DisinfectionMethod,
    EventCode,
    Mode,
    NotFoundReason,
    RequestEvent,
    event_label,
)
from libreach.core.words import format_datetime


def _label(choices, value) -> str:
    return str(choices(value).label) if value in choices.values else str(value or "")


def _when(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return ""
    if timezone.is_naive(moment):
        return ""
    return format_datetime(moment)


def _disinfection(data: dict) -> str:
    method = _label(DisinfectionMethod, data.get("method"))
    minutes = data.get("minutes")
    if isinstance(minutes, int):
        return _("%(method)s, %(minutes)s min") % {"method": method, "minutes": minutes}
    return method


def desk_detail(event: RequestEvent) -> str:
    """What the desk's history shows after the event's label."""
    data = event.data or {}
    code = event.event
    if code == EventCode.LINE_FOUND:
        return data.get("barcode", "")
    if code == EventCode.LINE_NOT_FOUND:
        return _label(NotFoundReason, data.get("reason"))
    if code == EventCode.DISINFECTED:
        return _disinfection(data)
    if code == EventCode.READY:
        return data.get("shelf_slot", "")
    if code == EventCode.SLOT_BOOKED:
        return _when(data.get("slot_start", ""))
    # Events written before their details were data keep their note.
    return event.note


def desk_text(event: RequestEvent) -> str:
    detail = desk_detail(event)
    return f"{event_label(event.event)} · {detail}" if detail else event_label(event.event)


# The reader's sentence for each event whose words take nothing from its data.
READER_WORDS = {
    EventCode.SUBMITTED: gettext_lazy("Request submitted"),
    EventCode.PICKING: gettext_lazy("The library started looking for your books"),
    EventCode.READER_NOTIFIED: gettext_lazy("You were told the books are ready"),
    EventCode.OUT_FOR_DELIVERY: gettext_lazy("Out for delivery"),
    EventCode.DELIVERED: gettext_lazy("Delivered and lent to you"),
    EventCode.COLLECTED: gettext_lazy("Collected and lent to you"),
    EventCode.CANCELLED: gettext_lazy("Request cancelled"),
    EventCode.UNFILLED: gettext_lazy("None of the books could be found"),
    EventCode.EXPIRED: gettext_lazy("Not collected in time: the books went back to the shelf"),
}


def reader_text(event: RequestEvent, *, mode: str, title: str = "") -> str:
    """The event as its reader reads it on the request's page."""
    data = event.data or {}
    code = event.event
    if code in READER_WORDS:
        return str(READER_WORDS[code])
    if code == EventCode.LINE_FOUND:
        return _("Found 《%(title)s》") % {"title": title}
    if code == EventCode.LINE_NOT_FOUND:
        reason = _label(NotFoundReason, data.get("reason"))
        return _("Not found: 《%(title)s》 (%(reason)s)") % {"title": title, "reason": reason}
    if code == EventCode.DISINFECTED:
        method = _label(DisinfectionMethod, data.get("method"))
        minutes = data.get("minutes")
        how = (
            _("%(method)s, %(minutes)s minutes") % {"method": method, "minutes": minutes}
            if isinstance(minutes, int)
            else method
        )
        return _("Books disinfected (%(how)s)") % {"how": how}
    if code == EventCode.READY:
        if mode == Mode.DELIVERY:
            return _("Books ready, waiting for the delivery run")
        return _("Books on the hold shelf, slot %(slot)s") % {"slot": data.get("shelf_slot", "")}
    if code == EventCode.SLOT_BOOKED:
        when = _when(data.get("slot_start", ""))
        return (
            _("Pickup slot booked: %(when)s") % {"when": when} if when else _("Pickup slot booked")
        )
    return code.replace("_", " ")
