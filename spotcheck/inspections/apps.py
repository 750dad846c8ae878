from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "spotcheck.inspections"
    label = "inspections"
    verbose_name = "现场检查"
