"""Writes of user accounts, sign-in state, second factors and API tokens; each one audited.

Who may do what (三权分立): 系统管理员 (``users``) creates, edits, deactivates users and resets their
passwords; 安全管理员 (``security``) unlocks, ends sessions and resets a lost second factor; everyone
manages his own password, second factor, sessions and API tokens. Nobody changes his own role, area or
active flag, and an account is never deleted (deactivated instead: the audit trail keeps its name).

``createsuperuser``, ``changepassword`` and the password-change page save users through Django's
code; :func:`record_user_saved` gives each saved user an event with its state (``audit verify``
vouches for the user table).
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from spotcheck.audit.actions import record
from spotcheck.base.actions import ActionRefused, action
from spotcheck.base.roles import Role
from spotcheck.base.scope import require
from spotcheck.base.transactions import require_action

from . import security
from .models import RecoveryCode, User, UserSession

#: Names the audit log uses for actors that are not accounts (the CLI, the worker, failed sign-ins).
RESERVED_NAMES = frozenset({"anonymous", "cli", "system", "worker", "createsuperuser"})

#: Fields a 系统管理员 sets on an account (the form and the CLI use the same list).
ACCOUNT_FIELDS = ("display_name", "email", "role", "region_code", "inspector_number", "institution_code")

#: Validators of the link from an account to a directory record: kind → callable(value, region) that
#: raises ``ActionRefused`` or returns the record's display name. The directory registers them (it sits
#: above accounts in the layers); without a validator the value is taken as typed.
LINK_VALIDATORS: dict[str, Callable[[str, str], str]] = {}


def register_link_validator(kind: str, fn: Callable[[str, str], str]) -> None:
    """``kind`` is ``"inspector"`` (检查人员编号), ``"institution"`` (机构编码) or ``"region"`` (所属区域)."""
    LINK_VALIDATORS[kind] = fn


def record_user_saved(actor: Any, users: Iterable[User], action: str, reason: str) -> None:
    """One event per user of ``users`` with the state it has now (call after the save, in its action)."""
    require_action("record_user_saved")
    for user in users:
        user.refresh_from_db()
        record(actor, action, user, region_code=user.region_code, reason=reason)


# --- accounts (系统管理员) -------------------------------------------------------------------------------

def _clean_account(actor: Any, data: dict[str, Any], target: User | None) -> dict[str, Any]:
    """The account fields of ``data``, checked together; refusals name the field in Chinese."""
    from spotcheck.core.codes import CodeError, validate_region_code

    clean = {k: (data.get(k) or "").strip() if isinstance(data.get(k, ""), str) else data.get(k)
             for k in ACCOUNT_FIELDS if k in data}
    role = clean.get("role", target.role if target else "")
    if role not in Role.values:
        raise ActionRefused("请选择有效的角色", field="role")
    if not security.may_grant(actor, role):
        if not (actor.is_superuser or getattr(actor, "role", "") == Role.ADMIN):
            raise PermissionDenied("只有系统管理员可以分配角色")
        raise ActionRefused(f"“{Role(role).label}”角色只能由安装账号（超级用户）分配", field="role")
    region = clean.get("region_code", target.region_code if target else "")
    if role in (Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.AUDITOR):
        clean["region_code"] = region = region or ""
    elif not region:
        raise ActionRefused("请填写所属区域（6 位行政区划代码）", field="region_code")
    if region:
        try:
            clean["region_code"] = validate_region_code(region)
        except CodeError as exc:
            raise ActionRefused(f"所属区域：{exc.message}", field="region_code") from exc
        if "region" in LINK_VALIDATORS:
            LINK_VALIDATORS["region"](clean["region_code"], clean["region_code"])
    for kind, name, label in (("inspector", "inspector_number", "检查人员编号"),
                              ("institution", "institution_code", "机构编码")):
        value = clean.get(name, getattr(target, name, "") if target else "")
        needed = role == (Role.INSPECTOR if kind == "inspector" else Role.INSTITUTION)
        if needed and not value:
            raise ActionRefused(f"{Role(role).label}账号须填写{label}", field=name)
        if value and kind in LINK_VALIDATORS:
            LINK_VALIDATORS[kind](value, clean.get("region_code", region))
        if value and kind == "inspector" and User.objects.filter(inspector_number=value, is_active=True).exclude(
                pk=getattr(target, "pk", None)).exists():
            raise ActionRefused(f"检查人员编号“{value}”已有启用的账号", field=name)
        if not needed and kind == "institution":
            clean[name] = ""  # only an institution account is tied to an institution
    return clean


def _require_manage(actor: Any, user: User) -> None:
    if not security.may_manage(actor, user):
        raise PermissionDenied("管理员账号和安装账号只能由安装账号（超级用户）或在服务器上用命令行管理")


def one_time_password() -> str:
    """A random password that meets the policy (four character classes, 14 characters)."""
    pools = [string.ascii_uppercase, string.ascii_lowercase, string.digits, "#%+=@"]
    chars = [secrets.choice(p) for p in pools] + [secrets.choice("".join(pools)) for _ in range(10)]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)


@action
def create_user(actor: Any, username: str, data: dict[str, Any], *, password: str | None = None,
                reason: str = "") -> tuple[User, str]:
    """Create an account; returns it and its one-time password (to be changed at the first sign-in).

    ``password`` (CLI only) sets a chosen password instead, checked by the password policy."""
    require(actor, "users")
    username = (username or "").strip()
    if not username:
        raise ActionRefused("请填写用户名", field="username")
    if username.lower() in RESERVED_NAMES:
        raise ActionRefused(f"用户名“{username}”是系统保留名称，请换一个", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise ActionRefused(f"用户名“{username}”已被使用", field="username")
    clean = _clean_account(actor, data, None)
    user = User(username=username, **clean)
    chosen = password is not None
    secret = password if chosen else one_time_password()
    try:
        validate_password(secret, user)
    except ValidationError as exc:
        raise ActionRefused("密码：" + "；".join(exc.messages), field="password") from exc
    user.set_password(secret)
    user.must_change_password = True
    user.save()
    record(actor, "accounts.user.create", user, reason=reason or "新建账号")
    return user, ("" if chosen else secret)


@action
def update_user(actor: Any, user: User, data: dict[str, Any], reason: str = "") -> User:
    """Change an account's name, e-mail, role, area and links (never one's own role or area)."""
    require(actor, "users")
    clean = _clean_account(actor, data, user)
    if user.pk == actor.pk and any(clean.get(k, getattr(user, k)) != getattr(user, k)
                                   for k in ("role", "region_code")):
        raise ActionRefused("不能修改自己的角色或所属区域，请由另一位系统管理员办理", field="role")
    _require_manage(actor, user)
    before = {k: getattr(user, k) for k in clean}
    changed = {k: v for k, v in clean.items() if v != before[k]}
    if not changed:
        return user
    for k, v in changed.items():
        setattr(user, k, v)
    user.save()
    record(actor, "accounts.user.update", user, before={k: before[k] for k in changed}, after=changed,
           reason=reason or "修改账号")
    if "role" in changed or "region_code" in changed:
        _end_sessions(actor, user, "角色或区域变更，须重新登录")
        _revoke_tokens(actor, user, AuthToken.objects.filter(user=user), "角色或区域变更")
    return user


@action
def set_active(actor: Any, user: User, active: bool, reason: str) -> User:
    """Deactivate (停用) or reactivate an account; a deactivated one signs in no more, its sessions and
    API tokens end. Never one's own; the reason is required."""
    require(actor, "users")
    if user.pk == actor.pk:
        raise ActionRefused("不能停用或启用自己的账号", field="is_active")
    _require_manage(actor, user)
    if not (reason or "").strip():
        raise ActionRefused("请填写原因", field="reason")
    if user.is_active == active:
        return user
    if not active and user.role == Role.ADMIN and not User.objects.filter(
            role=Role.ADMIN, is_active=True).exclude(pk=user.pk).exists():
        raise ActionRefused("这是最后一个有效的系统管理员账号，不能停用", field="is_active")
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(actor, "accounts.user.activate" if active else "accounts.user.deactivate", user, reason=reason)
    if not active:
        _end_sessions(actor, user, "账号停用")
        _revoke_tokens(actor, user, AuthToken.objects.filter(user=user), "账号停用")
    return user


