"""Reader pages of e-resources: the guide to a library's databases (search, filters, the
best route first as one tap), a database's page with every route and its steps, the free
offers open now, topic collections, and which database carries a journal or e-book.

Every page is public: libraries publish their guide for anyone off campus. Views only
translate: parse the query, call `selectors`, render. What shows is decided by the clock
at the request (`timezone.now()`), so a free offer leaves these pages at its end time
with no job running.
"""

from __future__ import annotations

import re

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from libreach.accounts.selectors import reader_profile
from libreach.consortium.models import Library
from libreach.core import inplace
from libreach.core.errors import NotFound
from libreach.eresources import selectors
from libreach.eresources.models import DatabaseType, RouteKind
from libreach.eresources.policies import can_see_unpublished

# What a reader is told when a route has no address to tap (`link` is None): the
# library's settings lack what the link is built from.
MISSING_LINK = {
    RouteKind.CARSI: gettext_lazy(
        "This sign-in needs the library's CARSI settings, which are not ready yet: ask the library."
    ),
    RouteKind.EZPROXY: gettext_lazy(
        "The library's proxy address is not set up yet: ask the library."
    ),
    RouteKind.OPENATHENS: gettext_lazy(
        "The library's OpenAthens sign-in is not set up yet: ask the library."
    ),
    RouteKind.WEBVPN: gettext_lazy(
        "The library's WebVPN address is not set up yet: ask the library."
    ),
}
NO_ADDRESS = gettext_lazy("No address is listed for this route: ask the library.")

MAX_QUERY = 200


def _library(code: str) -> Library:
    return get_object_or_404(Library, code=code)


def _text(request, name: str) -> str:
    return request.GET.get(name, "").strip()[:MAX_QUERY]


def _from_home(request) -> bool:
    """The "works from home now" toggle, on unless the form turned it off: the form sends
    a hidden `home=0` before the checkbox's `home=1`, so the last value is the choice,
    and a first visit (no value) shows what works from home, which is why readers come."""
    values = request.GET.getlist("home")
    return not values or values[-1] == "1"


# A step's own number ("1.", "2、", "(3)", "④"): the page numbers the steps itself.
STEP_NUMBER = re.compile(r"^\s*(?:\d{1,2}\s*[.、)）:：]|[（(]\d{1,2}[)）]|[\u2460-\u2473])\s*")


def _steps(text: str) -> list[str]:
    """A route's instructions as numbered steps: one a line, blank lines dropped, each
    line's own number taken off (the list numbers them)."""
    return [STEP_NUMBER.sub("", line).strip() for line in text.splitlines() if line.strip()]


def _missing(route_view: selectors.RouteView) -> str:
    return str(MISSING_LINK.get(route_view.route.kind, NO_ADDRESS))


@require_GET
def index(request):
    """The signed-in reader's own library; others choose one (or go to the only one)."""
    reader = reader_profile(request.user)
    if reader is not None:
        return redirect("eresources:guide", lib=reader.library.code)
    libraries = list(Library.objects.order_by("code"))
    if len(libraries) == 1:
        return redirect("eresources:guide", lib=libraries[0].code)
    return render(request, "eresources/guide_libraries.html", {"libraries": libraries})


@require_GET
def guide(request, lib: str):
    library = _library(lib)
    now = timezone.now()
    q, kind, subject = _text(request, "q"), _text(request, "type"), _text(request, "subject")
    if kind not in DatabaseType.values:
        kind = ""
    from_home = _from_home(request)
    # All that match, then those that work from home: the page says how many the toggle
    # hides, so a reader on campus knows to turn it off.
    found = selectors.guide(library=library, q=q, kind=kind, subject=subject, now=now)
    shown = [v for v in found if v.works_from_home] if from_home else found
    context = {
        "library": library,
        "databases": shown,
        "hidden_on_campus": len(found) - len(shown),
        "q": q,
        "kind": kind,
        "subject": subject,
        "from_home": from_home,
        "filtered": bool(q or kind or subject),
        "now": now,
    }
    if inplace.requested(request):
        return inplace.fragment(
            request, "eresources/guide_results.html", {**context, "inplace": True}
        )
    context.update(
        kinds=DatabaseType.choices,
        subjects=selectors.subjects_of(library),
        offer_count=len(selectors.free_offers(library=library, now=now)),
        topics=selectors.collections(by=request.user, library=library),
    )
    return render(request, "eresources/guide.html", context)


@require_GET
def database(request, lib: str, database_id: int):
    library = _library(lib)
    now = timezone.now()
    try:
        view = selectors.database_view(library=library, database_id=database_id, now=now)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    best = view.best
    routes = [
        {
            "view": r,
            "steps": _steps(r.route.instructions),
            "missing": "" if r.link else _missing(r),
            "best": r is best and r.from_home,
        }
        for r in view.routes
    ]
    return render(
        request,
        "eresources/guide_database.html",
        {"library": library, "view": view, "db": view.database, "routes": routes, "now": now},
    )


@require_GET
def free_offers(request, lib: str):
    library = _library(lib)
    now = timezone.now()
    offers = [
        {"offer": o, "days_left": o.days_left(now), "missing": "" if o.link else str(NO_ADDRESS)}
        for o in selectors.free_offers(library=library, now=now)
    ]
    return render(
        request,
        "eresources/guide_free.html",
        {"library": library, "offers": offers, "now": now},
    )


@require_GET
def topics(request, lib: str):
    library = _library(lib)
    return render(
        request,
        "eresources/guide_topics.html",
        {
            "library": library,
            "topics": selectors.collections(by=request.user, library=library),
        },
    )


@require_GET
def topic(request, lib: str, slug: str):
    library = _library(lib)
    now = timezone.now()
    try:
        found, entries = selectors.collection(by=request.user, library=library, slug=slug, now=now)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return render(
        request,
        "eresources/guide_topic.html",
        {
            "library": library,
            "topic": found,
            "entries": entries,
            "staff": can_see_unpublished(request.user, library),
            "now": now,
        },
    )


@require_GET
def titles(request, lib: str):
    library = _library(lib)
    q = _text(request, "q")
    return render(
        request,
        "eresources/guide_titles.html",
        {"library": library, "q": q, "titles": selectors.find_titles(library=library, q=q)},
    )
