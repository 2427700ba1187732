from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EresourcesConfig(AppConfig):
    name = "libreach.eresources"
    label = "eresources"
    verbose_name = _("E-resources")
