from django.contrib import admin

from libreach.circulation.models import CirculationSettings, Loan, LoanPolicy


@admin.register(LoanPolicy)
class LoanPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "library",
        "reader_type",
        "loan_days",
        "max_renewals",
        "renewal_days",
        "max_open_loans",
        "fine_per_day_fen",
        "hold_days",
    ]
    list_filter = ["library", "reader_type"]
    list_select_related = ["library"]


@admin.register(CirculationSettings)
class CirculationSettingsAdmin(admin.ModelAdmin):
    list_display = ["library", "quarantine_hours"]
    list_select_related = ["library"]


class OpenFilter(admin.SimpleListFilter):
    title = "open"
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", "open"), ("no", "returned")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(returned_at=None)
        if self.value() == "no":
            return queryset.exclude(returned_at=None)
        return queryset


@admin.register(Loan)
class LoanAdmin(admin.ModelAdmin):
    # Changes go through the services (fines, item status); the admin only reads.
    list_display = [
        "item",
        "reader",
        "library",
        "checked_out_at",
        "due_date",
        "renewals",
        "returned_at",
        "return_library",
        "fine_fen",
    ]
    list_filter = [OpenFilter, "library", "return_library", "reader__reader_type", "due_date"]
    search_fields = ["item__barcode", "reader__card_number", "reader__user__name"]
    list_select_related = ["item", "reader", "reader__user", "library", "return_library"]
    date_hierarchy = "checked_out_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
