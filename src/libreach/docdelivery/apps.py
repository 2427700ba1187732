import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocdeliveryConfig(AppConfig):
    name = "libreach.docdelivery"
    label = "docdelivery"
    verbose_name = _("Document delivery")

    def ready(self) -> None:
        from libreach.core import periodic

        # Idempotent: a lender's turn times out once.
        periodic.register(
            "pass_on_silent_lenders",
            every=dt.timedelta(minutes=10),
            func_path="libreach.docdelivery.services.pass_on_silent_lenders",
        )