@action
def reset_password(actor: Any, user: User, reason: str) -> str:
    """Give ``user`` a new one-time password (returned, shown once) that must be changed at the next
    sign-in; his sessions end. For one's own password use the password page."""
    require(actor, "users")
    if user.pk == actor.pk:
        raise ActionRefused("请在“修改密码”页面修改自己的密码", field="password")
    _require_manage(actor, user)
    secret = one_time_password()
    user.set_password(secret)
    user.must_change_password = True
    user.save(update_fields=["password", "password_changed_at", "must_change_password"])
    record(actor, "accounts.user.reset_password", user, reason=reason or "重置密码")
    _end_sessions(actor, user, "密码已重置")
    _revoke_tokens(actor, user, AuthToken.objects.filter(user=user), "密码已重置")
    return secret


# --- sign-in events ------------------------------------------------------------------------------------

def _user_ref(user: User) -> dict[str, Any]:
    """Event fields naming ``user`` without recording its row state (sign-in does not write the row)."""
    return {"object_type": "accounts.user", "object_id": str(user.pk), "region_code": user.region_code}


@action
def signed_in(user: User, session_key: str, ip: str, user_agent: str) -> None:
    """Record a sign-in (password step passed) and register its session for listing and ending."""
    if session_key:
        UserSession.objects.update_or_create(
            session_key=session_key,
            defaults={"user": user, "ip_address": ip[:45], "user_agent": user_agent[:200],
                      "signed_in_at": timezone.now()})
    record(user, "accounts.signin", reason=f"登录（来源地址 {ip or '未知'}）", **_user_ref(user))


