"""Sessions end after ``SPOTCHECK_SESSION_IDLE_MINUTES`` without a request and, in any case,
``SPOTCHECK_SESSION_MAX_HOURS`` after sign-in (等保: 登录连接超时自动退出).

The time of the last request is written back at most once a minute, so a busy user does not write
their session on every page. An ended session shows the sign-in page with a Chinese message; an
API client (session-authenticated) gets a 401 from the API as for any anonymous request.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse

from . import security

SEEN, SIGNED_IN = "sc_seen", "sc_signed_in"
#: Session flag: this session passed the sign-in steps (second factor, due password change).
POLICY_OK = "sc_policy_ok"


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


class AccountPolicyMiddleware:
    """After the password: the second factor, then a due password change, before any other page.

    A signed-in user whose role needs two-factor sign-in (or who enrolled) and has not passed it in this
    session may open only the two-factor pages, sign-out and static files: he is sent to enrol (no
    authenticator yet) or to enter a code. Then a one-time password (``must_change_password``) or an
    expired one (``SPOTCHECK_PASSWORD_MAX_AGE_DAYS``) sends him to the password page. The API answers 403
    with the reason instead of redirecting. API clients with a token are not affected (a token is made in a
    session that passed these steps)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (user is not None and user.is_authenticated and not request.session.get(POLICY_OK)
                and not self._exempt(request.path_info)):
            step = self.pending_step(user)
            if step is None:
                request.session[POLICY_OK] = True  # checked once per session (a role change ends it)
            else:
                name, why = step
                if request.path_info.startswith("/api/"):
                    return JsonResponse({"detail": why}, status=403)
                if request.path_info != reverse(name):
                    if request.method == "GET":
                        messages.info(request, why)
                    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
                    return HttpResponseRedirect(reverse(name) + (f"?{query}" if query else ""))
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        exempt = (reverse("logout"), reverse("two-factor-setup"), reverse("two-factor-verify"))
        return path in exempt or path.startswith(settings.STATIC_URL or "/static/")

    @staticmethod
    def pending_step(user: object) -> tuple[str, str] | None:
        """The sign-in step ``user`` must take before other pages: (URL name, reason), or None."""
        verified = getattr(user, "is_verified", lambda: False)()
        if not verified and security.two_factor_required(user):
            if security.totp_device(user) is None:
                return "two-factor-setup", "您的账号须启用两步验证：请用手机验证器扫码完成设置"
            return "two-factor-verify", "请输入手机验证器上的 6 位验证码"
        if getattr(user, "must_change_password", False):
            return "password_change", "您正在使用管理员设置的一次性密码，请先修改密码"
        if security.password_expired(user):
            days = settings.SPOTCHECK_PASSWORD_MAX_AGE_DAYS
            return "password_change", f"密码已使用超过 {days} 天，请修改密码后继续"
        return None
