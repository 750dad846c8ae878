"""One's own account: password, two-factor sign-in, sessions and API tokens (账号安全)."""

from __future__ import annotations

from typing import Any

import django_otp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from knox.models import AuthToken

from spotcheck.base.transactions import atomic_action
from spotcheck.base.views import run_action

from . import actions, security
from .forms import CodeForm
from .models import RecoveryCode, User, UserSession


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return "/"
    return target


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def api_token(request: HttpRequest) -> HttpResponse:
    """List one's API tokens (prefix, dates), make a new one (shown once) or revoke one."""
    shown = ""
    if request.method == "POST":
        revoke = (request.POST.get("revoke") or "").strip()[:16]
        if revoke:
            run_action(request, lambda: actions.revoke_api_tokens(request.user, request.user, revoke), "令牌已吊销")
        else:
            ok, result = run_action(request, lambda: actions.create_api_token(request.user), "令牌已生成")
            if ok:
                shown = result[1]
    tokens = AuthToken.objects.filter(user=request.user, expiry__gt=timezone.now()).order_by("-created")
    return render(request, "accounts/token.html", {"tokens": tokens, "shown": shown,
                                                   "days": settings.SPOTCHECK_API_TOKEN_DAYS})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change page, as an action: the change is recorded in the audit chain."""

    def form_valid(self, form: Any) -> HttpResponse:
        old_key = self.request.session.session_key or ""
        with atomic_action():
            response = super().form_valid(form)  # keeps the user signed in under a new session key
            user = User.objects.get(pk=self.request.user.pk)  # the row itself, not the request's lazy proxy
            actions.record_user_saved(user, [user], "accounts.user.password", "本人修改密码")
            actions.session_rekeyed(old_key, self.request.session.session_key or "")
        messages.success(self.request, "密码已修改")
        return response


@login_required
def my_security(request: HttpRequest) -> HttpResponse:
    """账号安全: two-factor status, recovery codes left, signed-in sessions, links to password and tokens."""
    user = request.user
    return render(request, "accounts/security.html", {
        "two_factor": security.totp_device(user) is not None,
        "required": user.role in settings.SPOTCHECK_TWO_FACTOR_ROLES,
        "codes_left": RecoveryCode.objects.filter(user=user, used_at=None).count(),
        "sessions": UserSession.objects.filter(user=user),
        "current": request.session.session_key,
        "expires": (user.password_changed_at or user.date_joined) + security.password_age_limit()
        if security.password_age_limit() else None,
    })


@login_required
@require_POST
def end_my_sessions(request: HttpRequest) -> HttpResponse:
    keys = [k for k in request.POST.getlist("session") if k != request.session.session_key]
    if not keys:
        keys = list(UserSession.objects.filter(user=request.user).exclude(
            session_key=request.session.session_key).values_list("session_key", flat=True))
    run_action(request, lambda: actions.end_sessions(request.user, request.user, keys, "本人结束其他会话"),
               "其他会话已结束")
    return redirect("accounts:security")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator: scan the QR code, type the first code, keep the recovery codes."""
    user = request.user
    replacing = security.totp_device(user) is not None
    if replacing and not user.is_verified():
        return redirect("two-factor-verify")
    device = actions.start_two_factor(user)
    form = CodeForm(request.POST or None, enrol=True, confirm_password=replacing)
    if request.method == "POST" and form.is_valid() and _password_ok(request, form):
        ok, codes = run_action(request, lambda: actions.confirm_two_factor(user, device, form.cleaned_data["token"]),
                               "两步验证已启用")
        if ok:
            device.refresh_from_db()
            django_otp.login(request, device)
            return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": _next(request)})
    uri = device.config_url
    secret = "".join(uri.split("secret=", 1)[1].split("&", 1)[0])
    return render(request, "accounts/two_factor_setup.html", {
        "form": form, "qr": segno.make(uri, error="m").svg_data_uri(scale=5),
        "secret": " ".join(secret[i:i + 4] for i in range(0, len(secret), 4)), "next": _next(request),
    })


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """The second step of sign-in: a code from the authenticator, or a recovery code."""
    user = request.user
    if security.totp_device(user) is None:
        return redirect("two-factor-setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = actions.verify_second_factor(user, form.cleaned_data["token"])
        if device is not None:
            django_otp.login(request, device)
            return redirect(_next(request))
        form.add_error("token", "验证码不正确或已使用；连续错误后需等待一段时间再试")
    return render(request, "accounts/two_factor_verify.html", {"form": form, "next": _next(request)})


def _password_ok(request: HttpRequest, form: Any) -> bool:
    """When the form asks for the current password (changing an enrolled second factor), it must be right."""
    if "password" not in form.fields:
        return True
    if request.user.check_password(form.cleaned_data.get("password") or ""):
        return True
    form.add_error("password", "密码不正确")
    return False


def _confirmed_by_password(request: HttpRequest) -> bool:
    if request.user.check_password(request.POST.get("password") or ""):
        return True
    messages.error(request, "请输入正确的当前密码以确认此操作")
    return False


@login_required
@never_cache
@require_POST
def two_factor_codes(request: HttpRequest) -> HttpResponse:
    if not _confirmed_by_password(request):
        return redirect("accounts:security")
    ok, codes = run_action(request, lambda: actions.new_recovery_codes(request.user), "已生成新的恢复码")
    if ok:
        return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": reverse("accounts:security")})
    return redirect("accounts:security")


@login_required
@require_POST
def two_factor_disable(request: HttpRequest) -> HttpResponse:
    if not _confirmed_by_password(request):
        return redirect("accounts:security")
    run_action(request, lambda: actions.disable_two_factor(request.user), "两步验证已关闭")
    return redirect("accounts:security")