def session_rekeyed(old_key: str, new_key: str) -> None:
    """Follow a session whose key changed (``update_session_auth_hash`` after a password change), so that
    it can still be listed and ended. A step of the password change's action."""
    require_action("session_rekeyed")
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


@action
def signed_out(user: User | None, session_key: str) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()
    if user is not None:
        record(user, "accounts.signout", reason="退出登录", **_user_ref(user))


def _attempt_event(action_name: str, username: str, ip: str, what: str) -> None:
    """An event of a sign-in attempt: by ``anonymous`` (never the account whose name was typed), naming the
    account if it exists, the user name as typed (bounded) and the address; never the password."""
    require_action("_attempt_event")
    user = User.objects.filter(username=username[:150]).first()
    record("anonymous", action_name, object_type="accounts.user", object_id=str(user.pk) if user else "",
           region_code=user.region_code if user else "",
           reason=f"{what}：用户名“{username[:64]}”，来源地址 {ip or '未知'}")


@action
def sign_in_failed(username: str, ip: str) -> None:
    """A refused password."""
    _attempt_event("accounts.signin.failed", username, ip, "登录失败")


@action
def locked(username: str, ip: str) -> None:
    """The user name or address is now locked (django-axes)."""
    _attempt_event("accounts.lockout", username, ip, "连续登录失败，已锁定")


# --- security (安全管理员) -----------------------------------------------------------------------------

@action
def unlock(actor: Any, *, username: str = "", ip: str = "", reason: str = "") -> int:
    """Lift a sign-in lock on a user name or an address (django-axes); returns the attempts removed."""
    from axes.utils import reset

    require(actor, "security")
    if not (username or ip):
        raise ActionRefused("请指定要解锁的账号或来源地址")
    if username:
        removed = reset(username=username)
    else:
        removed = reset(ip=ip)
    target = User.objects.filter(username=username).first() if username else None
    record(actor, "accounts.unlock", object_type="accounts.user",
           object_id=str(target.pk) if target else (ip or username),
           region_code=target.region_code if target else "",
           reason=reason or f"解除登录锁定：{'账号 ' + username if username else '来源地址 ' + ip}")
    return removed


def _end_sessions(actor: Any, user: User, reason: str, keys: Iterable[str] | None = None) -> int:
    require_action("_end_sessions")
    rows = UserSession.objects.filter(user=user)
    if keys is not None:
        rows = rows.filter(session_key__in=list(keys))
    found = list(rows.values_list("session_key", flat=True))
    if not found:
        return 0
    Session.objects.filter(session_key__in=found).delete()
    rows.delete()
    record(actor, "accounts.session.end", reason=f"{reason}（{len(found)} 个会话）", **_user_ref(user))
    return len(found)


@action
def end_sessions(actor: Any, user: User, keys: Iterable[str] | None = None, reason: str = "") -> int:
    """End ``user``'s sessions (all, or those of ``keys``): one's own, or anyone's for 安全管理员."""
    if actor.pk != user.pk:
        require(actor, "security")
    return _end_sessions(actor, user, reason or "结束会话", keys)


@action
def reset_two_factor(actor: Any, user: User, reason: str) -> None:
    """Remove a user's authenticator and recovery codes (a lost phone); he enrols again at sign-in."""
    require(actor, "security")
    if not (reason or "").strip():
        raise ActionRefused("请填写原因", field="reason")
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record(actor, "accounts.2fa.reset", reason=reason, **_user_ref(user))
    _end_sessions(actor, user, "两步验证已重置")
    _revoke_tokens(actor, user, AuthToken.objects.filter(user=user), "两步验证已重置")


# --- one's own second factor -----------------------------------------------------------------------------

@action
def start_two_factor(user: User) -> TOTPDevice:
    """The user's unconfirmed authenticator (created on first call): its secret is shown as a QR code."""
    return security.totp_device(user, confirmed=False) or TOTPDevice.objects.create(
        user=user, name="身份验证器", confirmed=False)


def _issue_recovery_codes(user: User) -> list[str]:
    require_action("_issue_recovery_codes")
    RecoveryCode.objects.filter(user=user).delete()
    codes = [security.new_recovery_code() for _ in range(settings.SPOTCHECK_RECOVERY_CODES)]
    RecoveryCode.objects.bulk_create([RecoveryCode(user=user, digest=security.recovery_digest(user, c))
                                      for c in codes])
    return codes


