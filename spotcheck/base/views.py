"""What every app's views share: run an action and turn its refusal into a message on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from .actions import ActionRefused
from .transactions import atomic_action


def run_action(request: HttpRequest, fn: Callable[[], Any], done: str, *,
               denied_as_message: bool = False) -> tuple[bool, Any]:
    """Run ``fn()`` in one action transaction (an upload and its step commit together).

    Success: ``done`` is shown and ``(True, result)`` returned. A refusal (:class:`ActionRefused`)
    shows its Chinese message and returns ``(False, None)`` with nothing written. ``PermissionDenied``
    propagates (a 403 page) unless ``denied_as_message``, when it is shown like a refusal."""
    try:
        with atomic_action():
            result = fn()
    except ActionRefused as exc:
        messages.error(request, exc.message)
        return False, None
    except PermissionDenied as exc:
        if not denied_as_message:
            raise
        messages.error(request, str(exc) or "您没有执行此操作的权限")
        return False, None
    messages.success(request, done)
    return True, result
