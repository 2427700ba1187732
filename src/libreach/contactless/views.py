"""Reader pages of contactless borrowing: the basket, the request form, my requests and
one request with its pickup code, timeline, slot and cancel.

Views only translate: parse the form, call `basket`, `services`, `slots` or
`selectors`, and render. Refusals (DomainError) come back to the reader in their own
language, on the page they were on, with nothing they typed lost.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libreach.accounts.selectors import reader_profile
from libreach.catalog.models import Item, ItemStatus, Record
from libreach.circulation import selectors as circulation_selectors
from libreach.consortium.selectors import buildings_of, library_by_code, service_points_of
from libreach.contactless import basket, events, policies, selectors, services, slots
from libreach.contactless.models import (
    OPEN_REQUEST_STATES,
    PICKUP_MODES,
    BorrowRequest,
    Mode,
    RequestStatus,
)
from libreach.contactless.transitions import READER, Trigger, actions
from libreach.core import inplace, lengths
from libreach.core.errors import DomainError, NotFound
from libreach.core.templatetags.words import part, quoted_part
from libreach.core.words import format_datetime

# Days of pickup slots offered (today and the next ones); the service allows booking
# further ahead, but a phone screen shows a few days well.
SLOT_DAYS = 4
REQUESTS_PER_PAGE = 20
# The reader may cancel until the books are ready (transitions.REQUEST_TABLE).


# --- errors in the reader's language ------------------------------------------------------

ERRORS = {
    "building_required": gettext_lazy(
        "Choose the building to deliver to: your card has none at this library."
    ),
    "building_not_found": gettext_lazy("That building is not on this library's list."),
    "no_service_point": gettext_lazy(
        "This library has no service point to prepare deliveries at yet."
    ),
    "service_point_required": gettext_lazy("Choose the service point to pick the books up at."),
    "service_point_not_found": gettext_lazy("That service point is not on this library's list."),
    "not_a_pickup_point": gettext_lazy("Books cannot be picked up there: choose a pickup point."),
    "proxy_required": gettext_lazy("A proxy pickup needs the proxy's name and ID number."),
    "proxy_not_allowed": gettext_lazy("Only a proxy pickup names a proxy."),
    "slot_not_allowed": gettext_lazy("Only a pickup books a time slot."),
    "no_lines": gettext_lazy("Your basket has no books from this library."),
    "item_not_found": gettext_lazy(
        "A book in your basket is no longer in the catalogue: remove it and try again."
    ),
    "record_not_found": gettext_lazy(
        "A book in your basket is no longer in the catalogue: remove it and try again."
    ),
    "item_not_loanable": gettext_lazy("A copy in your basket is not for loan: remove it."),
    "invalid_slot": gettext_lazy("That time is not a pickup slot: choose one from the list."),
    "slot_in_past": gettext_lazy("That slot has already begun: choose a later one."),
    "slot_full": gettext_lazy("That pickup slot has just filled up: choose another."),
    "request_closed": gettext_lazy("This request is closed and needs no pickup slot."),
    "not_authenticated": gettext_lazy("Please sign in first."),
    "forbidden": gettext_lazy("Only a reader with a library card can request books."),
}


def reader_message(exc: DomainError, *, reader=None, library=None) -> str:
    """A refusal as a sentence in the reader's language (the services speak English)."""
    title = exc.params.get("title")  # the service's own parameter, not parsed from its words
    if exc.code == "item_unavailable":
        if title:
            return _("《%(title)s》 is no longer available: remove it or try again later.") % {
                "title": title
            }
        return _("A book in your basket is no longer available: remove it or try again later.")
    if exc.code == "duplicate_line":
        # The service says which book and why (on loan until …, in request #N).
        return exc.detail
    if exc.code == "too_many_lines":
        return _("At most %(n)d books per request.") % {"n": services.MAX_LINES}
    if exc.code == "slot_too_far":
        return _("Pickup slots can be booked at most %(n)d days ahead.") % {
            "n": slots.BOOKING_HORIZON_DAYS
        }
    if exc.code == "too_many_loans":
        if reader is not None and library is not None:
            limit = circulation_selectors.policy_for(library, reader.reader_type).max_open_loans
            return _(
                "Your loans and requested books together may not exceed %(n)d: "
                "remove some books from the basket."
            ) % {"n": limit}
        return _("Your loans and requested books together would exceed your limit.")
    if exc.code in ERRORS:
        return str(ERRORS[exc.code])
    return exc.detail


