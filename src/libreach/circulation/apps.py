import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CirculationConfig(AppConfig):
    name = "libreach.circulation"
    label = "circulation"
    verbose_name = _("Circulation")

    def ready(self):
        from libreach.core import periodic

        periodic.register(
            "release_quarantined",
            every=dt.timedelta(minutes=5),
            func_path="libreach.circulation.services.release_quarantined",
        )
        # Resumes a re-dating run a crash interrupted; a finished closure costs one query.
        periodic.register(
            "apply_closures",
            every=dt.timedelta(minutes=10),
            func_path="libreach.circulation.closures.apply_open_closures",
        )
        # Idempotent: a loan is announced once per due date.
        periodic.register(
            "due_soon_notices",
            every=dt.timedelta(hours=1),
            func_path="libreach.circulation.services.send_due_soon_notices",
        )
