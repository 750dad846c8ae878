"""Template tags of the public portal."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

_SELECTED = mark_safe(" selected")


@register.simple_tag
def options(choices: Iterable[Any], selected: Any) -> SafeString:
    """The ``<option>`` elements of a filter ``<select>``, the one whose value equals ``selected`` (compared as
    text) marked ``selected``. A choice is a ``(value, label)`` pair, a model object (``pk``, ``name``) or a
    plain value shown as itself. One tag instead of a ``{% for %}`` with an ``{% if %}`` per option: the search
    page renders four of these lists on every cold request."""
    current = "" if selected is None else str(selected)

    def pair(choice: Any) -> tuple[Any, Any]:
        if isinstance(choice, (tuple, list)):
            return choice[0], choice[1]
        if hasattr(choice, "pk"):
            return choice.pk, choice.name
        return choice, choice

    rows = (pair(c) for c in choices)
    return format_html_join("", '<option value="{}"{}>{}</option>',
                            ((v, _SELECTED if str(v) == current else "", label) for v, label in rows))
