"""What the product reads of a request in more than one place."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def client_ip(request: Any) -> str:
    """The visitor's address: ``REMOTE_ADDR``, or behind a trusted proxy (setting
    ``SPOTCHECK_TRUSTED_PROXIES``) the right-most ``X-Forwarded-For`` hop that is not a trusted proxy.
    Used by the portal's rate limit and by the sign-in lockout (django-axes)."""
    remote = str(request.META.get("REMOTE_ADDR") or "")  # "" when unknown (stored as no address)
    trusted = set(getattr(settings, "SPOTCHECK_TRUSTED_PROXIES", ()) or ())
    if remote in trusted:
        hops = [h.strip() for h in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if h.strip()]
        for hop in reversed(hops):
            if hop not in trusted:
                return hop
    return remote
