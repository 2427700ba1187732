"""Staff desk pages of e-resources (`/desk/<lib>/e-resources/…`).

The library's databases with their access routes and KBART titles, its link settings
(IdP, EZproxy, OpenAthens, WebVPN) with a sample link of each kind, the link patrol's
status and a route's history, topic collections (专题) and their items, and the community
WAYFless list in and out. Views translate forms into service calls and refusals into
messages; every form posts and redirects without JavaScript, and the collection items
(order, notes, removal) and the collections' order answer in place when htmx sends them.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.shortcuts import render as django_render
from django.urls import reverse
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from libreach.accounts.desk import desk_view
from libreach.core import inplace, lengths
from libreach.core.errors import DomainError
from libreach.core.templatetags.words import part
from libreach.eresources import forms, selectors, services, wayfless
from libreach.eresources.models import (
    REACHABLE_STATUSES,
    AccessRoute,
    Collection,
    CollectionItem,
    Database,
    PatrolStatus,
    RouteKind,
)

# What the link settings page builds its sample links to.
SAMPLE_TARGET = "https://www.sciencedirect.com/journal/cell"
SAMPLE_WAYFLESS = (
    "https://fsso.springer.com/saml/login?idp=https://"
    + wayfless.PLACEHOLDER
    + "/idp/shibboleth&targetUrl=https://link.springer.com/"
)
# KBART errors kept for the page after the upload (a file may have thousands).
KBART_ERRORS_SHOWN = 200


def render(request, template: str, context: dict, status: int = 200) -> HttpResponse:
    """Django's render, with the technical names (`T.wayfless`, `T.idp`...) that
    sentences put in their places, marked as English."""
    return django_render(request, template, {"T": forms.term_html(), **context}, status=status)


def _database(library, database_id: int) -> Database:
    return get_object_or_404(Database, pk=database_id, library=library)


def _route(library, route_id: int) -> AccessRoute:
    return get_object_or_404(
        AccessRoute.objects.select_related("database"), pk=route_id, database__library=library
    )


def _collection(library, collection_id: int) -> Collection:
    return get_object_or_404(Collection, pk=collection_id, library=library)


def _item(library, item_id: int) -> CollectionItem:
    return get_object_or_404(
        CollectionItem.objects.select_related("collection"),
        pk=item_id,
        collection__library=library,
    )


def _named(message: str, **names: str) -> SafeString:
    """A message with names in it, each in its own language (WCAG 3.1.2)."""
    return mark_safe(conditional_escape(message) % {k: part(v) for k, v in names.items()})


def _try(request, action) -> DomainError | None:
    """Run a service call; a refusal becomes the page's error message."""
    try:
        action()
    except DomainError as error:
        messages.error(request, error.detail)
        return error
    return None


# --- databases -----------------------------------------------------------------------------


def _databases_context(request, library, **extra) -> dict:
    rows = selectors.desk_databases(by=request.user, library=library)
    return {
        "library": library,
        "rows": rows,
        "ending_soon": selectors.offers_ending_soon(library=library),
        "broken": sum(r.broken for r in rows),
        "warning_days": selectors.OFFER_WARNING_DAYS,
        "form": forms.DatabaseForm(),
        **extra,
    }


@require_GET
@desk_view()
def databases(request, library):
    """The library's databases: routes, the best one, link status; offers ending soon."""
    return render(request, "eresources/desk_databases.html", _databases_context(request, library))


@require_POST
@desk_view()
def create_database(request, library):
    form = forms.DatabaseForm(request.POST)
    if form.is_valid():
        created: list[Database] = []
        error = _try(
            request,
            lambda: created.append(
                services.create_database(by=request.user, library=library, **form.cleaned_data)
            ),
        )
        if error is None:
            messages.success(
                request,
                _named(_("%(name)s added. Now add its access routes."), name=created[0].name),
            )
            return redirect("desk:eres_database", library.code, created[0].pk)
        status = error.status
    else:
        status = 400
    context = _databases_context(request, library, form=form, open_create=True)
    return render(request, "eresources/desk_databases.html", context, status=status)


