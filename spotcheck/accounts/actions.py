"""Writes of user rows (and their API tokens), each recorded in the audit chain.

``createsuperuser``, ``changepassword`` and the password-change page save users through Django's
code; these helpers wrap them so each saved user gets an event with its state (``audit verify``
vouches for the user table).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.authtoken.models import Token

from spotcheck.audit.actions import record
from spotcheck.base.actions import action
from spotcheck.base.transactions import require_action

from .models import User


def record_user_saved(actor: Any, users: Iterable[User], action: str, reason: str) -> None:
    """One event per user of ``users`` with the state it has now (call after the save, in its action)."""
    require_action("record_user_saved")
    for user in users:
        user.refresh_from_db()
        record(actor, action, user, region_code=user.region_code, reason=reason)


@action
def rotate_api_token(user: User) -> Token:
    """Replace ``user``'s API token with a new one (the old one stops working at once); audited."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    record(user, "api_token.rotate", object_type="accounts.token", object_id=str(user.pk))
    return token
