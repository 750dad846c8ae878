from django.apps import AppConfig


class BaseConfig(AppConfig):
    name = "spotcheck.base"
    label = "base"
    verbose_name = "基础"

    def ready(self) -> None:
        from django.core import checks

        from .checks import field_keys

        checks.register(field_keys, checks.Tags.security)
