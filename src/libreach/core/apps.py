from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "libreach.core"
    label = "core"
