"""系统管理 → 用户: accounts (系统管理员), locks, sessions and lost second factors (安全管理员).

Every page needs ``users`` or ``security``; each button needs the one its action requires, and the
actions check again. Nothing here writes except through ``actions``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from knox.models import AuthToken

from spotcheck.base.permissions import can
from spotcheck.base.roles import Role
from spotcheck.base.views import run_action
from spotcheck.core.regions import builtin_region_name

from . import actions, security
from .forms import AccountForm, ReasonForm, UserFilterForm
from .models import RecoveryCode, User, UserSession


def _grantable(user: Any) -> list[str]:
    return [r for r in Role.values if security.may_grant(user, r)]


def _require_any(user: Any, *names: str) -> None:
    if not any(can(user, n) for n in names):
        raise PermissionDenied("您没有执行此操作的权限")


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    _require_any(request.user, "users", "security")
    form = UserFilterForm(request.GET or None)
    rows = User.objects.order_by("username")
    if form.is_valid():
        q, role, active = (form.cleaned_data.get(k) for k in ("q", "role", "active"))
        if q:
            rows = rows.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
        if role:
            rows = rows.filter(role=role)
        if active in ("0", "1"):
            rows = rows.filter(is_active=active == "1")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    locked = {x.value for x in security.locked_out() if x.kind == "username"}
    for u in page:
        u.area_name = builtin_region_name(u.region_code) or u.region_code
    return render(request, "accounts/users/list.html", {
        "form": form, "page": page, "locked": locked, "can_users": can(request.user, "users"),
        "can_security": can(request.user, "security"),
    })


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _require_any(request.user, "users")
    form = AccountForm(request.POST or None, roles=_grantable(request.user))
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        ok, result = run_action(request, lambda: actions.create_user(
            request.user, data.pop("username"), data, reason=data.pop("reason")), "账号已建立")
        if ok:
            user, secret = result
            return render(request, "accounts/users/password_shown.html", {"account": user, "secret": secret})
    return render(request, "accounts/users/form.html", {"form": form, "account": None})


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request.user, "users", "security")
    account = get_object_or_404(User, pk=pk)
    may_edit = can(request.user, "users") and security.may_manage(request.user, account)
    initial = {k: getattr(account, k) for k in actions.ACCOUNT_FIELDS}
    form = AccountForm(request.POST or None, initial=initial, editing=True, roles=_grantable(request.user))
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("您没有执行此操作的权限")
        if form.is_valid():
            data = dict(form.cleaned_data)
            ok, _ = run_action(request, lambda: actions.update_user(
                request.user, account, data, reason=data.pop("reason")), "已保存")
            if ok:
                return redirect("accounts:user-detail", pk=account.pk)
    now = timezone.now()
    return render(request, "accounts/users/detail.html", {
        "account": account, "form": form, "may_edit": may_edit,
        "can_users": can(request.user, "users"), "can_security": can(request.user, "security"),
        "sessions": UserSession.objects.filter(user=account),
        "tokens": AuthToken.objects.filter(user=account, expiry__gt=now).order_by("-created"),
        "two_factor": security.totp_device(account) is not None,
        "two_factor_required": security.two_factor_required(account),
        "codes_left": RecoveryCode.objects.filter(user=account, used_at=None).count(),
        "locked": any(x.kind == "username" and x.value == account.username for x in security.locked_out()),
        "expired": security.password_expired(account),
        "area": builtin_region_name(account.region_code) or account.region_code,
        "reason_form": ReasonForm(),
    })


def _post_on_user(request: HttpRequest, pk: int, fn: Any, done: str) -> HttpResponse:
    account = get_object_or_404(User, pk=pk)
    reason = (request.POST.get("reason") or "").strip()[:200]
    run_action(request, lambda: fn(account, reason), done)
    return redirect("accounts:user-detail", pk=account.pk)


@login_required
@require_POST
def user_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request.user, "users")
    return _post_on_user(request, pk, lambda u, r: actions.set_active(request.user, u, False, r), "账号已停用")


@login_required
@require_POST
def user_activate(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request.user, "users")
    return _post_on_user(request, pk, lambda u, r: actions.set_active(request.user, u, True, r), "账号已启用")


@login_required
@never_cache
@require_POST
def user_reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request.user, "users")
    account = get_object_or_404(User, pk=pk)
    reason = (request.POST.get("reason") or "").strip()[:200]
    ok, secret = run_action(request, lambda: actions.reset_password(request.user, account, reason), "密码已重置")
    if ok:
        return render(request, "accounts/users/password_shown.html", {"account": account, "secret": secret})
    return redirect("accounts:user-detail", pk=account.pk)


@login_required
@require_POST
def user_revoke_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request.user, "users")
    return _post_on_user(request, pk, lambda u, r: actions.revoke_api_tokens(request.user, u, None, r),
                         "该账号的接口令牌已全部吊销")


@login_required
@require_POST
def user_end_sessions(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request.user, "security")
    keys = request.POST.getlist("session") or None
    return _post_on_user(request, pk, lambda u, r: actions.end_sessions(request.user, u, keys, r), "会话已结束")


@login_required
@require_POST
def user_reset_two_factor(request: HttpRequest, pk: int) -> HttpResponse:
    _require_any(request.user, "security")
    return _post_on_user(request, pk, lambda u, r: actions.reset_two_factor(request.user, u, r),
                         "两步验证已重置，该用户下次登录时重新设置")


@login_required
@require_http_methods(["GET", "POST"])
def locks(request: HttpRequest) -> HttpResponse:
    """安全管理员: the user names and addresses locked after failed sign-ins, with 解锁."""
    _require_any(request.user, "security")
    if request.method == "POST":
        kind, value = request.POST.get("kind", ""), (request.POST.get("value") or "").strip()[:150]
        if kind not in ("username", "ip_address") or not value:
            messages.error(request, "请选择要解锁的账号或来源地址")
        else:
            run_action(request, lambda: actions.unlock(
                request.user, username=value if kind == "username" else "", ip=value if kind == "ip_address" else "",
                reason=(request.POST.get("reason") or "").strip()[:200]), f"已解锁：{value}")
        return redirect(reverse("accounts:locks"))
    return render(request, "accounts/users/locks.html", {"locks": security.locked_out()})


@login_required
@require_http_methods(["GET", "POST"])
def security_overview(request: HttpRequest) -> HttpResponse:
    """安全管理员: the sign-in policy in force, the encryption keys and their use, and the audit checkpoints
    (with 签发检查点). The policy itself is set in the server's environment (docs/deploy.md)."""
    from django.conf import settings

    from spotcheck.audit import checkpoints
    from spotcheck.audit.models import Checkpoint
    from spotcheck.base import crypto
    from spotcheck.base.fields import key_usage

    _require_any(request.user, "security")
    if request.method == "POST":
        try:
            cp = checkpoints.make_checkpoint()
        except checkpoints.CheckpointError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"已签发审计检查点（第 {cp.seq} 号事件）")
        return redirect("accounts:security-overview")
    try:
        ring, key_error = crypto.keyring(), ""
    except crypto.FieldCryptoError as exc:
        ring, key_error = None, str(exc)
    usage = [(str(model._meta.verbose_name), sorted(counts.items())) for model, counts in key_usage().items()] \
        if ring is not None else []
    roles = [Role(r).label for r in Role.values if r in settings.SPOTCHECK_TWO_FACTOR_ROLES]
    policy = [
        ("两步验证", "、".join(roles) or "不要求（仅本人自愿开启）"),
        ("密码有效期", f"{settings.SPOTCHECK_PASSWORD_MAX_AGE_DAYS} 天" if settings.SPOTCHECK_PASSWORD_MAX_AGE_DAYS
         else "不过期"),
        ("登录失败锁定", f"连续 {settings.AXES_FAILURE_LIMIT} 次，锁定 {security.cool_off_text()}"
         "（账号和来源地址分别计算）"),
        ("会话超时", f"空闲 {settings.SPOTCHECK_SESSION_IDLE_MINUTES} 分钟，最长 {settings.SPOTCHECK_SESSION_MAX_HOURS} 小时"),
        ("接口令牌有效期", f"{settings.SPOTCHECK_API_TOKEN_DAYS} 天"),
    ]
    keys = [(kid, _local_time(key.created), kid == ring.current) for kid, key in ring.keys.items()] if ring else []
    return render(request, "accounts/users/security_overview.html", {
        "policy": policy, "ring": ring, "keys": keys, "key_error": key_error, "usage": usage,
        "cipher": crypto.cipher_prefix() if ring is not None else "",
        "checkpoints": Checkpoint.objects.order_by("-seq", "-id")[:10],
    })


def _local_time(text: str) -> str:
    """An ISO time from a key file, in Asia/Shanghai (``未知`` when missing or unreadable)."""
    import datetime as dt

    from spotcheck.audit.presentation import local_time

    try:
        at = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return "未知"
    return local_time(at if at.tzinfo else at.replace(tzinfo=dt.UTC))[:16]
