from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "spotcheck.directory"
    label = "directory"
    verbose_name = "名录库"
