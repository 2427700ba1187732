"""Reads across the apps for the site's own pages: the desk home's counts of today's work."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from libreach.circulation import selectors as circulation_selectors
from libreach.consortium.models import Library
from libreach.contactless import selectors as contactless_selectors
from libreach.docdelivery import selectors as docdelivery_selectors
from libreach.eresources import selectors as eresources_selectors


def desk_work(
    libraries: list[Library], *, by, now: dt.datetime | None = None
) -> dict[int, dict[str, int | None]]:
    """Per library (by id), the counts of today's work at its desk: the contactless
    counts (contactless.selectors.desk_work_counts says what each one is) and
    `quarantine_due`, copies whose quarantine ends today or has ended
    (circulation.selectors.quarantine_due_counts).

    "Today" is the local date of `now` in the site's time zone (settings.TIME_ZONE),
    which is every member library's: the consortium keeps one clock. A fixed number of
    queries, whatever the number of libraries or of requests.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    day_start = timezone.make_aware(dt.datetime.combine(today, dt.time.min))
    day_end = timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))
    if not libraries:
        return {}
    counts = contactless_selectors.desk_work_counts(
        libraries, today=today, day_start=day_start, day_end=day_end, by=by
    )
    quarantine = circulation_selectors.quarantine_due_counts(libraries, until=day_end, by=by)
    lending = docdelivery_selectors.desk_work_counts(libraries, by=by)
    eresources = eresources_selectors.desk_work_counts(libraries, by=by, now=now)
    for library in libraries:
        counts[library.pk]["quarantine_due"] = quarantine.get(library.pk, 0)
        counts[library.pk].update(lending[library.pk])
        counts[library.pk].update(eresources[library.pk])
    return counts
