"""Reads of e-resources: the reader guide, free offers, links built from the library's
settings, the link patrol's latest status, WAYFless exports, topic collections, KBART titles.

Whether a free offer shows is decided here from the clock (`now`), so an offer leaves the
guide at its end time without any job running.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from libreach.accounts.policies import Actor
from libreach.catalog.titles import title_key
from libreach.consortium.models import Library
from libreach.core.errors import NotFound
from libreach.eresources import kbart, proxylinks, wayfless
from libreach.eresources.models import (
    FROM_HOME_KINDS,
    REACHABLE_STATUSES,
    AccessRoute,
    Collection,
    CollectionItem,
    Database,
    FederationIdp,
    KbartTitle,
    LinkCheck,
    LinkSettings,
    PatrolRun,
    PatrolStatus,
    RouteKind,
    WayflessNote,
)
from libreach.eresources.policies import can_manage, can_see_unpublished, require_manage

OFFER_WARNING_DAYS = 7

# Kinds whose `url` is the page to reach (blank: the platform), and the link is built from
# the library's settings; a url already through the proxy is kept as it is.
_PROXIED = (RouteKind.EZPROXY, RouteKind.OPENATHENS, RouteKind.WEBVPN)


def settings_of(library: Library) -> LinkSettings:
    """The library's link settings; unsaved defaults when none were saved."""
    found = LinkSettings.objects.filter(library=library).first()
    return found or LinkSettings(library=library)


def _idp_host(settings: LinkSettings) -> str | None:
    if not settings.idp_entity_id:
        return None
    try:
        return wayfless.idp_host_of(settings.idp_entity_id)
    except ValueError:
        return None


def link_for(route: AccessRoute, database: Database, settings: LinkSettings) -> str | None:
    """The address a reader taps for `route`, or None when the library's settings lack what
    it needs (a CARSI template without the school's IdP, a proxy route without a proxy)."""
    url = route.url.strip()
    if route.kind == RouteKind.CARSI:
        # The placeholder raw, or encoded once or twice (inside a nested target).
        if wayfless.fill_placeholder(url, "") != url:
            host = _idp_host(settings)
            return wayfless.fill_placeholder(url, host) if host else None
        return url or None
    if route.kind in _PROXIED:
        target = url or database.platform_url.strip()
        if not target:
            return None
        try:
            if route.kind == RouteKind.EZPROXY:
                base = settings.ezproxy_base.strip()
                if not base:
                    return None
                if target.startswith(proxylinks.base_url(base)):
                    return target
                return proxylinks.ezproxy_link(base, target)
            if route.kind == RouteKind.OPENATHENS:
                if target.startswith(proxylinks.OPENATHENS_REDIRECTOR):
                    return target
                domain = settings.openathens_domain.strip()
                return proxylinks.openathens_link(domain, target) if domain else None
            base = settings.webvpn_base.strip()
            if not base:
                return None
            if target.startswith(proxylinks.base_url(base)):
                return target
            key = settings.webvpn_key.encode() if settings.webvpn_key else None
            return proxylinks.webvpn_link(
                base,
                target,
                encrypted=settings.webvpn_encrypted,
                **({"key": key} if key else {}),
            )
        except ValueError:
            return None
    return url or database.platform_url.strip() or None


def live_routes_q(now: dt.datetime) -> Q:
    """Routes that show at `now`: every route but a free offer outside its window."""
    return ~Q(kind=RouteKind.FREE_OFFER) | (
        (Q(starts__isnull=True) | Q(starts__lte=now)) & (Q(ends__isnull=True) | Q(ends__gt=now))
    )


def is_live(route: AccessRoute, now: dt.datetime) -> bool:
    if route.kind != RouteKind.FREE_OFFER:
        return True
    return (route.starts is None or route.starts <= now) and (
        route.ends is None or now < route.ends
    )


@dataclass(frozen=True)
class RouteView:
    route: AccessRoute
    link: str | None

    @property
    def from_home(self) -> bool:
        return self.route.kind in FROM_HOME_KINDS


