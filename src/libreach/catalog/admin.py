from django.contrib import admin

from libreach.catalog import services
from libreach.catalog.models import Item, JournalHolding, Record


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0
    fields = ["barcode", "volume", "location", "call_number", "status", "loanable"]


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):
    list_display = ["id", "title", "author_text", "isbn", "call_number", "library"]
    list_filter = ["library", "marc_format", "language"]
    search_fields = ["title", "isbn", "control_number"]
    readonly_fields = ["author_text", "isbns", "call_numbers", "created_at", "updated_at"]
    list_select_related = ["library"]
    inlines = [ItemInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Edits here bypass the services, so bring derived columns up to date.
        services.refresh_derived_fields(form.instance)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ["barcode", "record", "library", "volume", "location", "call_number", "status"]
    list_filter = ["library", "status", "loanable"]
    search_fields = ["barcode", "call_number"]
    raw_id_fields = ["record"]
    list_select_related = ["record", "library"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        services.refresh_derived_fields(obj.record)


@admin.register(JournalHolding)
class JournalHoldingAdmin(admin.ModelAdmin):
    """Read-only: holdings come in through catalog.services.add_journal_holdings."""

    list_display = ["title", "issn", "eissn", "first_year", "last_year", "library"]
    list_filter = ["library"]
    search_fields = ["title", "issn", "eissn"]
    list_select_related = ["library"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
