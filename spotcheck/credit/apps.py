from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "spotcheck.credit"
    label = "credit"
    verbose_name = "信用管理"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects to inspections.signals)
