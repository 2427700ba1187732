from django.contrib import admin

from libreach.consortium.models import (
    Building,
    CalendarException,
    Closure,
    Library,
    OpeningHours,
    ReciprocalBorrowing,
    ServicePoint,
)


class BuildingInline(admin.TabularInline):
    model = Building
    extra = 0


class ServicePointInline(admin.TabularInline):
    model = ServicePoint
    extra = 0


class OpeningHoursInline(admin.TabularInline):
    model = OpeningHours
    extra = 0


@admin.register(Library)
class LibraryAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en"]
    search_fields = ["code", "name", "name_en"]
    inlines = [BuildingInline, ServicePointInline, OpeningHoursInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "library"]
    list_filter = ["library"]
    search_fields = ["code", "name"]


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "library", "is_pickup", "slot_minutes", "slot_capacity"]
    list_filter = ["library", "is_pickup"]
    search_fields = ["code", "name"]


@admin.register(OpeningHours)
class OpeningHoursAdmin(admin.ModelAdmin):
    list_display = ["library", "service_point", "weekday", "opens", "closes"]
    list_filter = ["library", "weekday"]


@admin.register(CalendarException)
class CalendarExceptionAdmin(admin.ModelAdmin):
    list_display = ["library", "date", "is_closed", "opens", "closes", "reason"]
    list_filter = ["library", "is_closed"]
    date_hierarchy = "date"


@admin.register(Closure)
class ClosureAdmin(admin.ModelAdmin):
    list_display = [
        "library",
        "start_date",
        "end_date",
        "reason",
        "stops_counter_loans",
        "lifted_at",
    ]
    list_filter = ["library"]


@admin.register(ReciprocalBorrowing)
class ReciprocalBorrowingAdmin(admin.ModelAdmin):
    list_display = ["lender", "borrower_library", "created_at"]
    list_filter = ["lender", "borrower_library"]