@dataclass(frozen=True)
class DatabaseView:
    database: Database
    routes: list[RouteView] = field(default_factory=list)

    @property
    def works_from_home(self) -> bool:
        return any(r.from_home for r in self.routes)

    @property
    def best(self) -> RouteView | None:
        """The most convenient route from home (else any), one tap where it has a link."""
        home = [r for r in self.routes if r.from_home]
        return (home or self.routes or [None])[0]

    @property
    def free_offer(self) -> RouteView | None:
        return next((r for r in self.routes if r.route.kind == RouteKind.FREE_OFFER), None)


def _route_order(route: AccessRoute) -> tuple:
    return (route.rank, route.position, route.pk)


def _views(
    databases: QuerySet[Database] | list[Database], settings: LinkSettings
) -> list[DatabaseView]:
    views = []
    for database in databases:
        routes = sorted(database.live_routes, key=_route_order)
        views.append(
            DatabaseView(database, [RouteView(r, link_for(r, database, settings)) for r in routes])
        )
    return views


def _with_live_routes(queryset: QuerySet[Database], now: dt.datetime) -> QuerySet[Database]:
    return queryset.prefetch_related(
        Prefetch(
            "routes",
            queryset=AccessRoute.objects.filter(live_routes_q(now)),
            to_attr="live_routes",
        )
    )


def _search_q(q: str) -> Q:
    found = Q()
    for word in q.split():
        found &= (
            Q(name__icontains=word)
            | Q(name_en__icontains=word)
            | Q(vendor__icontains=word)
            | Q(subjects__icontains=word)
            | Q(description__icontains=word)
        )
    return found


def guide(
    *,
    library: Library,
    q: str = "",
    works_from_home: bool = False,
    kind: str = "",
    subject: str = "",
    now: dt.datetime | None = None,
) -> list[DatabaseView]:
    """The reader guide's list: each database with its routes showing at `now`, the most
    convenient first. Two queries whatever the number of databases."""
    now = now or timezone.now()
    databases = Database.objects.filter(library=library)
    if q.strip():
        databases = databases.filter(_search_q(q.strip()))
    if kind:
        databases = databases.filter(kind=kind)
    if subject:
        databases = databases.filter(subjects__icontains=subject)
    views = _views(_with_live_routes(databases.order_by("name", "id"), now), settings_of(library))
    if works_from_home:
        views = [v for v in views if v.works_from_home]
    return views


def database_view(
    *, library: Library, database_id: int, now: dt.datetime | None = None
) -> DatabaseView:
    now = now or timezone.now()
    found = list(_with_live_routes(Database.objects.filter(library=library, pk=database_id), now))
    if not found:
        raise NotFound(_("No such database."), code="database_not_found")
    return _views(found, settings_of(library))[0]


def subjects_of(library: Library) -> list[str]:
    """Every subject named on the library's databases, for the guide's filter."""
    seen: dict[str, None] = {}
    for subjects in Database.objects.filter(library=library).values_list("subjects", flat=True):
        for subject in subjects.replace("，", ",").split(","):
            if subject.strip():
                seen.setdefault(subject.strip(), None)
    return sorted(seen)


@dataclass(frozen=True)
class OfferView:
    database: Database
    route: AccessRoute
    link: str | None

    def days_left(self, now: dt.datetime) -> int | None:
        if self.route.ends is None:
            return None
        return max(0, (self.route.ends - now).days)


def _offers(library: Library, condition: Q) -> list[OfferView]:
    settings = settings_of(library)
    routes = (
        AccessRoute.objects.filter(database__library=library, kind=RouteKind.FREE_OFFER)
        .filter(condition)
        .select_related("database")
        .order_by("ends", "database__name", "id")
    )
    # Offers without an end come last: ends NULL sorts first on SQLite, last on PostgreSQL.
    offers = [OfferView(r.database, r, link_for(r, r.database, settings)) for r in routes]
    return [o for o in offers if o.route.ends] + [o for o in offers if not o.route.ends]


