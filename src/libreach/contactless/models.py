"""Contactless borrowing: a reader's request, its lines, and what the desk does with them.

The state machines (request and line) are tables in `transitions.py`; the models only
hold state. Every write goes through `services.py`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ReaderProfile
from libreach.catalog.models import Item, Record
from libreach.circulation.models import Loan
from libreach.consortium.models import Building, Library, ServicePoint


class Mode(models.TextChoices):
    DELIVERY = "delivery", _("Delivery to my building")
    PICKUP = "pickup", _("Pickup at a service point")
    PROXY = "proxy", _("Pickup by a proxy")


PICKUP_MODES = (Mode.PICKUP, Mode.PROXY)


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    PICKING = "picking", _("Being picked")
    READY = "ready", _("Ready")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    AWAITING_PICKUP = "awaiting_pickup", _("Awaiting pickup")
    COLLECTED = "collected", _("Collected")
    CANCELLED = "cancelled", _("Cancelled")
    UNFILLED = "unfilled", _("Unfilled")
    EXPIRED = "expired", _("Expired")


OPEN_REQUEST_STATES = (
    RequestStatus.SUBMITTED,
    RequestStatus.PICKING,
    RequestStatus.READY,
    RequestStatus.OUT_FOR_DELIVERY,
    RequestStatus.AWAITING_PICKUP,
)
FULFILLED_STATES = (RequestStatus.DELIVERED, RequestStatus.COLLECTED)
CLOSED_REQUEST_STATES = (
    *FULFILLED_STATES,
    RequestStatus.CANCELLED,
    RequestStatus.UNFILLED,
    RequestStatus.EXPIRED,
)


class LineStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    FOUND = "found", _("Found")
    NOT_FOUND = "not_found", _("Not found")
    DISINFECTED = "disinfected", _("Disinfected")
    STAGED = "staged", _("Staged")
    HANDED_OVER = "handed_over", _("Handed over")
    CANCELLED = "cancelled", _("Cancelled")


# Lines that still hold an item for the reader (and count against the loan limit).
HOLDING_LINE_STATES = (
    LineStatus.REQUESTED,
    LineStatus.FOUND,
    LineStatus.DISINFECTED,
    LineStatus.STAGED,
)


class NotFoundReason(models.TextChoices):
    NOT_ON_SHELF = "not_on_shelf", _("Not on the shelf")
    DAMAGED = "damaged", _("Damaged")
    MISSING = "missing", _("Missing")
    OTHER = "other", _("Other")


class DisinfectionMethod(models.TextChoices):
    UV = "uv", _("UV lamp")
    WIPE = "wipe", _("Wiped with disinfectant")
    QUARANTINE = "quarantine", _("Set aside (quarantine)")


class EventCode(models.TextChoices):
    """What a request's history records (RequestEvent.event), with the desk's label."""

    SUBMITTED = "submitted", _("Submitted")
    SLOT_BOOKED = "slot_booked", _("Pickup slot booked")
    PICKING = "picking", _("Picking started")
    LINE_FOUND = "line_found", _("Book found")
    LINE_NOT_FOUND = "line_not_found", _("Book not found")
    DISINFECTED = "disinfected", _("Disinfected")
    READY = "ready", _("Staged, ready")
    READER_NOTIFIED = "reader_notified", _("Reader notified")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    DELIVERED = "delivered", _("Delivered")
    COLLECTED = "collected", _("Collected")
    CANCELLED = "cancelled", _("Cancelled")
    UNFILLED = "unfilled", _("Unfilled: no book found")
    EXPIRED = "expired", _("Expired: not collected in time")


def event_label(code: str) -> str:
    """The desk's label of an event code; the code itself for one we do not know."""
    return str(EventCode(code).label) if code in EventCode.values else code


