"""E-resources: every write, each one transaction.

Databases and their access routes, the library's link settings, free offers and the
warning before they end, the community WAYFless list, KBART title lists, the federation's
IdPs, topic collections, and the link patrol's record. The patrol's network checks run
outside any transaction (they take minutes); what they found is written in one.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from libreach.accounts.models import StaffRole
from libreach.accounts.policies import Actor
from libreach.catalog.models import JournalHolding
from libreach.catalog.titles import title_key
from libreach.consortium.models import Library
from libreach.core.errors import BadRequest, Conflict, NotFound, RuleViolation
from libreach.core.lengths import require_fits
from libreach.core.notify import queue_notice
from libreach.eresources import kbart, patrol, saml_metadata, wayfless
from libreach.eresources.models import (
    DEFAULT_RANK,
    REACHABLE_STATUSES,
    AccessRoute,
    Collection,
    CollectionItem,
    Database,
    DatabaseType,
    FederationIdp,
    KbartTitle,
    LinkCheck,
    LinkSettings,
    PatrolRun,
    RouteKind,
    WayflessNote,
)
from libreach.eresources.policies import require_federation_admin, require_manage
from libreach.eresources.selectors import (
    OFFER_WARNING_DAYS,
    federation_has_idps,
    is_federation_entity_id,
    offers_to_warn,
    routes_to_check,
)

# --- databases and routes ------------------------------------------------------------------

_DATABASE_FIELDS = ("name", "name_en", "vendor", "subjects", "description", "platform_url")
_ROUTE_TEXT = ("url", "instructions", "scope")


def _check_url(value: str, field_name: str, *, template: bool = False) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    probe = wayfless.fill_placeholder(value, "idp.example.org") if template else value
    if not probe.lower().startswith(("https://", "http://")) or " " in probe:
        raise BadRequest(
            _("%(field)s must be an http:// or https:// address."),
            code="invalid_url",
            field=field_name,
        )
    return value


def _database_fields(values: dict[str, Any]) -> dict[str, Any]:
    cleaned = {}
    for name in _DATABASE_FIELDS:
        if name in values and values[name] is not None:
            value = str(values[name]).strip()
            require_fits(Database, name, value)
            cleaned[name] = value
    if "name" in cleaned and not cleaned["name"]:
        raise BadRequest(_("A database needs a name."), code="name_required")
    if "platform_url" in cleaned:
        cleaned["platform_url"] = _check_url(cleaned["platform_url"], "platform_url")
    if values.get("kind"):
        if values["kind"] not in DatabaseType.values:
            raise BadRequest(_("Unknown database type."), code="invalid_kind")
        cleaned["kind"] = values["kind"]
    return cleaned


def _route_fields(values: dict[str, Any], *, kind: str) -> dict[str, Any]:
    if kind not in RouteKind.values:
        raise BadRequest(_("Unknown kind of access route."), code="invalid_kind")
    cleaned: dict[str, Any] = {"kind": kind}
    for name in _ROUTE_TEXT:
        if name in values and values[name] is not None:
            value = str(values[name]).strip()
            require_fits(AccessRoute, name, value)
            cleaned[name] = value
    if "url" in cleaned:
        cleaned["url"] = _check_url(cleaned["url"], "url", template=kind == RouteKind.CARSI)
    rank = values.get("rank")
    if rank is not None:
        if not isinstance(rank, int) or not 1 <= rank <= 999:
            raise BadRequest(_("A rank is a whole number from 1 to 999."), code="invalid_rank")
        cleaned["rank"] = rank
    for name in ("starts", "ends"):
        if name in values:
            value = values[name]
            if value is not None and timezone.is_naive(value):
                value = timezone.make_aware(value)
            cleaned[name] = value
    starts, ends = cleaned.get("starts"), cleaned.get("ends")
    if kind == RouteKind.FREE_OFFER:
        if "ends" in values and ends is None:
            raise BadRequest(_("A free offer needs its end time."), code="offer_end_required")
    elif starts is not None or ends is not None:
        raise BadRequest(
            _("Only a free offer has a start and an end."), code="dates_only_for_offers"
        )
    if starts is not None and ends is not None and ends <= starts:
        raise BadRequest(_("The offer must end after it starts."), code="ends_before_start")
    return cleaned


@dataclass(frozen=True)
class RouteInput:
    kind: str
    url: str = ""
    rank: int | None = None
    instructions: str = ""
    starts: dt.datetime | None = None
    ends: dt.datetime | None = None
    scope: str = ""


def _create_route(database: Database, data: RouteInput | dict, position: int) -> AccessRoute:
    values = data if isinstance(data, dict) else data.__dict__
    kind = values.get("kind", "")
    cleaned = _route_fields({**values, "ends": values.get("ends")}, kind=kind)
    if kind != RouteKind.FREE_OFFER:
        cleaned.pop("ends", None)
    cleaned.setdefault("rank", DEFAULT_RANK[kind])
    return AccessRoute.objects.create(database=database, position=position, **cleaned)


@transaction.atomic
def create_database(
    *,
    by: Actor,
    library: Library,
    name: str,
    name_en: str = "",
    vendor: str = "",
    kind: str = DatabaseType.FULL_TEXT,
    subjects: str = "",
    description: str = "",
    platform_url: str = "",
    routes: Iterable[RouteInput | dict] = (),
) -> Database:
    """A database with its routes; 409 `duplicate_name` when the library has one so named."""
    require_manage(by, library)
    fields = _database_fields(
        {
            "name": name,
            "name_en": name_en,
            "vendor": vendor,
            "kind": kind,
            "subjects": subjects,
            "description": description,
            "platform_url": platform_url,
        }
    )
    if Database.objects.filter(library=library, name=fields["name"]).exists():
        raise Conflict(
            _("The library already lists a database called %(name)s."),
            code="duplicate_name",
            name=fields["name"],
        )
    try:
        with transaction.atomic():
            database = Database.objects.create(library=library, **fields)
    except IntegrityError:  # the same name saved at the same moment
        raise Conflict(
            _("The library already lists a database called %(name)s."),
            code="duplicate_name",
            name=fields["name"],
        ) from None
    for position, route in enumerate(routes):
        _create_route(database, route, position)
    return database


def _lock_database(database_id: int, library: Library | None = None) -> Database:
    found = Database.objects.select_for_update().filter(pk=database_id)
    if library is not None:
        found = found.filter(library=library)
    database = found.select_related("library").first()
    if database is None:
        raise NotFound(_("No such database."), code="database_not_found")
    return database


@transaction.atomic
def update_database(*, by: Actor, database_id: int, **values: Any) -> Database:
    database = _lock_database(database_id)
    require_manage(by, database.library)
    fields = _database_fields(values)
    if (
        "name" in fields
        and Database.objects.filter(library=database.library, name=fields["name"])
        .exclude(pk=database.pk)
        .exists()
    ):
        raise Conflict(
            _("The library already lists a database called %(name)s."),
            code="duplicate_name",
            name=fields["name"],
        )
    for name, value in fields.items():
        setattr(database, name, value)
    database.save()
    return database


@transaction.atomic
def delete_database(*, by: Actor, database_id: int) -> None:
    database = _lock_database(database_id)
    require_manage(by, database.library)
    database.delete()


@transaction.atomic
def add_route(*, by: Actor, database_id: int, **values: Any) -> AccessRoute:
    database = _lock_database(database_id)
    require_manage(by, database.library)
    position = (database.routes.aggregate(n=Max("position"))["n"] or 0) + 1
    return _create_route(database, values, position)


def _lock_route(route_id: int) -> AccessRoute:
    route = (
        AccessRoute.objects.select_for_update()
        .filter(pk=route_id)
        .select_related("database__library")
        .first()
    )
    if route is None:
        raise NotFound(_("No such access route."), code="route_not_found")
    return route


@transaction.atomic
def update_route(*, by: Actor, route_id: int, **values: Any) -> AccessRoute:
    route = _lock_route(route_id)
    require_manage(by, route.database.library)
    kind = values.get("kind") or route.kind
    merged = {"starts": route.starts, "ends": route.ends, **values}
    if kind != RouteKind.FREE_OFFER:
        merged.pop("starts"), merged.pop("ends")
        if values.get("starts") or values.get("ends"):
            merged.update(starts=values.get("starts"), ends=values.get("ends"))
    cleaned = _route_fields(merged, kind=kind)
    if kind != RouteKind.FREE_OFFER:
        cleaned["starts"] = cleaned["ends"] = None
    if cleaned.get("ends") != route.ends:
        route.end_warned_at = None  # a new end is warned of afresh
    for name, value in cleaned.items():
        setattr(route, name, value)
    route.save()
    return route


@transaction.atomic
def delete_route(*, by: Actor, route_id: int) -> None:
    route = _lock_route(route_id)
    require_manage(by, route.database.library)
    route.delete()


# --- link settings ---------------------------------------------------------------------

_SETTINGS_TEXT = (
    "idp_entity_id",
    "idp_name",
    "ezproxy_base",
    "openathens_domain",
    "webvpn_base",
    "webvpn_key",
)


@transaction.atomic
def save_link_settings(*, by: Actor, library: Library, **values: Any) -> LinkSettings:
    """The library's IdP and proxies. An entityID must be an http(s) address and, once the
    federation's metadata is imported, one of its IdPs (422 `unknown_entity_id`)."""
    require_manage(by, library)
    settings, _created = LinkSettings.objects.select_for_update().get_or_create(library=library)
    old_entity_id = settings.idp_entity_id
    for name in _SETTINGS_TEXT:
        if name in values and values[name] is not None:
            value = str(values[name]).strip()
            require_fits(LinkSettings, name, value)
            setattr(settings, name, value)
    if "webvpn_encrypted" in values:
        settings.webvpn_encrypted = bool(values["webvpn_encrypted"])
    if settings.idp_entity_id:
        try:
            wayfless.idp_host_of(settings.idp_entity_id)
        except ValueError:
            raise BadRequest(
                _(
                    "An entityID is an https:// address, like https://idp.example.edu.cn/idp/shibboleth."
                ),
                code="invalid_entity_id",
            ) from None
        if federation_has_idps() and not is_federation_entity_id(settings.idp_entity_id):
            raise RuleViolation(
                _("%(entity_id)s is not an identity provider of the federation."),
                code="unknown_entity_id",
                entity_id=settings.idp_entity_id,
            )
        if settings.idp_entity_id != old_entity_id and not values.get("idp_name"):
            settings.idp_name = ""  # the old IdP's name is not the new one's
        if not settings.idp_name:
            idp = FederationIdp.objects.filter(entity_id=settings.idp_entity_id).first()
            if idp is not None:
                settings.idp_name = idp.name or idp.name_en
    if settings.webvpn_key and len(settings.webvpn_key.encode()) not in (16, 24, 32):
        raise BadRequest(
            _("A WebVPN key is 16, 24 or 32 characters long."), code="invalid_webvpn_key"
        )
    for name in ("ezproxy_base", "webvpn_base"):
        value = getattr(settings, name)
        if value and "://" in value:
            _check_url(value, name)
    settings.save()
    return settings