def free_offers(*, library: Library, now: dt.datetime | None = None) -> list[OfferView]:
    """Free offers open at `now`, the soonest to end first."""
    now = now or timezone.now()
    return _offers(library, live_routes_q(now))


def upcoming_offers(*, library: Library, now: dt.datetime | None = None) -> list[OfferView]:
    now = now or timezone.now()
    return _offers(library, Q(starts__gt=now))


def offers_ending_soon(
    *, library: Library, now: dt.datetime | None = None, days: int = OFFER_WARNING_DAYS
) -> list[OfferView]:
    """Open offers that end within `days` (staff are warned of these)."""
    now = now or timezone.now()
    return _offers(
        library, live_routes_q(now) & Q(ends__isnull=False, ends__lte=now + dt.timedelta(days=days))
    )


def offers_to_warn(*, now: dt.datetime | None = None) -> QuerySet[AccessRoute]:
    """Every library's open offers ending within the warning period, not yet warned of."""
    now = now or timezone.now()
    return (
        AccessRoute.objects.filter(kind=RouteKind.FREE_OFFER, end_warned_at__isnull=True)
        .filter(live_routes_q(now))
        .filter(ends__isnull=False, ends__lte=now + dt.timedelta(days=OFFER_WARNING_DAYS))
        .select_related("database__library")
        .order_by("database__library_id", "ends", "id")
    )


# --- the link patrol ---------------------------------------------------------------------


@dataclass(frozen=True)
class RouteToCheck:
    route: AccessRoute
    url: str


def routes_to_check(
    *, library: Library | None = None, now: dt.datetime | None = None
) -> list[RouteToCheck]:
    """Every route with an address a reader can tap, of one library or all: offers that
    ended are left out, offers still to come are checked before they open."""
    now = now or timezone.now()
    routes = AccessRoute.objects.select_related("database__library").exclude(
        kind=RouteKind.FREE_OFFER, ends__lte=now
    )
    if library is not None:
        routes = routes.filter(database__library=library)
    settings_by_library = {
        s.library_id: s
        for s in LinkSettings.objects.filter(
            **({"library": library} if library is not None else {})
        )
    }
    found = []
    for route in routes.order_by("database__library_id", "database__name", "rank", "id"):
        lib = route.database.library
        settings = settings_by_library.get(lib.pk) or LinkSettings(library=lib)
        url = link_for(route, route.database, settings)
        if url:
            found.append(RouteToCheck(route, url))
    return found


def _latest_checks(routes: QuerySet[AccessRoute]) -> QuerySet[LinkCheck]:
    newest = LinkCheck.objects.filter(route=OuterRef("route")).order_by("-checked_at", "-id")
    return LinkCheck.objects.filter(route__in=routes, id=Subquery(newest.values("id")[:1]))


def latest_status(routes: QuerySet[AccessRoute]) -> dict[int, LinkCheck]:
    """route id → its newest check."""
    return {c.route_id: c for c in _latest_checks(routes)}


def link_status(*, by: Actor, library: Library) -> list[LinkCheck]:
    """The newest check of each of the library's routes, broken ones first."""
    require_manage(by, library)
    checks = list(
        _latest_checks(AccessRoute.objects.filter(database__library=library)).select_related(
            "route__database"
        )
    )
    checks.sort(
        key=lambda c: (c.status in REACHABLE_STATUSES, c.route.database.name, c.route.rank, c.pk)
    )
    return checks


def route_history(*, by: Actor, route: AccessRoute, limit: int = 30) -> list[LinkCheck]:
    require_manage(by, route.database.library)
    return list(route.checks.order_by("-checked_at", "-id")[:limit])


def last_run(*, library: Library) -> PatrolRun | None:
    return (
        PatrolRun.objects.filter(Q(library=library) | Q(library__isnull=True))
        .exclude(finished_at__isnull=True)
        .order_by("-started_at")
        .first()
    )


