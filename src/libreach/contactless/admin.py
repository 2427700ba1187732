"""Django admin for contactless borrowing: read-mostly views for audits and support.

State changes belong to the services (desk and API), so the admin shows requests and
their lines, events and disinfections without letting anyone edit their status.
"""

from django.contrib import admin

from libreach.contactless.models import (
    BorrowRequest,
    DeliveryRun,
    Disinfection,
    PickSlip,
    RequestEvent,
    RequestLine,
    SlotBooking,
)


class LineInline(admin.TabularInline):
    model = RequestLine
    extra = 0
    can_delete = False
    fields = ["position", "level", "record", "item", "status", "not_found_reason", "loan"]
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class EventInline(admin.TabularInline):
    model = RequestEvent
    extra = 0
    can_delete = False
    fields = ["at", "event", "status", "actor", "data", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class DisinfectionInline(admin.TabularInline):
    model = Disinfection
    extra = 0
    can_delete = False
    fields = ["at", "method", "minutes", "by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(BorrowRequest)
class BorrowRequestAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "library",
        "queue_number",
        "reader",
        "mode",
        "status",
        "building",
        "service_point",
        "submitted_at",
    ]
    list_filter = ["library", "mode", "status"]
    list_select_related = ["library", "reader", "building", "service_point"]
    search_fields = ["reader__card_number", "reader__user__name", "=id"]
    date_hierarchy = "submitted_at"
    inlines = [LineInline, DisinfectionInline, EventInline]
    exclude = ["proxy_id_hash", "pickup_code"]
    readonly_fields = [
        "library",
        "reader",
        "mode",
        "status",
        "building",
        "service_point",
        "proxy_name",
        "proxy_id_last4",
        "queue_number",
        "shelf_slot",
        "run",
        "submitted_at",
        "ready_at",
        "hold_until",
        "closed_at",
        "expiry_notice_sent_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(DeliveryRun)
class DeliveryRunAdmin(admin.ModelAdmin):
    list_display = ["library", "run_date", "number", "assignee", "status", "dispatched_at"]
    list_filter = ["library", "status"]
    list_select_related = ["library", "assignee"]
    readonly_fields = ["library", "run_date", "number", "created_by", "status", "dispatched_at"]

    def has_add_permission(self, request):
        return False


@admin.register(PickSlip)
class PickSlipAdmin(admin.ModelAdmin):
    list_display = ["id", "library", "service_point", "printed_by", "printed_at"]
    list_filter = ["library"]
    list_select_related = ["library", "service_point", "printed_by"]
    readonly_fields = ["library", "service_point", "printed_by", "printed_at", "lines"]

    def has_add_permission(self, request):
        return False


@admin.register(SlotBooking)
class SlotBookingAdmin(admin.ModelAdmin):
    list_display = ["service_point", "slot_start", "seat", "request", "booked_at"]
    list_filter = ["service_point__library", "service_point"]
    list_select_related = ["service_point", "request"]
    readonly_fields = ["service_point", "slot_start", "seat", "request", "booked_at"]

    def has_add_permission(self, request):
        return False
