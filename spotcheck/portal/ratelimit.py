"""Per-IP rate limit of the public portal (policy ``portal.rate_limit_per_minute``), on Django's cache.

A fixed one-minute window per client address (``REMOTE_ADDR``; put the portal behind a proxy that
sets it). Over the limit the page is a 429 in Chinese with ``Retry-After``. The default
LocMemCache counts per process; the production settings use a file cache shared by the workers.
Allowed requests are then served through the page cache (``portal.pagecache``).
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from rest_framework.throttling import BaseThrottle

from spotcheck import policy
from spotcheck.base.http import client_ip

POLICY_KEY = "portal:rl:limit"


def limit_per_minute() -> int:
    value = cache.get(POLICY_KEY)
    if value is None:
        value = int(policy.get("portal.rate_limit_per_minute"))
        cache.set(POLICY_KEY, value, 30)
    return int(value)


def hit(request: Any) -> tuple[bool, int]:
    """Count one request; return (allowed, seconds until the window resets)."""
    limit = limit_per_minute()
    now = time.time()
    window = int(now // 60)
    retry = 60 - int(now % 60)
    if limit <= 0:
        return True, retry
    key = f"portal:rl:{client_ip(request)}:{window}"
    if cache.add(key, 1, 90):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, 90)
            count = 1
    return count <= limit, retry


def too_many(request: HttpRequest, retry: int) -> HttpResponse:
    response = render(request, "portal/429.html", {"retry": retry, "limit": limit_per_minute()}, status=429)
    response["Retry-After"] = str(retry)
    return response


def public_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A public page: GET/HEAD only (else 405), rate-limited per IP (else 429)."""

    from .pagecache import cached

    render_page = cached(view)

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        allowed, retry = hit(request)
        if not allowed:
            return too_many(request, retry)
        return render_page(request, *args, **kwargs)

    return require_safe(wrapped)


class PortalRateThrottle(BaseThrottle):
    """The same per-IP limit for the public API endpoints."""

    def allow_request(self, request: Any, view: Any) -> bool:
        allowed, self._retry = hit(request)
        return allowed

    def wait(self) -> float | None:
        return float(getattr(self, "_retry", 60))
