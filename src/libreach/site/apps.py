from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "libreach.site"
    label = "site"
    verbose_name = "libreach site"