def _route_form(route: AccessRoute, data=None) -> forms.RouteForm:
    initial = {
        "kind": route.kind,
        "url": route.url,
        "rank": route.rank,
        "instructions": route.instructions,
        "starts": route.starts,
        "ends": route.ends,
        "scope": route.scope,
    }
    return forms.RouteForm(data, initial=initial, prefix=f"r{route.pk}")


def _database_context(request, library, database_id: int, **extra) -> dict:
    found = selectors.desk_databases(by=request.user, library=library, database_id=database_id)
    if not found:
        raise Http404("No such database.")
    row = found[0]
    database = row.database
    settings = selectors.settings_of(library)
    bound = extra.pop("route_forms", {})
    routes = [
        {
            "route": route,
            "check": row.checks.get(route.pk),
            "link": selectors.link_for(route, database, settings),
            "form": bound.get(route.pk) or _route_form(route),
            "open": route.pk in bound,
        }
        for route in row.routes
    ]
    initial = {name: getattr(database, name) for name in forms.DatabaseForm.base_fields}
    return {
        "library": library,
        "row": row,
        "database": database,
        "routes": routes,
        "form": forms.DatabaseForm(initial=initial),
        "route_form": forms.RouteForm(prefix="new"),
        "kbart_form": forms.KbartForm(),
        "titles": database.titles.count(),
        "kbart_result": request.session.pop(f"eres_kbart_{database.pk}", None),
        **extra,
    }


@require_GET
@desk_view()
def database_page(request, library, database_id: int):
    context = _database_context(request, library, database_id)
    return render(request, "eresources/desk_database.html", context)


def _database_back(library, database_id: int, anchor: str = ""):
    return redirect(reverse("desk:eres_database", args=[library.code, database_id]) + anchor)


@require_POST
@desk_view()
def edit_database(request, library, database_id: int):
    _database(library, database_id)
    form = forms.DatabaseForm(request.POST)
    if form.is_valid():
        error = _try(
            request,
            lambda: services.update_database(
                by=request.user, database_id=database_id, **form.cleaned_data
            ),
        )
        if error is None:
            messages.success(request, _("Database saved."))
            return _database_back(library, database_id)
        status = error.status
    else:
        status = 400
    context = _database_context(request, library, database_id, form=form, open_edit=True)
    return render(request, "eresources/desk_database.html", context, status=status)


@require_http_methods(["GET", "POST"])
@desk_view()
def delete_database(request, library, database_id: int):
    """GET asks to confirm (saying what goes with it); POST deletes."""
    database = _database(library, database_id)
    if request.method == "POST":
        if _try(
            request, lambda: services.delete_database(by=request.user, database_id=database_id)
        ):
            return _database_back(library, database_id)
        messages.success(request, _named(_("%(name)s deleted."), name=database.name))
        return redirect("desk:eres", library.code)
    context = {
        "library": library,
        "database": database,
        "routes": database.routes.count(),
        "titles": database.titles.count(),
    }
    return render(request, "eresources/desk_database_delete.html", context)


@require_POST
@desk_view()
def add_route(request, library, database_id: int):
    _database(library, database_id)
    form = forms.RouteForm(request.POST, prefix="new")
    if form.is_valid():
        error = _try(
            request,
            lambda: services.add_route(by=request.user, database_id=database_id, **form.values()),
        )
        if error is None:
            messages.success(request, _("Access route added."))
            return _database_back(library, database_id, "#routes")
        status = error.status
    else:
        status = 400
    context = _database_context(request, library, database_id, route_form=form, open_add=True)
    return render(request, "eresources/desk_database.html", context, status=status)


