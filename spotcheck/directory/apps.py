from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "spotcheck.directory"
    label = "directory"
    verbose_name = "名录库"

    def ready(self) -> None:
        from spotcheck.jobs.tasks import register, register_kind

        from . import io

        register(io.run_import_job)
        register(io.run_export_job)
        from spotcheck.accounts.actions import register_link_validator

        from .links import check_inspector, check_institution, check_region

        register_link_validator("inspector", check_inspector)
        register_link_validator("institution", check_institution)
        register_link_validator("region", check_region)
        for kind, spec in io.SPECS.items():
            register_kind(f"import:{kind}", f"导入{spec.sheet}", "directory:import-status")
            register_kind(f"export:{kind}", f"导出{spec.sheet}", "directory:export-status")
