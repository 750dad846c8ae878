from typing import Any

from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    name = "spotcheck.inspections"
    label = "inspections"
    verbose_name = "现场检查"

    def ready(self) -> None:
        from spotcheck.draws.signals import assignments_changed

        from . import actions

        def on_assignments_changed(sender: Any, draw: Any, actor: Any, **kwargs: Any) -> None:
            actions.ensure_for_draw(actor, draw)  # one inspection record per drawn institution

        assignments_changed.connect(on_assignments_changed, weak=False, dispatch_uid="inspections.ensure_for_draw")
