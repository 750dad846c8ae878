"""A short-lived cache of rendered public pages, invalidated at once by every publication.

Public pages are the same for everyone (no login, no cookies), so a rendered 200 response is kept
for ``SPOTCHECK_PORTAL_CACHE_SECONDS`` (0 = off; the test settings turn it off) under a key made of
the full path and a *generation* number. ``bump()`` — called after each publication, correction,
commitment or reveal commits — moves to a new generation, so no page older than the last change is
ever served; the time limit only bounds how long a draw's "inspections have started" switch may lag.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "portal:generation"


def seconds() -> int:
    return int(getattr(settings, "SPOTCHECK_PORTAL_CACHE_SECONDS", 0) or 0)


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, 1, None)
        value = cache.get(GENERATION_KEY) or 1
    return int(value)


def bump() -> None:
    """Invalidate every cached public page (and cached filter choices)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        cache.set(GENERATION_KEY, 1, None)


def cached(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve GET requests of ``view`` from the page cache when it is on."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        ttl = seconds()
        if not ttl or request.method != "GET":
            return view(request, *args, **kwargs)
        digest = hashlib.sha256(request.get_full_path().encode()).hexdigest()
        key = f"portal:page:{generation()}:{digest}"
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if response.status_code == 200 and not response.streaming:
                cache.set(key, response, ttl)
        return response

    return wrapped


def memo(name: str, compute: Callable[[], Any]) -> Any:
    """``compute()`` cached for the current generation (filter choices and the like)."""
    ttl = seconds()
    if not ttl:
        return compute()
    return cache.get_or_set(f"portal:memo:{generation()}:{name}", compute, ttl)
