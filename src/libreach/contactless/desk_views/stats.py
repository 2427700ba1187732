"""The contactless statistics page."""

from __future__ import annotations

import calendar
import datetime as dt

from django import forms
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET

from libreach.accounts.desk import desk_view
from libreach.contactless import charts, selectors
from libreach.contactless.models import Mode, NotFoundReason


class StatsForm(forms.Form):
    start = forms.DateField(label=pgettext_lazy("start of a date range", "From"))
    end = forms.DateField(label=pgettext_lazy("end of a date range", "To"))

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            raise forms.ValidationError(gettext_lazy("'To' is before 'From'."))
        return data


FIGURE_LABELS = (
    ("requests", gettext_lazy("Requests")),
    ("readers", gettext_lazy("Readers")),
    ("titles_requested", gettext_lazy("Titles requested")),
    ("volumes_requested", gettext_lazy("Volumes requested")),
    ("fulfilled_requests", gettext_lazy("Fulfilled requests")),
    ("readers_served", gettext_lazy("Readers served")),
    ("titles_fulfilled", gettext_lazy("Titles fulfilled")),
    ("volumes_fulfilled", gettext_lazy("Volumes fulfilled")),
)


def _this_month(today: dt.date) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(today.year, today.month)[1]
    return today.replace(day=1), today.replace(day=last)


@require_GET
@desk_view()
def stats(request, library):
    start, end = _this_month(timezone.localdate())
    form = StatsForm(request.GET or {"start": start, "end": end})
    figures = chart = None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        figures = selectors.contactless_stats(library, start, end)
        modes = [(Mode(mode).label, values) for mode, values in figures["by_mode"].items()]
        chart = charts.requested_vs_fulfilled_svg(
            categories=[label for label, _values in modes],
            requested=[values["volumes_requested"] for _label, values in modes],
            fulfilled=[values["volumes_fulfilled"] for _label, values in modes],
            labels=(_("Volumes requested"), _("Volumes fulfilled")),
            title=_("Volumes by mode"),
        )
        figures["overall"] = [(label, figures[key]) for key, label in FIGURE_LABELS]
        figures["modes"] = [
            (label, [values[key] for key, _label in FIGURE_LABELS]) for label, values in modes
        ]
        figures["buildings"] = [
            (name, [values[key] for key, _label in FIGURE_LABELS])
            for name, values in figures["by_building"].items()
        ]
        figures["reasons"] = [
            (NotFoundReason(reason).label if reason in NotFoundReason.values else reason, count)
            for reason, count in figures["not_found_by_reason"].items()
        ]
        if figures["not_found_rate"] is not None:
            figures["not_found_percent"] = round(figures["not_found_rate"] * 100, 1)
    return render(
        request,
        "contactless/desk/stats.html",
        {
            "library": library,
            "form": form,
            "figures": figures,
            "chart": chart,
            "headings": [label for _key, label in FIGURE_LABELS],
        },
    )
