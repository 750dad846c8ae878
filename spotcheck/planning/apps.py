from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "spotcheck.planning"
    label = "planning"
    verbose_name = "抽查事项、计划与任务"
