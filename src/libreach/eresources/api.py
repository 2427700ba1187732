"""E-resources routes (API.md, "E-resources"): the reader guide's databases with their
routes best first, a database added by staff, the link patrol's latest status, figures."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from libreach.accounts.policies import require_consortium_admin
from libreach.consortium.models import Library
from libreach.consortium.selectors import library_by_code
from libreach.core import lengths
from libreach.core.schemas import READ_ERRORS, WRITE_ERRORS, Moment
from libreach.eresources import selectors, services
from libreach.eresources.models import API_STATUS, DatabaseType, PatrolStatus, RouteKind

router = Router(tags=["e-resources"])

D = "eresources.Database"
R = "eresources.AccessRoute"

# The models' choices, so the OpenAPI document lists them as enums.
RouteKindName = Literal[tuple(RouteKind.values)]
DatabaseKindName = Literal[tuple(DatabaseType.values)]


class EresRouteIn(Schema):
    kind: RouteKindName
    url: str = lengths.schema_field(
        R, "url", "", description="For CARSI the WAYFless link, {IDP地址} for the IdP host."
    )
    rank: int | None = Field(None, ge=1, le=999, description="Lower shows first.")
    starts: Moment | None = Field(None, description="A free offer's start.")
    ends: Moment | None = Field(None, description="A free offer's end (required for one).")
    instructions: str = lengths.schema_field(R, "instructions", "")
    scope: str = lengths.schema_field(R, "scope", "")


class EresDatabaseIn(Schema):
    name: str = lengths.schema_field(D, "name", min_length=1)
    name_en: str = lengths.schema_field(D, "name_en", "")
    vendor: str = lengths.schema_field(D, "vendor", "")
    kind: DatabaseKindName = "full_text"
    subjects: str = lengths.schema_field(D, "subjects", "")
    description: str = lengths.schema_field(D, "description", "")
    platform_url: str = lengths.schema_field(D, "platform_url", "")
    routes: list[EresRouteIn] = Field(default_factory=list, max_length=50)


class EresRouteRefOut(Schema):
    id: int
    url: str


class EresCreatedOut(Schema):
    id: int
    routes: list[EresRouteRefOut]


@router.post(
    "/libraries/{lib}/databases",
    response={201: EresCreatedOut, **WRITE_ERRORS},
    summary="Add a database with its access routes",
)
def create_database(request, lib: str, payload: EresDatabaseIn):
    library = library_by_code(lib)
    values = payload.dict()
    routes = values.pop("routes")
    database = services.create_database(by=request.auth, library=library, routes=routes, **values)
    created = database.routes.order_by("position", "id")
    return Status(201, {"id": database.pk, "routes": [{"id": r.pk, "url": r.url} for r in created]})


class EresRouteOut(Schema):
    id: int
    kind: str
    url: str | None = Field(
        description="The one-tap link; null when the library's settings lack what it needs."
    )
    rank: int
    starts: dt.datetime | None
    ends: dt.datetime | None
    instructions: str
    scope: str


class EresDatabaseOut(Schema):
    id: int
    name: str
    name_en: str
    vendor: str
    kind: str
    subjects: list[str]
    description: str
    platform_url: str
    works_from_home: bool
    best: EresRouteOut | None = Field(description="The most convenient route from home.")
    routes: list[EresRouteOut] = Field(description="The best first, then by rank.")


class EresGuideParams(Schema):
    q: str = Field("", max_length=200, description="Words in the name, vendor, subjects.")
    works_from_home: bool = Field(False, description="Only databases reachable from home now.")
    kind: DatabaseKindName | None = None
    subject: str = Field("", max_length=100)


def _route_out(view: selectors.RouteView) -> dict:
    route = view.route
    return {
        "id": route.pk,
        "kind": route.kind,
        "url": view.link,
        "rank": route.rank,
        "starts": route.starts,
        "ends": route.ends,
        "instructions": route.instructions,
        "scope": route.scope,
    }


def _database_out(view: selectors.DatabaseView) -> dict:
    database = view.database
    best = view.best
    others = [r for r in view.routes if r is not best]
    return {
        "id": database.pk,
        "name": database.name,
        "name_en": database.name_en,
        "vendor": database.vendor,
        "kind": database.kind,
        "subjects": database.subject_list,
        "description": database.description,
        "platform_url": database.platform_url,
        "works_from_home": view.works_from_home,
        "best": _route_out(best) if best else None,
        "routes": [_route_out(r) for r in ([best] if best else []) + others],
    }


@router.get(
    "/libraries/{lib}/databases",
    response={200: list[EresDatabaseOut], **READ_ERRORS},
    auth=None,
    summary="The reader guide: databases with their routes open now, the best first",
)
def guide(request, lib: str, params: Query[EresGuideParams]):
    views = selectors.guide(
        library=library_by_code(lib),
        q=params.q,
        works_from_home=params.works_from_home,
        kind=params.kind or "",
        subject=params.subject,
    )
    return [_database_out(v) for v in views]


class EresLinkStatusOut(Schema):
    route: int
    database: str
    kind: str
    url: str
    status: Literal[tuple(s for s in PatrolStatus.values if s not in API_STATUS)] = Field(
        description="One of API.md's ten classes."
    )
    finding: str = Field(
        description="The patrol's own class: the status, or a finer one (client_error, "
        "connection_failure, invalid_url) reported as the nearest of the ten."
    )
    http_status: int | None = None
    checked_at: dt.datetime


@router.get(
    "/libraries/{lib}/link-status",
    response={200: list[EresLinkStatusOut], **READ_ERRORS},
    exclude_none=True,
    summary="The link patrol's latest check of each route, broken ones first",
)
def link_status(request, lib: str):
    checks = selectors.link_status(by=request.auth, library=library_by_code(lib))
    return [
        {
            "route": c.route_id,
            "database": c.route.database.name,
            "kind": c.route.kind,
            "url": c.url,
            "status": API_STATUS.get(c.status, c.status),
            "finding": c.status,
            "http_status": c.http_status,
            "checked_at": c.checked_at,
        }
        for c in checks
    ]


def _figures(figures: dict) -> dict:
    last = figures.get("last_patrol")
    return {**figures, "last_patrol": last.isoformat() if last else None}


@router.get(
    "/libraries/{lib}/stats/eresources",
    response={200: dict, **READ_ERRORS},
    summary="E-resource figures of a library: databases, routes, offers, link status",
)
def library_stats(request, lib: str):
    return _figures(selectors.stats(by=request.auth, library=library_by_code(lib)))


def _add(total: dict, figures: dict) -> None:
    for key, value in figures.items():
        if isinstance(value, bool):
            continue
        if isinstance(value, int):
            total[key] = total.get(key, 0) + value
        elif isinstance(value, dict):
            _add(total.setdefault(key, {}), value)


@router.get(
    "/stats/eresources",
    response={200: dict, **READ_ERRORS},
    summary="E-resource figures across the consortium, with each member's",
)
def consortium_stats(request):
    require_consortium_admin(request.auth)
    total: dict = {}
    members = []
    last = None
    for library in Library.objects.order_by("code"):
        figures = selectors.stats(by=request.auth, library=library)
        _add(total, figures)
        if figures["last_patrol"] and (last is None or figures["last_patrol"] > last):
            last = figures["last_patrol"]
        members.append(
            {
                "library": library.code,
                "name": library.name,
                "name_en": library.name_en,
                **_figures(figures),
            }
        )
    return {
        "members": len(members),
        **_figures({**total, "last_patrol": last}),
        "by_member": members,
    }
