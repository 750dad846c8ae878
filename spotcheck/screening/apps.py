from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "spotcheck.screening"
    label = "screening"
    verbose_name = "系统数据检查"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from spotcheck.jobs.tasks import register, register_kind

        from . import jobs

        register(jobs.run_import_job)
        register(jobs.run_screening_job)
        register_kind("screening:import", "导入结算数据")
        register_kind("screening:run", "运行筛查规则")
