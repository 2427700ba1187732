from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import ApiToken, ReaderProfile, StaffMembership, User


class ReaderInline(admin.StackedInline):
    model = ReaderProfile
    extra = 0
    fk_name = "user"


class StaffRoleInline(admin.TabularInline):
    model = StaffMembership
    extra = 0


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "name", "email", "is_superuser", "is_active"]
    search_fields = ["username", "name", "email", "reader__card_number"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (_("Person"), {"fields": ["name", "email"]}),
        (
            _("Permissions"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["last_login", "date_joined"]}),
    ]
    inlines = [ReaderInline, StaffRoleInline]


@admin.register(ReaderProfile)
class ReaderProfileAdmin(admin.ModelAdmin):
    list_display = ["card_number", "user", "library", "reader_type", "department", "building"]
    list_filter = ["library", "reader_type"]
    search_fields = ["card_number", "user__name", "department"]
    raw_id_fields = ["user"]
    list_select_related = ["user", "library", "building"]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "library", "role"]
    list_filter = ["library", "role"]
    search_fields = ["user__username", "user__name"]
    list_select_related = ["user", "library"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created_at", "expires_at", "last_used_at"]
    readonly_fields = ["user", "key_hash", "created_at", "expires_at", "last_used_at"]
    search_fields = ["user__username"]

    def has_add_permission(self, request):  # tokens come from the API only
        return False