# --- the community WAYFless list -----------------------------------------------------


def wayfless_list(*, library: Library) -> wayfless.WayflessList:
    """The library's CARSI routes and notes as the community Markdown list: entries in their
    imported order (then by name), items in their places."""
    databases = (
        Database.objects.filter(library=library)
        .filter(Q(routes__kind=RouteKind.CARSI) | Q(wayfless_notes__isnull=False))
        .distinct()
        .prefetch_related(
            Prefetch(
                "routes",
                queryset=AccessRoute.objects.filter(kind=RouteKind.CARSI).order_by(
                    "position", "id"
                ),
                to_attr="carsi_routes",
            ),
            Prefetch("wayfless_notes", queryset=WayflessNote.objects.order_by("position", "id")),
        )
    )
    ordered = sorted(
        databases,
        key=lambda d: (d.list_position is None, d.list_position or 0, d.name, d.pk),
    )
    entries = []
    for database in ordered:
        items: list[tuple[int, int, str | None, wayfless.Link | wayfless.Note]] = []
        for route in database.carsi_routes:
            items.append((route.position, 0, route.method_label, wayfless.Link(route.url)))
        for note in database.wayfless_notes.all():
            items.append((note.position, 1, note.method_label, wayfless.Note(note.text)))
        items.sort(key=lambda i: (i[0], i[1]))
        methods: list[wayfless.Method] = []
        for _position, _order, label, item in items:
            if methods and methods[-1].label == label:
                methods[-1] = wayfless.Method(label, methods[-1].items + (item,))
            else:
                methods.append(wayfless.Method(label, (item,)))
        entries.append(wayfless.Entry(database.name, tuple(methods)))
    preamble = settings_of(library).wayfless_preamble
    return wayfless.WayflessList(preamble, tuple(entries))


def _filled(wlist: wayfless.WayflessList, idp_host: str) -> wayfless.WayflessList:
    def method(m: wayfless.Method) -> wayfless.Method:
        return wayfless.Method(
            m.label,
            tuple(
                wayfless.Link(wayfless.fill_placeholder(i.url, idp_host))
                if isinstance(i, wayfless.Link)
                else i
                for i in m.items
            ),
        )

    return wayfless.WayflessList(
        wlist.preamble,
        tuple(wayfless.Entry(e.name, tuple(method(m) for m in e.methods)) for e in wlist.entries),
    )


EXPORT_FORMATS = ("md", "json", "csv")


