from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocdeliveryConfig(AppConfig):
    name = "libreach.docdelivery"
    label = "docdelivery"
    verbose_name = _("Document delivery")