# --- free offers -------------------------------------------------------------------------


def _staff_to_tell(library: Library) -> list:
    """The library's administrators and reference staff with an e-mail address."""
    User = get_user_model()
    return list(
        User.objects.filter(
            staff_roles__library=library,
            staff_roles__role__in=(StaffRole.ADMIN, StaffRole.REFERENCE),
            is_active=True,
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


@transaction.atomic
def warn_ending_offers(*, now: dt.datetime | None = None) -> int:
    """Tell each library's staff once about its free offers that end within seven days (a
    periodic job; a second run the same day tells no one again). Returns offers warned of."""
    now = now or timezone.now()
    routes = list(offers_to_warn(now=now).select_for_update(of=("self",)))
    by_library: dict[int, list[AccessRoute]] = {}
    for route in routes:
        by_library.setdefault(route.database.library_id, []).append(route)
    for offers in by_library.values():
        library = offers[0].database.library
        context = {
            "library": library.name,
            "days": OFFER_WARNING_DAYS,
            "offers": [
                {
                    "database": r.database.name,
                    "ends": r.ends.isoformat(),  # worded in the reader's language
                }
                for r in offers
            ],
        }
        for user in _staff_to_tell(library):
            queue_notice(user=user, template="eresources_offers_ending", context=context)
    AccessRoute.objects.filter(pk__in=[r.pk for r in routes]).update(end_warned_at=now)
    return len(routes)


# --- the community WAYFless list ----------------------------------------------------------


@dataclass
class WayflessImport:
    databases_created: int = 0
    databases_updated: int = 0
    links: int = 0
    notes: int = 0
    names: list[str] = field(default_factory=list)


@transaction.atomic
def import_wayfless(*, by: Actor, library: Library, text: str) -> WayflessImport:
    """Read a community WAYFless list into the library's databases: each `## name` is a
    database (made if missing), its URL lines CARSI routes, its notes kept in their places.
    Importing again replaces each named database's CARSI routes and notes, so the list can
    be re-read whenever the community updates it."""
    require_manage(by, library)
    wlist = wayfless.parse_markdown(text)
    if not wlist.entries:
        raise BadRequest(
            _("No entries found: a WAYFless list has “## name” headings."), code="empty_list"
        )
    result = WayflessImport()
    settings, _created = LinkSettings.objects.select_for_update().get_or_create(library=library)
    settings.wayfless_preamble = wlist.preamble
    settings.save(update_fields=["wayfless_preamble"])
    existing = {d.name: d for d in Database.objects.select_for_update().filter(library=library)}
    seen: set[str] = set()
    for list_position, entry in enumerate(wlist.entries):
        name = entry.name.strip()
        require_fits(Database, "name", name)
        if name in seen:
            raise BadRequest(
                _("%(name)s appears twice in the list."), code="duplicate_entry", name=name
            )
        seen.add(name)
        database = existing.get(name)
        if database is None:
            database = Database.objects.create(
                library=library, name=name, kind=DatabaseType.FULL_TEXT
            )
            result.databases_created += 1
        else:
            database.routes.filter(kind=RouteKind.CARSI).delete()
            database.wayfless_notes.all().delete()
            result.databases_updated += 1
        database.list_position = list_position
        database.save(update_fields=["list_position"])
        position = 0
        for method in entry.methods:
            for item in method.items:
                if isinstance(item, wayfless.Link):
                    require_fits(AccessRoute, "url", item.url)
                    AccessRoute.objects.create(
                        database=database,
                        kind=RouteKind.CARSI,
                        url=item.url,
                        rank=DEFAULT_RANK[RouteKind.CARSI],
                        method_label=method.label,
                        position=position,
                    )
                    result.links += 1
                else:
                    WayflessNote.objects.create(
                        database=database,
                        method_label=method.label,
                        position=position,
                        text=item.text,
                    )
                    result.notes += 1
                position += 1
        result.names.append(name)
    return result


# --- KBART title lists ---------------------------------------------------------------


@dataclass
class KbartImport:
    titles: int = 0
    journal_holdings: int = 0
    errors: list[kbart.KbartError] = field(default_factory=list)


def _year(value: kbart.KbartDate | None) -> int | None:
    return value.year if value is not None else None


@transaction.atomic
def import_kbart(*, by: Actor, database_id: int, source: str | bytes) -> KbartImport:
    """Replace the database's title list with a KBART file's. Its journals also become the
    library's journal holdings (source `kbart:<database>`), so document delivery finds the
    articles the library can supply from its licences. Rows with errors are skipped and
    reported by line; a file with no valid row changes nothing (400 `no_titles`)."""
    database = _lock_database(database_id)
    require_manage(by, database.library)
    try:
        parsed = kbart.parse_kbart(source)
    except kbart.KbartFormatError as exc:
        raise BadRequest(
            _("Not a KBART file: %(reason)s"), code="not_kbart", reason=str(exc)
        ) from None
    if not parsed.entries:
        raise BadRequest(_("The file has no valid title rows."), code="no_titles")
    database.titles.all().delete()
    source_tag = f"kbart:{database.pk}"
    JournalHolding.objects.filter(library=database.library, source=source_tag).delete()
    titles = []
    holdings = []
    for entry in parsed.entries:
        first, last = _year(entry.date_first_issue_online), _year(entry.date_last_issue_online)
        titles.append(
            KbartTitle(
                database=database,
                publication_title=entry.publication_title[:500],
                title_folded=title_key(entry.publication_title)[:500],
                publication_type=entry.publication_type,
                print_identifier=entry.print_identifier,
                online_identifier=entry.online_identifier,
                first_year=first,
                last_year=last,
                embargo=",".join(f"{e.kind}{e.amount}{e.unit}" for e in entry.embargo)[:20],
                coverage_depth=entry.coverage_depth[:40],
                title_url=entry.title_url[:2000],
                title_id=entry.title_id[:200],
                publisher_name=entry.publisher_name[:300],
                access_type=entry.access_type[:1],
            )
        )
        if entry.publication_type == "serial" and (
            entry.print_identifier or entry.online_identifier
        ):
            holdings.append(
                JournalHolding(
                    library=database.library,
                    issn=entry.print_identifier[:9],
                    eissn=entry.online_identifier[:9],
                    title=entry.publication_title[:500],
                    title_key=title_key(entry.publication_title)[:500],
                    first_year=first,
                    last_year=last if (first is None or last is None or last >= first) else first,
                    note=str(_("Licensed: %(database)s") % {"database": database.name})[:500],
                    source=source_tag,
                )
            )
    KbartTitle.objects.bulk_create(titles, batch_size=500)
    JournalHolding.objects.bulk_create(holdings, batch_size=500)
    return KbartImport(
        titles=len(titles), journal_holdings=len(holdings), errors=list(parsed.errors)
    )


# --- the federation's identity providers -----------------------------------------------


@transaction.atomic
def import_federation_metadata(*, by: Actor, source: Any, at: dt.datetime | None = None) -> int:
    """Replace the federation's IdP list with the IdPs of a SAML metadata aggregate."""
    require_federation_admin(by)
    at = at or timezone.now()
    try:
        idps = saml_metadata.read_idps(source)
    except saml_metadata.MetadataError as exc:
        raise BadRequest(
            _("Not SAML metadata: %(reason)s"), code="not_metadata", reason=str(exc)
        ) from None
    if not idps:
        raise BadRequest(_("The metadata lists no identity provider."), code="no_idps")
    FederationIdp.objects.all().delete()
    rows = []
    for idp in idps:
        names = dict(idp.names)
        zh = next((t for lang, t in idp.names if lang.lower().startswith("zh")), "")
        en = names.get("en", "")
        rows.append(
            FederationIdp(
                entity_id=idp.entity_id[:500],
                name=(zh or en or (idp.names[0][1] if idp.names else ""))[:300],
                name_en=en[:300],
                names_folded=" ".join(saml_metadata.fold(t) for _l, t in idp.names)[:1000],
                scopes=" ".join(idp.scopes)[:500],
                imported_at=at,
            )
        )
    FederationIdp.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    return len(rows)


# --- the link patrol -------------------------------------------------------------------


@dataclass
class PatrolOutcome:
    run: PatrolRun
    checked: int
    broken: int
    newly_broken: list[LinkCheck]


def check_options() -> dict[str, Any]:
    """The patrol's limits, from settings (LIBREACH_PATROL_*) so a site can be gentler."""
    from django.conf import settings

    return dict(getattr(settings, "LIBREACH_PATROL", {}))


def run_patrol(
    *,
    library: Library | None = None,
    now: dt.datetime | None = None,
    progress: Callable[[patrol.Result, int, int], None] | None = None,
    **options: Any,
) -> PatrolOutcome:
    """Check every route's link now and record it (the daily job; `libreach patrol`)."""
    started = now or timezone.now()
    targets = routes_to_check(library=library, now=started)
    urls = sorted({t.url for t in targets})
    results = asyncio.run(
        patrol.check_links(urls, progress=progress, **{**check_options(), **options})
    )
    by_url = {r.url: r for r in results}
    return record_patrol(
        library=library,
        started=started,
        finished=now or timezone.now(),
        checked=[(t.route, by_url[t.url]) for t in targets],
    )


def _is_broken(status: str) -> bool:
    return status not in REACHABLE_STATUSES


@transaction.atomic
def record_patrol(
    *,
    library: Library | None,
    started: dt.datetime,
    finished: dt.datetime,
    checked: list[tuple[AccessRoute, patrol.Result]],
) -> PatrolOutcome:
    """Keep each route's check; a route broken now that was reachable (or never checked)
    before is newly broken, and goes in the digest to its library's staff."""
    from libreach.eresources.selectors import latest_status

    route_ids = [route.pk for route, _result in checked]
    before = latest_status(AccessRoute.objects.filter(pk__in=route_ids))
    run = PatrolRun.objects.create(library=library, started_at=started)
    checks = []
    for route, result in checked:
        checks.append(
            LinkCheck(
                route=route,
                run=run,
                url=result.url[:2000],
                status=str(result.status),
                http_status=result.http_status,
                final_url=(result.final_url or "")[:2000],
                detail=(result.detail or "")[:300],
                elapsed_ms=int(result.elapsed * 1000),
                checked_at=finished,
            )
        )
    LinkCheck.objects.bulk_create(checks, batch_size=500)
    newly = [
        c
        for c in checks
        if _is_broken(c.status)
        and (c.route_id not in before or not _is_broken(before[c.route_id].status))
    ]
    run.finished_at = finished
    run.checked = len(checks)
    run.broken = sum(1 for c in checks if _is_broken(c.status))
    run.newly_broken = len(newly)
    run.save()
    by_library: dict[int, list[LinkCheck]] = {}
    for check in newly:
        by_library.setdefault(check.route.database.library_id, []).append(check)
    for checks_of_library in by_library.values():
        lib = checks_of_library[0].route.database.library
        context = {
            "library": lib.name,
            "checked_at": finished.isoformat(),
            "links": [
                {
                    "database": c.route.database.name,
                    "kind": c.route.kind,
                    "url": c.url,
                    "status": c.status,
                    "http_status": c.http_status,
                }
                for c in checks_of_library
            ],
        }
        for user in _staff_to_tell(lib):
            queue_notice(user=user, template="eresources_patrol_digest", context=context)
    return PatrolOutcome(run, run.checked, run.broken, newly)


def daily_patrol() -> int:
    """The periodic job: every library's links."""
    return run_patrol(library=None).checked


# --- topic collections ---------------------------------------------------------------------


def _collection_fields(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in ("title", "title_en", "intro"):
        if name in values and values[name] is not None:
            value = str(values[name]).strip()
            require_fits(Collection, name, value)
            cleaned[name] = value
    if "title" in cleaned and not cleaned["title"]:
        raise BadRequest(_("A topic collection needs a title."), code="title_required")
    if values.get("slug") is not None:
        slug = slugify(str(values["slug"]).strip())
        if not slug:
            raise BadRequest(
                _("The address may use letters, digits and hyphens."), code="invalid_slug"
            )
        require_fits(Collection, "slug", slug)
        cleaned["slug"] = slug
    if "published" in values and values["published"] is not None:
        cleaned["published"] = bool(values["published"])
    return cleaned


@transaction.atomic
def create_collection(
    *,
    by: Actor,
    library: Library,
    title: str,
    slug: str = "",
    title_en: str = "",
    intro: str = "",
    published: bool = False,
) -> Collection:
    require_manage(by, library)
    fields = _collection_fields(
        {
            "title": title,
            "title_en": title_en,
            "intro": intro,
            # Neither given: the `topic-N` address below (a Chinese title has no slug).
            "slug": slug or title_en or None,
            "published": published,
        }
    )
    if "slug" not in fields:
        fields["slug"] = f"topic-{(Collection.objects.filter(library=library).count() + 1)}"
    if Collection.objects.filter(library=library, slug=fields["slug"]).exists():
        raise Conflict(
            _("Another topic collection has the address %(slug)s."),
            code="duplicate_slug",
            slug=fields["slug"],
        )
    position = (
        Collection.objects.filter(library=library).aggregate(n=Max("position"))["n"] or 0
    ) + 1
    return Collection.objects.create(library=library, position=position, **fields)


def _lock_collection(collection_id: int) -> Collection:
    found = (
        Collection.objects.select_for_update()
        .filter(pk=collection_id)
        .select_related("library")
        .first()
    )
    if found is None:
        raise NotFound(_("No such topic collection."), code="collection_not_found")
    return found


@transaction.atomic
def update_collection(*, by: Actor, collection_id: int, **values: Any) -> Collection:
    found = _lock_collection(collection_id)
    require_manage(by, found.library)
    fields = _collection_fields(values)
    if (
        "slug" in fields
        and Collection.objects.filter(library=found.library, slug=fields["slug"])
        .exclude(pk=found.pk)
        .exists()
    ):
        raise Conflict(
            _("Another topic collection has the address %(slug)s."),
            code="duplicate_slug",
            slug=fields["slug"],
        )
    for name, value in fields.items():
        setattr(found, name, value)
    found.save()
    return found


@transaction.atomic
def delete_collection(*, by: Actor, collection_id: int) -> None:
    found = _lock_collection(collection_id)
    require_manage(by, found.library)
    found.delete()


@transaction.atomic
def add_collection_item(
    *,
    by: Actor,
    collection_id: int,
    database_id: int | None = None,
    route_id: int | None = None,
    link_title: str = "",
    link_url: str = "",
    note: str = "",
) -> CollectionItem:
    """A database, a route (a free offer) or a link of the same library, at the end."""
    found = _lock_collection(collection_id)
    require_manage(by, found.library)
    link_url = _check_url(link_url, "link_url")
    targets = sum(1 for t in (database_id, route_id, link_url) if t)
    if targets != 1:
        raise BadRequest(_("Add one database, one access route or one link."), code="one_target")
    database = route = None
    if database_id:
        database = Database.objects.filter(pk=database_id, library=found.library).first()
        if database is None:
            raise NotFound(_("No such database."), code="database_not_found")
    if route_id:
        route = AccessRoute.objects.filter(pk=route_id, database__library=found.library).first()
        if route is None:
            raise NotFound(_("No such access route."), code="route_not_found")
    if link_url and not link_title.strip():
        raise BadRequest(_("A link needs a title."), code="link_title_required")
    for name, value in (("link_title", link_title), ("link_url", link_url), ("note", note)):
        require_fits(CollectionItem, name, value.strip())
    position = (found.items.aggregate(n=Max("position"))["n"] or 0) + 1
    return CollectionItem.objects.create(
        collection=found,
        position=position,
        database=database,
        route=route,
        link_title=link_title.strip(),
        link_url=link_url,
        note=note.strip(),
    )


def _lock_item(item_id: int) -> CollectionItem:
    item = (
        CollectionItem.objects.select_for_update()
        .filter(pk=item_id)
        .select_related("collection__library")
        .first()
    )
    if item is None:
        raise NotFound(_("No such item."), code="item_not_found")
    return item


@transaction.atomic
def update_collection_item(*, by: Actor, item_id: int, note: str) -> CollectionItem:
    item = _lock_item(item_id)
    require_manage(by, item.collection.library)
    require_fits(CollectionItem, "note", note.strip())
    item.note = note.strip()
    item.save(update_fields=["note"])
    return item


@transaction.atomic
def remove_collection_item(*, by: Actor, item_id: int) -> None:
    item = _lock_item(item_id)
    require_manage(by, item.collection.library)
    item.delete()


@transaction.atomic
def move_collection_item(*, by: Actor, item_id: int, step: int) -> CollectionItem:
    """Move an item up (step -1) or down (+1) one place; the order is renumbered 1..n."""
    item = _lock_item(item_id)
    require_manage(by, item.collection.library)
    items = list(item.collection.items.select_for_update().order_by("position", "id"))
    index = next(i for i, it in enumerate(items) if it.pk == item.pk)
    target = max(0, min(len(items) - 1, index + (1 if step > 0 else -1)))
    items.insert(target, items.pop(index))
    for position, it in enumerate(items, start=1):
        if it.position != position:
            it.position = position
            it.save(update_fields=["position"])
    return next(it for it in items if it.pk == item.pk)


@transaction.atomic
def move_collection(*, by: Actor, collection_id: int, step: int) -> Collection:
    found = _lock_collection(collection_id)
    require_manage(by, found.library)
    siblings = list(
        Collection.objects.select_for_update()
        .filter(library=found.library)
        .order_by("position", "id")
    )
    index = next(i for i, c in enumerate(siblings) if c.pk == found.pk)
    target = max(0, min(len(siblings) - 1, index + (1 if step > 0 else -1)))
    siblings.insert(target, siblings.pop(index))
    for position, c in enumerate(siblings, start=1):
        if c.position != position:
            c.position = position
            c.save(update_fields=["position"])
    return next(c for c in siblings if c.pk == found.pk)