def export_wayfless(
    *, library: Library, fmt: str, entity_id: str | None = None, community: bool = False
) -> str:
    """The list with `entity_id` (else the library's IdP) filled in; with neither, or with
    `community`, the placeholder stays, so the export is the community form again."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(fmt)
    wlist = wayfless_list(library=library)
    entity_id = "" if community else (entity_id or settings_of(library).idp_entity_id or "").strip()
    if entity_id:
        wlist = _filled(wlist, wayfless.idp_host_of(entity_id))
    if fmt == "md":
        return wayfless.write_markdown(wlist)
    if fmt == "json":
        return wayfless.to_json(wlist)
    return wayfless.to_csv(wlist)


# --- topic collections -----------------------------------------------------------------


def collections(*, by: Actor, library: Library) -> list[Collection]:
    found = Collection.objects.filter(library=library).annotate(item_count=Count("items"))
    if not can_see_unpublished(by, library):
        found = found.filter(published=True)
    return list(found.order_by("position", "id"))


@dataclass(frozen=True)
class CollectionEntry:
    item: CollectionItem
    database: DatabaseView | None = None
    offer: OfferView | None = None
    link: str | None = None

    @property
    def hidden(self) -> bool:
        """An offer that ended (or has not begun) is left out for readers."""
        return self.item.route_id is not None and self.offer is None


def collection(
    *, by: Actor, library: Library, slug: str, now: dt.datetime | None = None
) -> tuple[Collection, list[CollectionEntry]]:
    """A topic collection with its items in order; a free offer outside its window is left
    out (for staff it is kept and marked), a database shows its routes open at `now`."""
    now = now or timezone.now()
    found = Collection.objects.filter(library=library, slug=slug).first()
    if found is None or (not found.published and not can_see_unpublished(by, library)):
        raise NotFound(_("No such topic collection."), code="collection_not_found")
    items = list(
        found.items.select_related("database", "route__database").order_by("position", "id")
    )
    database_ids = {i.database_id for i in items if i.database_id}
    settings = settings_of(library)
    views = {
        v.database.pk: v
        for v in _views(
            _with_live_routes(Database.objects.filter(pk__in=database_ids), now), settings
        )
    }
    staff = can_manage(by, library)
    entries = []
    for item in items:
        if item.database_id:
            entries.append(CollectionEntry(item, database=views.get(item.database_id)))
        elif item.route_id:
            route = item.route
            offer = (
                OfferView(route.database, route, link_for(route, route.database, settings))
                if is_live(route, now)
                else None
            )
            entry = CollectionEntry(item, offer=offer)
            if offer is not None or staff:
                entries.append(entry)
        else:
            entries.append(CollectionEntry(item, link=item.link_url))
    return found, entries


# --- KBART titles and the federation ---------------------------------------------------


def _identifier(q: str) -> str:
    """`q` as a valid ISSN or ISBN as KBART titles keep it, else "" (title words: the
    normalizers raise on anything but a valid number)."""
    for normalize in (kbart.normalize_issn, kbart.normalize_isbn):
        try:
            return normalize(q)
        except ValueError:
            continue
    return ""


def find_titles(*, library: Library, q: str, limit: int = 50) -> list[KbartTitle]:
    """Which of the library's databases carry a journal or e-book: by ISSN or ISBN, else by
    title words."""
    q = q.strip()
    if not q:
        return []
    titles = KbartTitle.objects.filter(database__library=library).select_related("database")
    identifier = _identifier(q)
    if identifier:
        titles = titles.filter(Q(print_identifier=identifier) | Q(online_identifier=identifier))
    else:
        key = title_key(q)
        if not key:
            return []
        titles = titles.filter(title_folded__contains=key)
    return list(titles.order_by("title_folded", "database__name")[:limit])


def find_federation_idps(*, q: str, limit: int = 20) -> list[FederationIdp]:
    from libreach.eresources.saml_metadata import fold

    wanted = fold(q)
    if not wanted:
        return []
    found = list(FederationIdp.objects.filter(names_folded__contains=wanted)[: limit * 5])
    found.sort(key=lambda i: (fold(i.name) != wanted and fold(i.name_en) != wanted, len(i.name)))
    return found[:limit]


def federation_has_idps() -> bool:
    return FederationIdp.objects.exists()


def is_federation_entity_id(entity_id: str) -> bool:
    return FederationIdp.objects.filter(entity_id=entity_id.strip()).exists()


# --- figures -----------------------------------------------------------------------------


def stats(*, by: Actor, library: Library, now: dt.datetime | None = None) -> dict:
    """The library's e-resource figures: databases, routes by kind, free offers open now,
    and the link patrol's latest status by class."""
    require_manage(by, library)
    now = now or timezone.now()
    routes = AccessRoute.objects.filter(database__library=library)
    by_kind = dict(routes.values_list("kind").annotate(n=Count("id")).order_by())
    live = routes.filter(live_routes_q(now))
    checks = _latest_checks(routes)
    by_status = dict(checks.values_list("status").annotate(n=Count("id")).order_by())
    run = last_run(library=library)
    return {
        "databases": Database.objects.filter(library=library).count(),
        "works_from_home": Database.objects.filter(
            library=library, pk__in=live.filter(kind__in=FROM_HOME_KINDS).values("database_id")
        ).count(),
        "routes": routes.count(),
        "routes_by_kind": {k: by_kind.get(k, 0) for k in RouteKind.values},
        "free_offers_open": live.filter(kind=RouteKind.FREE_OFFER).count(),
        "free_offers_ending_soon": len(offers_ending_soon(library=library, now=now)),
        "titles": KbartTitle.objects.filter(database__library=library).count(),
        "links_checked": sum(by_status.values()),
        "links_broken": sum(n for s, n in by_status.items() if s not in REACHABLE_STATUSES),
        "links_by_status": {s: by_status.get(s, 0) for s in PatrolStatus.values},
        "last_patrol": run.finished_at if run else None,
    }