@require_POST
@desk_view()
def edit_route(request, library, route_id: int):
    route = _route(library, route_id)
    form = _route_form(route, request.POST)
    if form.is_valid():
        error = _try(
            request,
            lambda: services.update_route(by=request.user, route_id=route_id, **form.values()),
        )
        if error is None:
            messages.success(request, _("Access route saved."))
            return _database_back(library, route.database_id, f"#route-{route_id}")
        status = error.status
    else:
        status = 400
    context = _database_context(request, library, route.database_id, route_forms={route.pk: form})
    return render(request, "eresources/desk_database.html", context, status=status)


@require_POST
@desk_view()
def delete_route(request, library, route_id: int):
    route = _route(library, route_id)
    if not _try(request, lambda: services.delete_route(by=request.user, route_id=route_id)):
        messages.success(request, _("Access route deleted."))
    return _database_back(library, route.database_id, "#routes")


@require_POST
@desk_view()
def upload_kbart(request, library, database_id: int):
    """Replace the database's titles with a KBART file's; the counts and the rows
    skipped (by line) show on the database's page."""
    _database(library, database_id)
    form = forms.KbartForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose the title list file to upload."))
        return _database_back(library, database_id, "#kbart")
    result = []
    error = _try(
        request,
        lambda: result.append(
            services.import_kbart(
                by=request.user, database_id=database_id, source=form.cleaned_data["file"].read()
            )
        ),
    )
    if error is None:
        imported = result[0]
        messages.success(
            request,
            _("%(titles)s titles imported (%(journals)s journals become holdings).")
            % {"titles": imported.titles, "journals": imported.journal_holdings},
        )
        request.session[f"eres_kbart_{database_id}"] = {
            "titles": imported.titles,
            "journal_holdings": imported.journal_holdings,
            "error_count": len(imported.errors),
            "errors": [
                {"line": e.line, "field": e.field, "message": e.message, "value": e.value}
                for e in imported.errors[:KBART_ERRORS_SHOWN]
            ],
        }
    return _database_back(library, database_id, "#kbart")


# --- link settings -----------------------------------------------------------------------


def _samples(library) -> list[dict]:
    """A link of each kind the settings can build, to a sample page."""
    settings = selectors.settings_of(library)
    database = Database(library=library, name="sample", platform_url=SAMPLE_TARGET)
    found = []
    for kind, url in (
        (RouteKind.CARSI, SAMPLE_WAYFLESS),
        (RouteKind.EZPROXY, ""),
        (RouteKind.OPENATHENS, ""),
        (RouteKind.WEBVPN, ""),
    ):
        link = selectors.link_for(AccessRoute(kind=kind, url=url, rank=1), database, settings)
        if link:
            found.append({"kind": RouteKind(kind).label, "link": link})
    return found


@require_http_methods(["GET", "POST"])
@desk_view()
def link_settings(request, library):
    settings = selectors.settings_of(library)
    status = 200
    if request.method == "POST":
        form = forms.LinkSettingsForm(request.POST)
        if form.is_valid():
            error = _try(
                request,
                lambda: services.save_link_settings(
                    by=request.user, library=library, **form.cleaned_data
                ),
            )
            if error is None:
                messages.success(request, _("Link settings saved."))
                return redirect("desk:eres_links", library.code)
            status = error.status
        else:
            status = 400
    else:
        initial = {name: getattr(settings, name) for name in forms.LinkSettingsForm.base_fields}
        chosen = request.GET.get("entity_id", "").strip()
        if chosen:
            initial["idp_entity_id"] = chosen[:500]
            initial["idp_name"] = request.GET.get("idp_name", "").strip()[:200]
        form = forms.LinkSettingsForm(initial=initial)
    federation = selectors.federation_has_idps()
    search = forms.IdpSearchForm(request.GET if "idp_q" in request.GET else None)
    idps = (
        selectors.find_federation_idps(q=search.cleaned_data["idp_q"])
        if federation and search.is_bound and search.is_valid()
        else None
    )
    context = {
        "library": library,
        "form": form,
        "federation": federation,
        "search": search,
        "idps": idps,
        "samples": _samples(library),
        "sample_target": SAMPLE_TARGET,
    }
    return render(request, "eresources/desk_links.html", context, status=status)