@action
def confirm_two_factor(user: User, device: TOTPDevice, token: str) -> list[str]:
    """Confirm the authenticator with a first code; returns the new recovery codes (shown once)."""
    device = TOTPDevice.objects.select_for_update().filter(pk=device.pk, user=user, confirmed=False).first()
    if device is None:
        raise ActionRefused("验证器已失效，请重新开始设置")
    if not device.verify_token((token or "").strip().replace(" ", "")):
        raise ActionRefused("验证码不正确，请核对手机时间后输入验证器当前显示的 6 位数字", field="token")
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _issue_recovery_codes(user)
    record(user, "accounts.2fa.enable", reason="启用两步验证", **_user_ref(user))
    return codes


@action
def new_recovery_codes(user: User) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working)."""
    if security.totp_device(user) is None:
        raise ActionRefused("尚未启用两步验证")
    codes = _issue_recovery_codes(user)
    record(user, "accounts.2fa.recovery_codes", reason="重新生成恢复码", **_user_ref(user))
    return codes


@action
def disable_two_factor(user: User) -> None:
    """Switch one's second factor off, where the role does not require it."""
    if user.role in settings.SPOTCHECK_TWO_FACTOR_ROLES:
        raise ActionRefused("您的角色要求两步验证，不能关闭；更换手机请先在新手机上重新设置")
    TOTPDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    record(user, "accounts.2fa.disable", reason="关闭两步验证", **_user_ref(user))


@action
def verify_second_factor(user: User, token: str) -> TOTPDevice | None:
    """Check a code from the authenticator or a recovery code (used up); the device to log in with, or
    ``None`` (the failure is recorded). The device row is locked, so parallel tries cannot share one
    throttle state or replay one code; a failed recovery code counts against the same throttle."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).order_by("id").first()
    if device is None:
        return None
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        record(user, "accounts.2fa.failed", reason="两步验证尝试过于频繁，已拒绝", **_user_ref(user))
        return None
    token = (token or "").strip()
    if security.looks_like_recovery_code(token):
        digest = security.recovery_digest(user, token)
        used = RecoveryCode.objects.filter(user=user, used_at=None, digest=digest).update(used_at=timezone.now())
        if used:
            device.throttle_reset(commit=True)
            left = RecoveryCode.objects.filter(user=user, used_at=None).count()
            record(user, "accounts.2fa.recovery_used", reason=f"使用恢复码登录（剩余 {left} 个）", **_user_ref(user))
            return device
        device.throttle_increment(commit=True)
    elif device.verify_token(token.replace(" ", "")):
        record(user, "accounts.2fa.verified", reason="两步验证通过", **_user_ref(user))
        return device
    record(user, "accounts.2fa.failed", reason="两步验证码错误", **_user_ref(user))
    return None


# --- API tokens -----------------------------------------------------------------------------------------

@action
def create_api_token(user: User) -> tuple[AuthToken, str]:
    """A new API token for ``user``: returns the row (its digest) and the token, shown once."""
    if not user.is_active:
        raise ActionRefused("账号已停用")
    limit = settings.REST_KNOX.get("TOKEN_LIMIT_PER_USER")
    now = timezone.now()
    if limit and AuthToken.objects.filter(user=user, expiry__gt=now).count() >= limit:
        raise ActionRefused(f"每个账号最多 {limit} 个有效令牌，请先吊销不用的令牌")
    instance, token = AuthToken.objects.create(user=user)
    record(user, "api_token.create", object_type="knox.authtoken", object_id=instance.token_key,
           region_code=user.region_code, reason=f"生成接口令牌 {instance.token_key}…，有效至 "
           f"{timezone.localtime(instance.expiry):%Y-%m-%d %H:%M}" if instance.expiry else "生成接口令牌")
    return instance, token


def _revoke_tokens(actor: Any, user: User, tokens: Any, reason: str) -> int:
    require_action("_revoke_tokens")
    keys = list(tokens.values_list("token_key", flat=True))
    if not keys:
        return 0
    tokens.delete()
    record(actor, "api_token.revoke", object_type="knox.authtoken", object_id=keys[0],
           region_code=user.region_code,
           reason=f"{reason}：吊销 {len(keys)} 个接口令牌（{'、'.join(k + '…' for k in keys)}）")
    return len(keys)


@action
def revoke_api_tokens(actor: Any, user: User, token_key: str | None = None, reason: str = "") -> int:
    """Revoke one of ``user``'s tokens (by its shown prefix) or all; one's own, or anyone's for 系统管理员."""
    if actor.pk != user.pk:
        require(actor, "users")
    tokens = AuthToken.objects.filter(user=user)
    if token_key:
        tokens = tokens.filter(token_key=token_key)
    return _revoke_tokens(actor, user, tokens, reason or "吊销接口令牌")

