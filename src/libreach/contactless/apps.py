import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactlessConfig(AppConfig):
    name = "libreach.contactless"
    label = "contactless"
    verbose_name = _("Contactless borrowing")

    def ready(self) -> None:
        from libreach.core import periodic

        # Both are idempotent: a request expires once, a reader is told once.
        periodic.register(
            "expire_holds",
            every=dt.timedelta(minutes=15),
            func_path="libreach.contactless.services.expire_holds",
        )
        periodic.register(
            "hold_expiry_notices",
            every=dt.timedelta(hours=1),
            func_path="libreach.contactless.services.send_expiry_notices",
        )
