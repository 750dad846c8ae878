"""What every app's ``actions`` module shares: the refusal, the actor helpers, and ``@action``.

An action is a public function of ``spotcheck.<app>.actions`` taking the actor first. The actor is a
user (checked against the role table and area) or a string naming a trusted system caller such as
``"cli"`` or a signal receiver. Refusals raise :class:`ActionRefused`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

from .transactions import action, action_context, atomic_action

__all__ = ["ActionRefused", "action", "action_context", "actor_name", "atomic_action", "user_of"]


class ActionRefused(ValidationError):
    """A step that cannot be done now, with a Chinese ``message`` shown to the user as is.

    A ``ValidationError`` so forms show it and the API answers 400 like any validation error. With
    ``field`` it belongs to that form field; ``message`` may also be ``{field: [messages]}`` for
    several fields at once (``message`` is then all of them joined)."""

    def __init__(self, message: str | dict[str, list[str]], field: str | None = None) -> None:
        if isinstance(message, dict):
            super().__init__(message)
            text = "；".join(self.messages)
        else:
            super().__init__({field: [message]} if field else message)
            text = str(message)
        self.message = text
        self.field = field

    def __str__(self) -> str:
        return self.message


def user_of(actor: Any) -> Any:
    """The ``User`` behind ``actor`` (for ``created_by``-style fields), or ``None`` for a system actor."""
    return actor if getattr(actor, "pk", None) else None


def actor_name(actor: Any) -> str:
    """How ``actor`` is named in a record: the username, the system caller's name, or ``system``."""
    return getattr(actor, "username", "") or (actor if isinstance(actor, str) else "system")


class SystemActor:
    """The CLI acting on the server without ``--user``: every permission, no area limit, audited as ``cli``
    (whoever can run the command on the server is the installation's operator)."""

    pk = None
    username = "cli"
    role = "admin"
    region_code = ""
    scope_prefix = None
    is_authenticated = True
    is_active = True
    is_superuser = True

    def in_scope(self, region_code: str | None) -> bool:
        return True

    def __str__(self) -> str:
        return self.username


SYSTEM_ACTOR = SystemActor()
