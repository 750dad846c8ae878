from django.apps import AppConfig


class BaseConfig(AppConfig):
    name = "spotcheck.base"
    label = "base"
    verbose_name = "基础"