def said(sentence: str, **marked) -> str:
    """A message naming books: HTML, each title already marked with its language (`part`),
    so a Chinese title in an English sentence is read in Chinese (WCAG 3.1.2); the
    messages framework keeps it safe through the redirect."""
    return mark_safe(conditional_escape(sentence) % marked)


def _back(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # A path on this site only: redirect() would take a bare word for a view name.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def _reader(request):
    return reader_profile(request.user)


# --- pickup slots as the forms offer them -------------------------------------------------


@dataclass
class SlotChoice:
    value: str  # "<service point code>|<ISO start>"
    start: dt.datetime
    end: dt.datetime
    free: int

    @property
    def full(self) -> bool:
        return self.free <= 0


def slot_value(code: str, start: dt.datetime) -> str:
    return f"{code}|{timezone.localtime(start).isoformat()}"


def parse_slot(value: str) -> tuple[str, dt.datetime] | None:
    code, _sep, start = (value or "").partition("|")
    try:
        parsed = dt.datetime.fromisoformat(start)
    except ValueError:
        return None
    if not code or timezone.is_naive(parsed):
        return None
    return code, parsed


def slot_days(
    points, *, chosen: str = "", now: dt.datetime | None = None, days: int = SLOT_DAYS
) -> list[dict]:
    """For each pickup point: the coming days that have slots, each slot with its free
    seats (slots that have begun are left out). The day of the `chosen` slot, else the
    first day with a free seat, is marked `open`."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    out = []
    for point in points:
        point_days = []
        by_day = slots.slots_between(point, today, today + dt.timedelta(days=days - 1))
        for offset in range(days):
            day = today + dt.timedelta(days=offset)
            choices = [
                SlotChoice(slot_value(point.code, s.start), s.start, s.end, s.free)
                for s in by_day[day]
                if s.start > now
            ]
            if choices:
                point_days.append(
                    {
                        "date": day,
                        "offset": offset,
                        "slots": choices,
                        "free": sum(c.free for c in choices),
                    }
                )
        opened = next(
            (d for d in point_days if any(c.value == chosen for c in d["slots"])), None
        ) or next((d for d in point_days if d["free"]), None)
        for d in point_days:
            d["open"] = d is opened
        out.append({"point": point, "days": point_days})
    return out


# --- the basket ---------------------------------------------------------------------------


def _login_for_fragment(request, back: str) -> HttpResponse:
    """Signed out: back to `back` once signed in; htmx loads the sign-in page whole."""
    if inplace.requested(request):
        return inplace.sign_in_whole(request, back)
    return redirect_to_login(back)


def _book_ids(request) -> tuple[int | None, int | None]:
    try:
        record_id = int(request.POST["record"]) if request.POST.get("record") else None
        item_id = int(request.POST["item"]) if request.POST.get("item") else None
    except ValueError:
        return None, None
    return record_id, item_id


def _basket_control(request, reader, *, record_id, item_id, status: int = 200) -> HttpResponse:
    """An add or remove answered in place: the catalogue's control of that record or copy
    as it now is, with the header's count and the message (basket_control.html)."""
    context: dict = {"back_to": _back(request, reverse("contactless:basket"))}
    if item_id is not None:
        item = Item.objects.select_related("record__library").filter(pk=item_id).first()
        if item is not None:
            in_basket = reader is not None and item.pk in basket.item_ids(request.user)
            may_add = (
                item.loanable
                and item.status == ItemStatus.AVAILABLE
                and (
                    reader is None
                    or policies.lending_terms(reader, item.record.library)
                    != policies.DOCUMENT_DELIVERY
                )
            )
            context.update(item=item, copy_in_basket=in_basket, cannot_add=not may_add)
    elif record_id is not None:
        record = (
            Record.objects.select_related("library")
            .prefetch_related("items")
            .filter(pk=record_id)
            .first()
        )
        if record is not None:
            context.update(
                record=record,
                in_basket=basket.record_ids(request.user) if reader is not None else set(),
                lends_to_me=policies.lending_library_ids(reader) if reader is not None else None,
                held=selectors.held_by(reader) if reader is not None else None,
            )
    return inplace.fragment(request, "contactless/basket_control.html", context, status=status)


def _basket_body(request, reader, *, removed_line: int | None = None) -> HttpResponse:
    """A Remove on the basket page answered in place: the basket's inside, the focus on
    the Remove of the line that took the removed one's place (else the one before it)."""
    groups = basket.groups(reader) if reader is not None else []
    lines = [line.pk for group in groups for line in group.lines]
    focus_line = None
    if lines and removed_line is not None:
        later = [pk for pk in lines if pk > removed_line]  # lines are listed as added
        focus_line = later[0] if later else lines[-1]
    return inplace.fragment(
        request,
        "contactless/basket_fragment.html",
        {
            "groups": groups,
            "count": len(lines),
            "reader": reader,
            "focus_line": focus_line,
            "focus_empty": not lines,
        },
    )


@require_POST
def basket_add(request):
    back = _back(request, reverse("contactless:basket"))
    if not request.user.is_authenticated:
        # Back to the page the reader was on once signed in; they tap "add" again there.
        return _login_for_fragment(request, back)
    reader = _reader(request)
    record_id, item_id = _book_ids(request)
    answer_in_place = inplace.requested(request)
    if reader is None:
        messages.error(request, _("Only a reader with a library card can borrow books."))
        if answer_in_place:
            return _basket_control(request, None, record_id=record_id, item_id=item_id, status=403)
        return redirect(back)
    if record_id is None and item_id is None:
        messages.error(request, _("Choose a book to add."))
        if answer_in_place:
            return _basket_control(request, reader, record_id=None, item_id=None, status=400)
        return redirect(back)
    try:
        line = basket.add(reader, record_id=record_id, item_id=item_id)
    except DomainError as exc:
        messages.error(request, exc.detail)  # basket.add speaks the reader's language
        if answer_in_place:
            return _basket_control(
                request, reader, record_id=record_id, item_id=item_id, status=exc.status
            )
        return redirect(back)
    title = part(line.record.title, line.record.language)
    if line.item is not None:
        text = said(
            _("Copy %(barcode)s of 《%(title)s》 is in your basket."),
            barcode=conditional_escape(line.item.barcode),
            title=title,
        )
    else:
        text = said(_("《%(title)s》 is in your basket."), title=title)
    messages.success(request, text)
    if answer_in_place:
        return _basket_control(request, reader, record_id=record_id, item_id=item_id)
    return redirect(back)


@require_POST
def basket_remove(request):
    """Remove a line (the basket page: `line`) or a book (the catalogue: `record` as any
    copy, or `item`). Removing what is not there, or another reader's line, removes
    nothing and says nothing."""
    back = _back(request, reverse("contactless:basket"))
    if not request.user.is_authenticated:
        return _login_for_fragment(request, back)
    reader = _reader(request)
    record_id, item_id = _book_ids(request)
    removed = None
    line_id = None
    if reader is not None:
        if request.POST.get("line"):
            removed = basket.line_record(reader, request.POST["line"])
            line_id = int(request.POST["line"]) if removed is not None else None
            if removed is not None:
                basket.remove(reader, line_id)
        else:
            removed = basket.remove_book(reader, record_id=record_id, item_id=item_id)
    if removed is not None:
        messages.success(
            request,
            said(
                _("%(title)s removed from your basket."),
                title=quoted_part(removed.title, removed.language),
            ),
        )
    if inplace.requested(request):
        if request.headers.get("HX-Target") == "basket-body":
            return _basket_body(request, reader, removed_line=line_id)
        return _basket_control(
            request, reader, record_id=record_id, item_id=item_id, status=200 if removed else 404
        )
    return redirect(back)


@require_GET
@login_required
def basket_page(request):
    reader = _reader(request)
    groups = basket.groups(reader) if reader is not None else []
    return render(
        request,
        "contactless/basket.html",
        {"groups": groups, "count": sum(len(g.lines) for g in groups), "reader": reader},
    )


# --- the request form ---------------------------------------------------------------------


class RequestForm(forms.Form):
    mode = forms.ChoiceField(choices=Mode.choices, widget=forms.RadioSelect)
    building = forms.ChoiceField(required=False)
    service_point = forms.ChoiceField(required=False)
    slot = lengths.text_field(required=False, max_length=80)
    proxy_name = lengths.form_field(BorrowRequest, "proxy_name", required=False)
    proxy_id_number = lengths.text_field(required=False, max_length=40)

    def __init__(self, *args, buildings, points, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building"].choices = [(b.code, b.name) for b in buildings]
        self.fields["service_point"].choices = [(p.code, p.name) for p in points]

    def add_error(self, field, error):
        # One message per field: a value already refused (too long, not a choice) is not
        # also missing, which would say "give the proxy's name" under a name too long.
        if field is None or field not in self.errors:
            super().add_error(field, error)

    def clean(self):
        data = super().clean()
        mode = data.get("mode")
        if mode == Mode.DELIVERY and not data.get("building"):
            self.add_error("building", _("Choose the building to deliver to."))
        if mode in PICKUP_MODES and not data.get("service_point"):
            self.add_error("service_point", _("Choose where to pick the books up."))
        slot = parse_slot(data.get("slot", "")) if data.get("slot") else None
        if data.get("slot") and slot is None:
            self.add_error("slot", _("Choose a pickup slot from the list."))
        if mode == Mode.PICKUP and not data.get("slot"):
            self.add_error("slot", _("Choose a time slot to pick the books up in."))
        if (
            mode in PICKUP_MODES
            and slot is not None
            and data.get("service_point")
            and slot[0] != data["service_point"]
        ):
            self.add_error("slot", _("That slot is at another pickup point: choose again."))
        data["slot_start"] = slot[1] if slot and mode in PICKUP_MODES else None
        if mode == Mode.PROXY:
            if not data.get("proxy_name", "").strip():
                self.add_error("proxy_name", _("Give the proxy's name."))
            if len("".join(data.get("proxy_id_number", "").split())) < 4:
                self.add_error(
                    "proxy_id_number", _("Give the proxy's ID number (at least 4 characters).")
                )
        return data


@require_http_methods(["GET", "POST"])
@login_required
def request_form(request, lib: str):
    reader = _reader(request)
    if reader is None:
        messages.error(request, _("Only a reader with a library card can borrow books."))
        return redirect("contactless:basket")
    try:
        library = library_by_code(lib)
    except NotFound:
        raise Http404 from None
    group = basket.group_of(reader, library.code)
    if group is None:
        messages.info(request, _("Your basket has no books from this library."))
        return redirect("contactless:basket")
    if group.terms == policies.DOCUMENT_DELIVERY:
        try:
            policies.require_may_request(reader, library)
        except DomainError as exc:
            messages.error(request, exc.detail)
        return redirect("contactless:basket")
    # A library lending to another's readers hands the books over at its pickup points
    # only: it delivers to its own readers' buildings.
    # (The form still knows them, so a delivery posted anyway hears the service's reason.)
    reciprocal = group.terms == policies.RECIPROCAL
    all_buildings = list(buildings_of(library))
    buildings = [] if reciprocal else all_buildings
    points = [p for p in service_points_of(library) if p.is_pickup]
    own_building = (
        reader.building.code
        if reader.building_id and reader.building.library_id == library.pk
        else ""
    )
    initial = {
        "mode": Mode.DELIVERY if buildings else Mode.PICKUP,
        "building": own_building,
        "service_point": points[0].code if points else "",
    }
    form = RequestForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        buildings=all_buildings,
        points=points,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        mode = data["mode"]
        try:
            created = services.submit_request(
                user=request.user,
                library=library,
                mode=mode,
                lines=basket.specs(group),
                building_code=data["building"] if mode == Mode.DELIVERY else None,
                service_point_code=data["service_point"] if mode in PICKUP_MODES else None,
                slot_start=data["slot_start"],
                proxy=services.Proxy(data["proxy_name"], data["proxy_id_number"])
                if mode == Mode.PROXY
                else None,
            )
        except DomainError as exc:
            form.add_error(None, reader_message(exc, reader=reader, library=library))
            # The basket's availability may have changed: show it as it is now.
            group = basket.group_of(reader, library.code) or group
        else:
            basket.take(reader, group)
            messages.success(
                request,
                _("Request submitted. Your pickup code is %(code)s.")
                % {"code": created.pickup_code},
            )
            return redirect("contactless:request", request_id=created.pk)
    chosen_slot = form["slot"].value() or ""
    return render(
        request,
        "contactless/request_form.html",
        {
            "library": library,
            "group": group,
            "form": form,
            "buildings": buildings,
            "points": points,
            "slot_days": slot_days(points, chosen=chosen_slot),
            "chosen_slot": chosen_slot,
            "own_building": own_building,
            "modes": Mode,
            "reciprocal": reciprocal,
            "back_here": request.path,
        },
        status=200,
    )


# --- my requests ----------------------------------------------------------------------------


@require_GET
@login_required
def request_list(request):
    page = Paginator(selectors.requests_of_reader(request.user), REQUESTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "contactless/request_list.html", {"page": page})


def _own_request(request, request_id: int) -> BorrowRequest:
    """The signed-in reader's own request; anyone else (staff included) gets 404 here."""
    try:
        borrow, role = selectors.request_for(request.user, request_id)
    except DomainError:
        raise Http404 from None
    if role != READER:
        raise Http404
    return borrow


def qr_svg(data: str, label: str) -> str:
    """`data` as an inline SVG QR code, sized by CSS."""
    import qrcode
    import qrcode.image.svg

    svg = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, border=2).to_string(
        encoding="unicode"
    )
    svg = re.sub(r'\s(width|height)="[^"]*"', "", svg, count=2)
    label = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    return svg.replace("<svg", f'<svg class="qr" role="img" aria-label="{label}"', 1)


@dataclass
class Moment:
    at: dt.datetime
    text: str
    status: str


# Where the title goes in an event's sentence, replaced once the sentence is escaped.
TITLE_MARK = "\x00title\x00"


def timeline(borrow: BorrowRequest) -> list[Moment]:
    """The request's history in words for its reader."""
    lines = {line.pk: line for line in borrow.lines.all()}
    out = []
    for event in borrow.history.all():
        line = lines.get(event.line_id)
        # The sentence escaped, then its title put in marked with its language (part).
        text = conditional_escape(events.reader_text(event, mode=borrow.mode, title=TITLE_MARK))
        title = part(line.record.title, line.record.language) if line is not None else ""
        text = text.replace(TITLE_MARK, title)
        out.append(
            Moment(at=timezone.localtime(event.at), text=mark_safe(text), status=event.status)
        )
    return out


STATUS_WORDS = {
    RequestStatus.SUBMITTED: gettext_lazy(
        "Submitted. The library will look for your books on the shelves soon."
    ),
    RequestStatus.PICKING: gettext_lazy("The library is looking for your books on the shelves."),
    RequestStatus.READY: gettext_lazy("Your books are ready."),
    RequestStatus.OUT_FOR_DELIVERY: gettext_lazy(
        "Your books are on their way. Show the pickup code when they arrive."
    ),
    RequestStatus.DELIVERED: gettext_lazy("Delivered. The books are on loan to you."),
    RequestStatus.AWAITING_PICKUP: gettext_lazy(
        "Your books wait on the hold shelf. Show the pickup code at the door."
    ),
    RequestStatus.COLLECTED: gettext_lazy("Collected. The books are on loan to you."),
    RequestStatus.CANCELLED: gettext_lazy("This request was cancelled."),
    RequestStatus.UNFILLED: gettext_lazy(
        "Sorry: none of the books could be found. Nothing was lent."
    ),
    RequestStatus.EXPIRED: gettext_lazy(
        "The books were not collected in time and went back to the shelf."
    ),
}


def _detail_context(borrow: BorrowRequest) -> dict:
    booking = getattr(borrow, "slot_booking", None)
    is_open = borrow.status in OPEN_REQUEST_STATES
    pickup = borrow.mode in PICKUP_MODES
    context = {
        "borrow": borrow,
        "lines": list(borrow.lines.all()),
        "moments": timeline(borrow),
        "status_words": STATUS_WORDS.get(borrow.status, ""),
        "is_open": is_open,
        "is_pickup": pickup,
        "may_cancel": Trigger.CANCEL in actions(borrow.status, borrow.mode, READER),
        "booking": booking,
        "booking_end": (
            booking.slot_start + dt.timedelta(minutes=borrow.service_point.slot_minutes)
            if booking
            else None
        ),
        "may_book": is_open and pickup and borrow.service_point_id is not None,
    }
    if is_open:
        context["qr"] = mark_safe(  # built here from digits only; no reader input inside
            qr_svg(
                f"libreach:request:{borrow.pk}:{borrow.pickup_code}",
                _("QR code of pickup code %(code)s") % {"code": borrow.pickup_code},
            )
        )
    if context["may_book"]:
        chosen = slot_value(borrow.service_point.code, booking.slot_start) if booking else ""
        context["slot_days"] = slot_days([borrow.service_point], chosen=chosen)
        context["chosen_slot"] = chosen
    return context


@require_GET
@login_required
def request_detail(request, request_id: int):
    borrow = _own_request(request, request_id)
    return render(request, "contactless/request_detail.html", _detail_context(borrow))


@require_POST
@login_required
def request_cancel(request, request_id: int):
    borrow = _own_request(request, request_id)
    try:
        services.cancel_request(request_id=borrow.pk, by=request.user)
    except DomainError as exc:
        if exc.code == "invalid_transition":
            messages.error(
                request,
                _(
                    "This request can no longer be cancelled: its books are ready or on their "
                    "way. Ask the library if you do not want them."
                ),
            )
        else:
            messages.error(request, reader_message(exc))
    else:
        messages.success(request, _("Request cancelled. The books go back on the shelf."))
    return redirect("contactless:request", request_id=borrow.pk)


@require_POST
@inplace.login_required
def request_slot(request, request_id: int):
    borrow = _own_request(request, request_id)
    slot = parse_slot(request.POST.get("slot", ""))
    status = 200
    if slot is None or slot[0] != (borrow.service_point.code if borrow.service_point_id else ""):
        messages.error(request, _("Choose a pickup slot from the list."))
        status = 400
    else:
        try:
            booking = services.book_slot(request_id=borrow.pk, by=request.user, slot_start=slot[1])
        except DomainError as exc:
            messages.error(request, reader_message(exc))
            status = exc.status
        else:
            messages.success(
                request,
                _("Pickup slot booked: %(when)s.") % {"when": format_datetime(booking.slot_start)},
            )
    if inplace.requested(request):
        # The time booked as it now is; the list and its button stay, and so does the focus.
        borrow = _own_request(request, request_id)
        booking = getattr(borrow, "slot_booking", None)
        context = {
            "borrow": borrow,
            "booking": booking,
            "booking_end": booking.slot_start
            + dt.timedelta(minutes=borrow.service_point.slot_minutes)
            if booking
            else None,
        }
        return inplace.fragment(request, "contactless/slot_booked.html", context, status=status)
    return redirect("contactless:request", request_id=borrow.pk)


@require_GET
@login_required
def request_ics(request, request_id: int):
    borrow = _own_request(request, request_id)
    if getattr(borrow, "slot_booking", None) is None:
        raise Http404
    response = HttpResponse(slots.ics_for(borrow), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="pickup-{borrow.pk}.ics"'
    return response
