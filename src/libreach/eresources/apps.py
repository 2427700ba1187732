import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EresourcesConfig(AppConfig):
    name = "libreach.eresources"
    label = "eresources"
    verbose_name = _("E-resources")

    def ready(self) -> None:
        from libreach.core import periodic

        # Both idempotent: an offer is warned of once; a second patrol the same day only
        # adds a check to each route's history and mails no breakage twice.
        periodic.register(
            "warn_ending_offers",
            every=dt.timedelta(hours=1),
            func_path="libreach.eresources.services.warn_ending_offers",
        )
        periodic.register(
            "daily_link_patrol",
            every=dt.timedelta(days=1),
            func_path="libreach.eresources.services.daily_patrol",
        )