# --- the staff desk ----------------------------------------------------------------------


@dataclass(frozen=True)
class DeskDatabase:
    """A database as the desk lists it: every route (offers outside their window too),
    the best first, each with its newest check."""

    database: Database
    routes: list[AccessRoute]
    checks: dict[int, LinkCheck]
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def best(self) -> AccessRoute | None:
        """As readers see it now: an offer not yet open (or ended) is not the best route."""
        live = [r for r in self.routes if is_live(r, self.now)]
        home = [r for r in live if r.kind in FROM_HOME_KINDS]
        return (home or live or [None])[0]

    @property
    def broken(self) -> int:
        return sum(1 for c in self.checks.values() if c.status not in REACHABLE_STATUSES)

    @property
    def reachable(self) -> int:
        return sum(1 for c in self.checks.values() if c.status in REACHABLE_STATUSES)

    @property
    def unchecked(self) -> int:
        return len(self.routes) - len(self.checks)


def desk_databases(
    *,
    by: Actor,
    library: Library,
    database_id: int | None = None,
    now: dt.datetime | None = None,
) -> list[DeskDatabase]:
    """The library's databases (or one) with all their routes and each route's newest
    check: three queries whatever the number of databases."""
    require_manage(by, library)
    now = now or timezone.now()
    databases = Database.objects.filter(library=library)
    if database_id is not None:
        databases = databases.filter(pk=database_id)
    found = list(
        databases.order_by("name", "id").prefetch_related(
            Prefetch("routes", queryset=AccessRoute.objects.order_by("rank", "position", "id"))
        )
    )
    routes = AccessRoute.objects.filter(database__library=library)
    if database_id is not None:
        routes = routes.filter(database_id=database_id)
    checks = latest_status(routes) if found else {}
    return [
        DeskDatabase(
            d,
            list(d.routes.all()),
            {r.pk: checks[r.pk] for r in d.routes.all() if r.pk in checks},
            now,
        )
        for d in found
    ]


def desk_work_counts(
    libraries: list[Library], *, by: Actor, now: dt.datetime | None = None
) -> dict[int, dict[str, int]]:
    """Per library (by id), for the desk home: open free offers that end within the warning
    period (`eres_offers_ending`) and routes whose newest check found them broken
    (`eres_links_broken`). Two queries, whatever the number of libraries."""
    for library in libraries:
        require_manage(by, library)
    now = now or timezone.now()
    ending = dict(
        AccessRoute.objects.filter(database__library__in=libraries, kind=RouteKind.FREE_OFFER)
        .filter(live_routes_q(now))
        .filter(ends__isnull=False, ends__lte=now + dt.timedelta(days=OFFER_WARNING_DAYS))
        .order_by()
        .values("database__library")
        .annotate(n=Count("id"))
        .values_list("database__library", "n")
    )
    broken = dict(
        _latest_checks(AccessRoute.objects.filter(database__library__in=libraries))
        .exclude(status__in=REACHABLE_STATUSES)
        .order_by()
        .values("route__database__library")
        .annotate(n=Count("id"))
        .values_list("route__database__library", "n")
    )
    return {
        lib.pk: {
            "eres_offers_ending": ending.get(lib.pk, 0),
            "eres_links_broken": broken.get(lib.pk, 0),
        }
        for lib in libraries
    }
