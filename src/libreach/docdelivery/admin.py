"""Django admin for document delivery: read-only views for audits and support.

Requests, rotas, files, charges and ISO 18626 messages change only through the services
(desk, API, the ISO 18626 endpoint), so the admin shows them and lets no one add, edit or
delete one. What the admin does edit is configuration, as for circulation's loan policies:
each member's terms as a lender, the consortium's fee policies and free periods.
"""

from django.contrib import admin
from django.db import models

from libreach.core.readonly_admin import ReadOnlyAdmin, ReadOnlyInline
from libreach.docdelivery.models import (
    DocDeliverySettings,
    DocRequest,
    FeeCharge,
    FeePolicy,
    FreePeriod,
    Iso18626Message,
    RequestEvent,
    RotaEntry,
    SuppliedFile,
)


class RotaInline(ReadOnlyInline):
    model = RotaEntry
    fields = [
        "position",
        "lender",
        "status",
        "holdings",
        "ratio",
        "response_hours",
        "sent_at",
        "due_at",
        "answered_at",
        "reason_unfilled",
        "reason_retry",
        "retry_cost",
        "note",
    ]
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ["at", "event", "status", "actor", "library", "data"]
    readonly_fields = fields


@admin.register(DocRequest)
class DocRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "library",
        "reader",
        "type",
        "title",
        "article_title",
        "status",
        "lender",
        "created_at",
    ]
    list_filter = ["library", "type", "status", "lender"]
    list_select_related = ["library", "reader", "lender"]
    search_fields = [
        "=id",
        "title",
        "article_title",
        "issn",
        "isbn",
        "doi",
        "reader__card_number",
        "reader__user__name",
        "external_id",
    ]
    date_hierarchy = "created_at"
    inlines = [RotaInline, EventInline]


@admin.register(RotaEntry)
class RotaEntryAdmin(ReadOnlyAdmin):
    list_display = ["request", "position", "lender", "status", "sent_at", "due_at", "answered_at"]
    list_filter = ["status", "lender"]
    list_select_related = ["request", "lender"]
    search_fields = ["=request__id"]


@admin.register(SuppliedFile)
class SuppliedFileAdmin(ReadOnlyAdmin):
    list_display = [
        "request",
        "lender",
        "size",
        "uploaded_at",
        "expires_at",
        "downloads",
        "max_downloads",
    ]
    list_filter = ["lender"]
    list_select_related = ["request", "lender"]
    search_fields = ["=request__id", "sha256"]


@admin.register(Iso18626Message)
class Iso18626MessageAdmin(ReadOnlyAdmin):
    list_display = ["at", "direction", "kind", "peer", "request", "status"]
    list_filter = ["direction", "kind", "status", "peer"]
    list_select_related = ["peer", "request"]
    search_fields = ["=request__id", "dedup_key"]
    date_hierarchy = "at"


@admin.register(DocDeliverySettings)
class DocDeliverySettingsAdmin(admin.ModelAdmin):
    list_display = [
        "library",
        "lends",
        "response_days",
        "delivery_days",
        "iso18626_url",
        "file_days",
        "file_downloads",
    ]
    list_select_related = ["library"]
    # An ISO 18626 endpoint typed without a scheme is an https one.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(FeePolicy)
class FeePolicyAdmin(admin.ModelAdmin):
    list_display = [
        "service_type",
        "basis",
        "price",
        "minimum",
        "currency",
        "valid_from",
        "valid_to",
        "note",
    ]
    list_filter = ["service_type"]


@admin.register(FreePeriod)
class FreePeriodAdmin(admin.ModelAdmin):
    list_display = ["start", "end", "service_type", "note"]


@admin.register(FeeCharge)
class FeeChargeAdmin(ReadOnlyAdmin):
    list_display = [
        "request",
        "library",
        "lender",
        "service_type",
        "pages",
        "amount",
        "currency",
        "paid_by",
        "at",
    ]
    list_filter = ["paid_by", "service_type", "library", "lender"]
    list_select_related = ["request", "library", "lender"]
    date_hierarchy = "at"
