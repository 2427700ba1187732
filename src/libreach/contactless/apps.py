from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactlessConfig(AppConfig):
    name = "libreach.contactless"
    label = "contactless"
    verbose_name = _("Contactless borrowing")