# --- link status ---------------------------------------------------------------------------

BROKEN = "broken"


@require_GET
@desk_view()
def status(request, library):
    """Every route's newest check, broken first; filter by status (or all broken)."""
    checks = selectors.link_status(by=request.user, library=library)
    wanted = request.GET.get("status", "")
    if wanted == BROKEN:
        shown = [c for c in checks if c.status not in REACHABLE_STATUSES]
    elif wanted in PatrolStatus.values:
        shown = [c for c in checks if c.status == wanted]
    else:
        wanted, shown = "", checks
    counts: dict[str, int] = {}
    for check in checks:
        counts[check.status] = counts.get(check.status, 0) + 1
    context = {
        "library": library,
        "checks": shown,
        "total": len(checks),
        "broken": sum(1 for c in checks if c.status not in REACHABLE_STATUSES),
        "wanted": wanted,
        "choices": [(s, label, counts.get(s, 0)) for s, label in PatrolStatus.choices],
        "last_run": selectors.last_run(library=library),
        "reachable": REACHABLE_STATUSES,
    }
    return render(request, "eresources/desk_status.html", context)


@require_GET
@desk_view()
def route_page(request, library, route_id: int):
    """A route's check history, newest first."""
    route = _route(library, route_id)
    context = {
        "library": library,
        "route": route,
        "link": selectors.link_for(route, route.database, selectors.settings_of(library)),
        "history": selectors.route_history(by=request.user, route=route),
        "reachable": REACHABLE_STATUSES,
    }
    return render(request, "eresources/desk_route.html", context)


# --- topic collections -------------------------------------------------------------------


def _reader_url(library, collection: Collection) -> str:
    return reverse("eresources:topic", args=[library.code, collection.slug])


def _collections_context(request, library, **extra) -> dict:
    found = selectors.collections(by=request.user, library=library)
    return {
        "library": library,
        "collections": [{"c": c, "reader_url": _reader_url(library, c)} for c in found],
        "form": forms.CollectionForm(),
        **extra,
    }


@require_GET
@desk_view()
def collections(request, library):
    context = _collections_context(request, library)
    return render(request, "eresources/desk_topics.html", context)


@require_POST
@desk_view()
def create_collection(request, library):
    form = forms.CollectionForm(request.POST)
    if form.is_valid():
        created: list[Collection] = []
        error = _try(
            request,
            lambda: created.append(
                services.create_collection(by=request.user, library=library, **form.cleaned_data)
            ),
        )
        if error is None:
            messages.success(request, _("Topic collection created. Now add its items."))
            return redirect("desk:eres_topic", library.code, created[0].pk)
        status = error.status
    else:
        status = 400
    context = _collections_context(request, library, form=form, open_create=True)
    return render(request, "eresources/desk_topics.html", context, status=status)


@require_POST
@desk_view()
def move_collection(request, library, collection_id: int):
    _collection(library, collection_id)
    step = -1 if request.POST.get("step") == "up" else 1
    error = _try(
        request,
        lambda: services.move_collection(by=request.user, collection_id=collection_id, step=step),
    )
    if inplace.requested(request):
        context = _collections_context(
            request,
            library,
            moved=collection_id,
            moved_step="up" if step < 0 else "down",
            inplace=True,
        )
        return inplace.fragment(
            request,
            "eresources/desk_topic_list.html",
            context,
            status=error.status if error else 200,
        )
    return redirect("desk:eres_topics", library.code)


