"""Sessions end after ``SPOTCHECK_SESSION_IDLE_MINUTES`` without a request and, in any case,
``SPOTCHECK_SESSION_MAX_HOURS`` after sign-in (等保: 登录连接超时自动退出).

The time of the last request is written back at most once a minute, so a busy user does not write
their session on every page. An ended session shows the sign-in page with a Chinese message; an
API client (session-authenticated) gets a 401 from the API as for any anonymous request.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

SEEN, SIGNED_IN = "sc_seen", "sc_signed_in"


def stamp_sign_in(sender: object, request: HttpRequest | None = None, **kwargs: object) -> None:
    """``user_logged_in`` receiver: the session's sign-in and last-seen times (saved with the login)."""
    if request is not None and hasattr(request, "session"):
        request.session[SEEN] = request.session[SIGNED_IN] = time.time()


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            seen = request.session.get(SEEN, now)
            signed_in = request.session.setdefault(SIGNED_IN, now)
            idle = settings.SPOTCHECK_SESSION_IDLE_MINUTES * 60
            longest = settings.SPOTCHECK_SESSION_MAX_HOURS * 3600
            if now - seen > idle or now - signed_in > longest:
                why = "长时间未操作" if now - seen > idle else "登录时间已超过上限"
                logout(request)
                messages.info(request, f"{why}，已自动退出，请重新登录")
            elif now - seen > 60 or SEEN not in request.session:
                request.session[SEEN] = now
        return self.get_response(request)
