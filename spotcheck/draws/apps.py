from django.apps import AppConfig


class DrawsConfig(AppConfig):
    name = "spotcheck.draws"
    label = "draws"
    verbose_name = "随机抽取"

    def ready(self) -> None:
        from django.core.signals import request_started
        from django.db.models.signals import post_delete, post_save

        from spotcheck.directory.models import Region
        from spotcheck.planning import models as planning

        from . import wording
        from .models import DrawStatus

        # Region names of stratum labels are cached per request (draws.wording).
        request_started.connect(wording.clear_region_cache, dispatch_uid="draws.wording.request")
        post_save.connect(wording.clear_region_cache, sender=Region, dispatch_uid="draws.wording.region_save")
        post_delete.connect(wording.clear_region_cache, sender=Region, dispatch_uid="draws.wording.region_delete")

        planning.RELEASING_DRAW_STATUSES.add(DrawStatus.CANCELLED)  # a cancelled draw frees its task's items