def _collection_context(request, library, collection_id: int, **extra) -> dict:
    found = _collection(library, collection_id)
    collection, entries = selectors.collection(by=request.user, library=library, slug=found.slug)
    initial = {name: getattr(collection, name) for name in forms.CollectionForm.base_fields}
    databases = list(Database.objects.filter(library=library).order_by("name", "id"))
    offers = list(
        AccessRoute.objects.filter(database__library=library, kind=RouteKind.FREE_OFFER)
        .select_related("database")
        .order_by("database__name", "id")
    )
    return {
        "library": library,
        "collection": collection,
        "entries": entries,
        "reader_url": _reader_url(library, collection),
        "form": forms.CollectionForm(initial=initial),
        "database_form": forms.ItemDatabaseForm(databases=databases, prefix="db"),
        "offer_form": forms.ItemOfferForm(offers=offers, prefix="offer"),
        "link_form": forms.ItemLinkForm(prefix="link"),
        "note_max": lengths.max_length(CollectionItem, "note"),
        **extra,
    }


@require_GET
@desk_view()
def collection_page(request, library, collection_id: int):
    context = _collection_context(request, library, collection_id)
    return render(request, "eresources/desk_topic.html", context)


@require_POST
@desk_view()
def edit_collection(request, library, collection_id: int):
    _collection(library, collection_id)
    form = forms.CollectionForm(request.POST)
    if form.is_valid():
        error = _try(
            request,
            lambda: services.update_collection(
                by=request.user, collection_id=collection_id, **form.cleaned_data
            ),
        )
        if error is None:
            messages.success(request, _("Topic collection saved."))
            return redirect("desk:eres_topic", library.code, collection_id)
        status = error.status
    else:
        status = 400
    context = _collection_context(request, library, collection_id, form=form)
    return render(request, "eresources/desk_topic.html", context, status=status)


@require_POST
@desk_view()
def delete_collection(request, library, collection_id: int):
    found = _collection(library, collection_id)
    if _try(
        request,
        lambda: services.delete_collection(by=request.user, collection_id=collection_id),
    ):
        return redirect("desk:eres_topic", library.code, collection_id)
    messages.success(request, _named(_("Topic collection %(title)s deleted."), title=found.title))
    return redirect("desk:eres_topics", library.code)


@require_POST
@desk_view()
def add_item(request, library, collection_id: int):
    """A database, a free offer or a link, by which of the three forms was sent."""
    context = _collection_context(request, library, collection_id)
    which = request.POST.get("add")
    if which == "database":
        form = forms.ItemDatabaseForm(
            request.POST,
            databases=Database.objects.filter(library=library).order_by("name"),
            prefix="db",
        )
        key, target = "database_form", "database_id"
    elif which == "offer":
        form = forms.ItemOfferForm(
            request.POST,
            offers=AccessRoute.objects.filter(
                database__library=library, kind=RouteKind.FREE_OFFER
            ).select_related("database"),
            prefix="offer",
        )
        key, target = "offer_form", "route_id"
    else:
        form = forms.ItemLinkForm(request.POST, prefix="link")
        key, target = "link_form", None
    if form.is_valid():
        data = dict(form.cleaned_data)
        values = {"note": data.pop("note")}
        if target == "database_id":
            values["database_id"] = data["database"]
        elif target == "route_id":
            values["route_id"] = data["route"]
        else:
            values.update(link_title=data["link_title"], link_url=data["link_url"])
        error = _try(
            request,
            lambda: services.add_collection_item(
                by=request.user, collection_id=collection_id, **values
            ),
        )
        if error is None:
            messages.success(request, _("Item added at the end."))
            return redirect(
                reverse("desk:eres_topic", args=[library.code, collection_id]) + "#items"
            )
        status = error.status
    else:
        status = 400
    context[key] = form
    context["open_add"] = key
    return render(request, "eresources/desk_topic.html", context, status=status)


