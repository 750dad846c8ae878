from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "spotcheck.screening"
    label = "screening"
    verbose_name = "系统数据检查"
    default_auto_field = "django.db.models.BigAutoField"
