"""Template helpers of pages that show draws (the draw pages, the planning task page, the portal)."""

from __future__ import annotations

from typing import Any

from django import template

from spotcheck.draws import wording

register = template.Library()

#: The light columns of a draw: enough for a link and a status badge (the frozen input is megabytes).
LIGHT_FIELDS = ("draw_id", "task", "status", "frozen_at", "error_message")


@register.simple_tag
def task_draws(task: Any) -> list[Any]:
    """The draws of ``task``, newest first, without their frozen input and package."""
    return list(task.draws.only(*LIGHT_FIELDS).order_by("-frozen_at", "-id"))


@register.filter
def stratum_label(key: str) -> str:
    """``{{ h|stratum_label }}``: ``"140522|H|中等"`` → ``"阳城县 · 医疗机构 · 中等"`` (draws.wording)."""
    return wording.stratum_label(key)


@register.filter
def ratio_percent(ratio: Any) -> str:
    """``{{ s.ratio|ratio_percent }}``: ``[1, 20]`` → ``"5%"``."""
    return wording.ratio_percent(ratio)


@register.filter
def rounding_label(value: str) -> str:
    """``{{ s.rounding|rounding_label }}``: ``"ceil"`` → ``"向上取整"``."""
    return wording.rounding_label(value)
