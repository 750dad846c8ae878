from django.apps import AppConfig


class DrawsConfig(AppConfig):
    name = "spotcheck.draws"
    label = "draws"
    verbose_name = "随机抽取"

    def ready(self) -> None:
        from spotcheck.planning import models as planning

        from .models import DrawStatus

        planning.RELEASING_DRAW_STATUSES.add(DrawStatus.CANCELLED)  # a cancelled draw frees its task's items
