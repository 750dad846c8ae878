from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "spotcheck.directory"
    label = "directory"
    verbose_name = "名录库"

    def ready(self) -> None:
        from spotcheck.jobs.tasks import register

        from . import io

        register(io.run_import_job)
        register(io.run_export_job)
