"""Template helpers of other apps' pages that show draws (e.g. the planning task page)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

#: The light columns of a draw: enough for a link and a status badge (the frozen input is megabytes).
LIGHT_FIELDS = ("draw_id", "task", "status", "frozen_at", "error_message")


@register.simple_tag
def task_draws(task: Any) -> list[Any]:
    """The draws of ``task``, newest first, without their frozen input and package."""
    return list(task.draws.only(*LIGHT_FIELDS).order_by("-frozen_at", "-id"))