class DeliveryRun(models.Model):
    """One trip of staff or a volunteer taking ready requests to their buildings."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        DISPATCHED = "dispatched", _("Out")
        COMPLETED = "completed", _("Completed")

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="delivery_runs")
    run_date = models.DateField(_("date"))
    number = models.PositiveIntegerField(_("run number"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="delivery_runs",
        verbose_name=_("delivered by"),
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-run_date", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "run_date", "number"], name="one_run_number_per_day"
            )
        ]
        verbose_name = _("delivery run")
        verbose_name_plural = _("delivery runs")

    def __str__(self) -> str:
        return f"{self.library.code} {self.run_date} #{self.number}"


class BorrowRequest(models.Model):
    library = models.ForeignKey(Library, on_delete=models.PROTECT, related_name="borrow_requests")
    reader = models.ForeignKey(
        ReaderProfile, on_delete=models.PROTECT, related_name="borrow_requests"
    )
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices)
    status = models.CharField(
        _("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proxy_name = models.CharField(_("proxy's name"), max_length=150, blank=True)
    # Kept hashed: the desk only needs to check the number the proxy shows.
    proxy_id_hash = models.CharField(max_length=128, blank=True)
    proxy_id_last4 = models.CharField(max_length=4, blank=True)
    # Shown to the reader (and as a QR code); checked at handover.
    pickup_code = models.CharField(_("pickup code"), max_length=12)
    # In submission order per library: the number on the hold shelf for pickup.
    queue_number = models.PositiveIntegerField(_("number"))
    shelf_slot = models.CharField(_("shelf slot"), max_length=32, blank=True)
    run = models.ForeignKey(
        DeliveryRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="requests"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    ready_at = models.DateTimeField(null=True, blank=True)
    hold_until = models.DateField(_("held until"), null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    expiry_notice_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["library", "queue_number"], name="one_queue_number_per_library"
            )
        ]
        indexes = [
            models.Index(fields=["library", "status"], name="request_library_status"),
            models.Index(fields=["library", "submitted_at"], name="request_library_submitted"),
            models.Index(fields=["reader", "status"], name="request_reader_status"),
        ]
        verbose_name = _("borrow request")
        verbose_name_plural = _("borrow requests")

    def __str__(self) -> str:
        return f"{self.library.code} request {self.pk} ({self.status})"


class RequestLine(models.Model):
    """One volume asked for: a record (any copy) or one item (that copy)."""

    class Level(models.TextChoices):
        RECORD = "record", _("Any copy")
        ITEM = "item", _("This copy")

    request = models.ForeignKey(BorrowRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    level = models.CharField(max_length=10, choices=Level.choices)
    record = models.ForeignKey(Record, on_delete=models.PROTECT, related_name="+")
    # The copy held for the line: set at submission (the first available copy for a
    # record-level line), swapped when staff take another copy of the same record.
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, null=True, blank=True, related_name="request_lines"
    )
    status = models.CharField(
        max_length=20, choices=LineStatus.choices, default=LineStatus.REQUESTED
    )
    not_found_reason = models.CharField(max_length=20, choices=NotFoundReason.choices, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    loan = models.OneToOneField(
        Loan, on_delete=models.PROTECT, null=True, blank=True, related_name="request_line"
    )

    class Meta:
        ordering = ["request", "position"]
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="line_position"),
            # The database's own guard against two open lines holding one copy.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(status__in=["requested", "found", "disinfected", "staged"]),
                name="one_holding_line_per_item",
            ),
        ]
        verbose_name = _("request line")
        verbose_name_plural = _("request lines")

    def __str__(self) -> str:
        return f"line {self.position} of request {self.request_id} ({self.status})"


class RequestEvent(models.Model):
    """The request's timeline: each transition, who fired it and when."""

    request = models.ForeignKey(BorrowRequest, on_delete=models.CASCADE, related_name="history")
    at = models.DateTimeField()
    event = models.CharField(max_length=40, choices=EventCode.choices)
    status = models.CharField(max_length=20, choices=RequestStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    line = models.ForeignKey(
        RequestLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The event's details as data ({"reason": "not_on_shelf", "barcode": ...}), rendered
    # in the reader's language by `events`; `note` only on events from before.
    data = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("request event")
        verbose_name_plural = _("request events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.event}"


class Disinfection(models.Model):
    request = models.ForeignKey(
        BorrowRequest, on_delete=models.CASCADE, related_name="disinfections"
    )
    method = models.CharField(_("method"), max_length=20, choices=DisinfectionMethod.choices)
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("disinfection")
        verbose_name_plural = _("disinfections")

    def __str__(self) -> str:
        return f"{self.method} {self.minutes} min"


class PickSlip(models.Model):
    """A printed pick list: the lines it carried are not printed again."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="pick_slips")
    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    printed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    printed_at = models.DateTimeField()
    lines = models.ManyToManyField(RequestLine, related_name="pick_slips")

    class Meta:
        ordering = ["-printed_at", "-id"]
        verbose_name = _("pick slip")
        verbose_name_plural = _("pick slips")

    def __str__(self) -> str:
        return f"pick slip {self.pk} of {self.printed_at:%Y-%m-%d %H:%M}"


class SlotBooking(models.Model):
    """A seat in one pickup slot. The unique seat number caps the slot at its capacity."""

    service_point = models.ForeignKey(
        ServicePoint, on_delete=models.CASCADE, related_name="slot_bookings"
    )
    slot_start = models.DateTimeField(_("slot starts"))
    seat = models.PositiveSmallIntegerField()
    request = models.OneToOneField(
        BorrowRequest, on_delete=models.CASCADE, related_name="slot_booking"
    )
    booked_at = models.DateTimeField()

    class Meta:
        ordering = ["slot_start", "seat"]
        constraints = [
            models.UniqueConstraint(
                fields=["service_point", "slot_start", "seat"], name="one_booking_per_seat"
            )
        ]
        verbose_name = _("pickup slot booking")
        verbose_name_plural = _("pickup slot bookings")

    def __str__(self) -> str:
        return f"{self.slot_start:%Y-%m-%d %H:%M} seat {self.seat}"


class BasketLine(models.Model):
    """A book in a reader's basket (借书篮): a record (any copy) or one copy of it.

    Kept with the reader's card, not in the browser session, so the basket follows the
    reader from phone to desktop. The library is the record's, stored to group and count
    a basket's lines by library without a join. One line per copy, and one "any copy"
    line per record, for each reader: the database refuses a second even when two adds
    race.
    """

    reader = models.ForeignKey(ReaderProfile, on_delete=models.CASCADE, related_name="basket_lines")
    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="+")
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"))

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reader", "item"],
                condition=Q(item__isnull=False),
                name="one_basket_line_per_copy",
            ),
            models.UniqueConstraint(
                fields=["reader", "record"],
                condition=Q(item__isnull=True),
                name="one_any_copy_basket_line_per_record",
            ),
        ]
        verbose_name = _("basket line")
        verbose_name_plural = _("basket lines")

    def __str__(self) -> str:
        return f"basket line {self.pk} of reader {self.reader_id}"