def _items_answer(request, library, collection_id: int, status: int = 200, **extra):
    """In place: the items list as it now is (and the outcome); else back to the editor."""
    if inplace.requested(request):
        context = _collection_context(request, library, collection_id, inplace=True, **extra)
        return inplace.fragment(request, "eresources/desk_topic_items.html", context, status=status)
    return redirect(reverse("desk:eres_topic", args=[library.code, collection_id]) + "#items")


@require_POST
@desk_view()
def edit_item(request, library, item_id: int):
    item = _item(library, item_id)
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("note", [])))
        return _items_answer(request, library, item.collection_id, 400)
    error = _try(
        request,
        lambda: services.update_collection_item(
            by=request.user, item_id=item_id, note=form.cleaned_data["note"]
        ),
    )
    if error is None:
        messages.success(request, _("Note saved."))
    return _items_answer(
        request, library, item.collection_id, error.status if error else 200, focus=item_id
    )


@require_POST
@desk_view()
def move_item(request, library, item_id: int):
    item = _item(library, item_id)
    step = -1 if request.POST.get("step") == "up" else 1
    error = _try(
        request,
        lambda: services.move_collection_item(by=request.user, item_id=item_id, step=step),
    )
    return _items_answer(
        request,
        library,
        item.collection_id,
        error.status if error else 200,
        moved=item_id,
        moved_step="up" if step < 0 else "down",
    )


@require_POST
@desk_view()
def remove_item(request, library, item_id: int):
    item = _item(library, item_id)
    error = _try(request, lambda: services.remove_collection_item(by=request.user, item_id=item_id))
    if error is None:
        messages.success(request, _("Item removed."))
    return _items_answer(request, library, item.collection_id, error.status if error else 200)


# --- the community WAYFless list ----------------------------------------------------------


@require_http_methods(["GET", "POST"])
@desk_view()
def wayfless_page(request, library):
    """Paste or upload the community Markdown list; download it as Markdown, JSON or CSV."""
    status = 200
    if request.method == "POST":
        form = forms.WayflessImportForm(request.POST, request.FILES)
        if form.is_valid():
            result = []
            error = _try(
                request,
                lambda: result.append(
                    services.import_wayfless(
                        by=request.user, library=library, text=form.cleaned_data["text"]
                    )
                ),
            )
            if error is None:
                done = result[0]
                messages.success(
                    request,
                    _(
                        "List imported: %(created)s databases added, %(updated)s updated, "
                        "%(links)s links, %(notes)s notes."
                    )
                    % {
                        "created": done.databases_created,
                        "updated": done.databases_updated,
                        "links": done.links,
                        "notes": done.notes,
                    },
                )
                return redirect("desk:eres_wayfless", library.code)
            status = error.status
        else:
            status = 400
    else:
        form = forms.WayflessImportForm()
    entries = selectors.wayfless_list(library=library).entries
    context = {
        "library": library,
        "form": form,
        "entries": len(entries),
        "links": sum(
            1 for e in entries for m in e.methods for i in m.items if isinstance(i, wayfless.Link)
        ),
        "settings": selectors.settings_of(library),
        "formats": [
            (f, format_html('<span lang="en">{}</span>', f.upper()))
            for f in selectors.EXPORT_FORMATS
        ],
    }
    return render(request, "eresources/desk_wayfless.html", context, status=status)


EXPORT_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "json": "application/json; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
}


@require_GET
@desk_view()
def export_wayfless(request, library, fmt: str):
    """The list as a file, the library's IdP filled in (without one, the community form
    with its {IDP地址} placeholder)."""
    if fmt not in EXPORT_TYPES:
        raise Http404("No such format.")
    try:
        text = selectors.export_wayfless(
            library=library, fmt=fmt, community=request.GET.get("community") == "1"
        )
    except ValueError:
        messages.error(request, _("The identity provider in the link settings is not valid."))
        return redirect("desk:eres_wayfless", library.code)
    response = HttpResponse(text, content_type=EXPORT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="wayfless-{library.code}.{fmt}"'
    return response
