"""Django admin for e-resources: read-only views for audits and support.

Databases, routes, link settings, collections, KBART titles, the federation's IdPs and the
link patrol's record change only through the services (desk pages, API, commands), which
check who may and keep the rules (free offers' windows, entityIDs of the federation), so
the admin shows them and lets no one add, edit or delete one.
"""

from django.contrib import admin

from libreach.core.readonly_admin import ReadOnlyAdmin, ReadOnlyInline
from libreach.eresources.models import (
    AccessRoute,
    Collection,
    CollectionItem,
    Database,
    FederationIdp,
    KbartTitle,
    LinkCheck,
    LinkSettings,
    PatrolRun,
    WayflessNote,
)


class RouteInline(ReadOnlyInline):
    show_change_link = True  # each row has its own read-only page
    model = AccessRoute
    fields = ["kind", "rank", "url", "starts", "ends", "scope", "method_label", "position"]
    readonly_fields = fields


class NoteInline(ReadOnlyInline):
    show_change_link = True  # each row has its own read-only page
    model = WayflessNote
    fields = ["method_label", "position", "text"]
    readonly_fields = fields


@admin.register(Database)
class DatabaseAdmin(ReadOnlyAdmin):
    list_display = ["name", "name_en", "library", "vendor", "kind", "updated_at"]
    list_filter = ["library", "kind"]
    list_select_related = ["library"]
    search_fields = ["name", "name_en", "vendor", "subjects"]
    inlines = [RouteInline, NoteInline]


@admin.register(AccessRoute)
class AccessRouteAdmin(ReadOnlyAdmin):
    list_display = ["database", "kind", "rank", "url", "starts", "ends", "end_warned_at"]
    list_filter = ["kind", "database__library"]
    list_select_related = ["database"]
    search_fields = ["database__name", "url"]


@admin.register(WayflessNote)
class WayflessNoteAdmin(ReadOnlyAdmin):
    list_display = ["database", "method_label", "position", "text"]
    list_filter = ["database__library"]
    list_select_related = ["database"]
    search_fields = ["database__name", "text"]


@admin.register(LinkSettings)
class LinkSettingsAdmin(ReadOnlyAdmin):
    list_display = ["library", "idp_entity_id", "idp_name", "ezproxy_base", "webvpn_base"]
    list_select_related = ["library"]
    # The WebVPN key is a secret of the school's gateway: not shown.
    exclude = ["webvpn_key"]


@admin.register(FederationIdp)
class FederationIdpAdmin(ReadOnlyAdmin):
    list_display = ["entity_id", "name", "name_en", "scopes", "imported_at"]
    search_fields = ["entity_id", "name", "name_en", "scopes"]


@admin.register(PatrolRun)
class PatrolRunAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "finished_at", "library", "checked", "broken", "newly_broken"]
    list_filter = ["library"]
    list_select_related = ["library"]
    date_hierarchy = "started_at"


@admin.register(LinkCheck)
class LinkCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "route", "url", "status", "http_status", "elapsed_ms"]
    list_filter = ["status", "route__database__library"]
    list_select_related = ["route__database"]
    search_fields = ["url", "route__database__name"]
    date_hierarchy = "checked_at"


class ItemInline(ReadOnlyInline):
    show_change_link = True  # each row has its own read-only page
    model = CollectionItem
    fields = ["position", "database", "route", "link_title", "link_url", "note"]
    readonly_fields = fields


@admin.register(Collection)
class CollectionAdmin(ReadOnlyAdmin):
    list_display = ["title", "slug", "library", "published", "position", "updated_at"]
    list_filter = ["library", "published"]
    list_select_related = ["library"]
    search_fields = ["title", "title_en", "slug"]
    inlines = [ItemInline]


@admin.register(CollectionItem)
class CollectionItemAdmin(ReadOnlyAdmin):
    list_display = ["collection", "position", "database", "route", "link_title"]
    list_select_related = ["collection", "database", "route"]


@admin.register(KbartTitle)
class KbartTitleAdmin(ReadOnlyAdmin):
    list_display = [
        "publication_title",
        "database",
        "publication_type",
        "print_identifier",
        "online_identifier",
        "first_year",
        "last_year",
    ]
    list_filter = ["publication_type", "database__library"]
    list_select_related = ["database"]
    search_fields = ["publication_title", "=print_identifier", "=online_identifier"]
