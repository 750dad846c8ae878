"""Sign-in events from Django and django-axes, turned into audit events and session records."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from spotcheck.base.http import client_ip

from . import actions
from .middleware import POLICY_OK, AccountPolicyMiddleware, stamp_sign_in


def _session_key(request: HttpRequest | None) -> str:
    session = getattr(request, "session", None)
    return (session.session_key or "") if session is not None else ""


def _agent(request: HttpRequest | None) -> str:
    return request.META.get("HTTP_USER_AGENT", "") if request is not None else ""


def on_logged_in(sender: object, request: HttpRequest | None = None, user: Any = None, **kwargs: object) -> None:
    stamp_sign_in(sender, request=request)
    if request is not None and hasattr(request, "session"):
        # nothing pending (second factor, password change): the middleware need not ask on each page
        if AccountPolicyMiddleware.pending_step(user) is None:
            request.session[POLICY_OK] = True
        else:
            request.session.pop(POLICY_OK, None)
        if not request.session.session_key:
            request.session.save()
    actions.signed_in(user, _session_key(request), client_ip(request) if request is not None else "", _agent(request))


def on_logged_out(sender: object, request: HttpRequest | None = None, user: Any = None, **kwargs: object) -> None:
    actions.signed_out(user if getattr(user, "pk", None) else None, _session_key(request))


def on_login_failed(sender: object, credentials: dict[str, Any] | None = None, request: HttpRequest | None = None,
                    **kwargs: object) -> None:
    """A refused password is an event, except while the user name or address is locked already (django-axes
    refuses those tries before checking anything; recording each would let anyone fill the audit chain)."""
    if request is not None and getattr(request, "axes_locked_out", False):
        return
    username = str((credentials or {}).get("username") or "")
    actions.sign_in_failed(username, client_ip(request) if request is not None else "")


def on_locked_out(sender: object, request: HttpRequest | None = None, username: str | None = None,
                  ip_address: str | None = None, **kwargs: object) -> None:
    """The lock itself, once: django-axes signals again on every later try (the count then exceeds the limit,
    or is not computed at all when it refuses early)."""
    from django.conf import settings

    if request is not None and getattr(request, "axes_failures_since_start", None) != settings.AXES_FAILURE_LIMIT:
        return
    actions.locked(str(username or ""), str(ip_address or ""))
