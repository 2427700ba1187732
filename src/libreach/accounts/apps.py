import datetime as dt

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "libreach.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from libreach.accounts import lockout
        from libreach.core import periodic

        # Idempotent: an expired token is deleted once; revoked ones are deleted at once.
        periodic.register(
            "purge_api_tokens",
            every=dt.timedelta(hours=1),
            func_path="libreach.accounts.services.purge_expired_tokens",
        )
        user_locked_out.connect(lockout.log_lockout, dispatch_uid="libreach-lockout-log")
