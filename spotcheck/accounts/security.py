"""Sign-in policy questions, read-only (the writes are in ``actions``).

- :func:`two_factor_required` — the role is in ``SPOTCHECK_TWO_FACTOR_ROLES`` or the user enrolled anyway.
- :func:`password_expired` — older than ``SPOTCHECK_PASSWORD_MAX_AGE_DAYS`` (0: never).
- :func:`totp_device` / :func:`recovery_digest` — the user's confirmed authenticator and the digest under
  which a recovery code is kept.
- :func:`locked_out` — the current django-axes lockouts (user names and addresses), for 安全管理员.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_otp.plugins.otp_totp.models import TOTPDevice

from spotcheck.base.roles import ADMIN_ROLES, Role

#: Recovery codes: 10 characters from an alphabet without look-alikes, shown as xxxxx-xxxxx.
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def two_factor_required(user: Any) -> bool:
    """True when ``user`` must pass a second factor after the password."""
    if user.role in settings.SPOTCHECK_TWO_FACTOR_ROLES or (user.is_superuser and "admin" in settings.SPOTCHECK_TWO_FACTOR_ROLES):
        return True
    return totp_device(user) is not None


def totp_device(user: Any, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).order_by("id").first()


def password_age_limit() -> dt.timedelta | None:
    days = settings.SPOTCHECK_PASSWORD_MAX_AGE_DAYS
    return dt.timedelta(days=days) if days > 0 else None


def password_expired(user: Any, now: dt.datetime | None = None) -> bool:
    limit = password_age_limit()
    if limit is None or not user.has_usable_password():
        return False
    changed = user.password_changed_at or user.date_joined
    return (now or timezone.now()) - changed > limit


def new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


def recovery_digest(user: Any, code: str) -> str:
    """HMAC-SHA256 (keyed by ``SECRET_KEY``, salted with the user) of a recovery code as typed (case, spaces
    and the dash ignored): a copy of the database alone does not let anyone try codes offline."""
    plain = "".join(ch for ch in code.lower() if ch.isalnum())
    return salted_hmac("spotcheck.accounts.recovery", f"{user.pk}:{plain}", algorithm="sha256").hexdigest()


def looks_like_recovery_code(token: str) -> bool:
    plain = "".join(ch for ch in token.lower() if ch.isalnum())
    return len(plain) == 10 and not plain.isdigit()


def may_grant(granter: Any, role: str) -> bool:
    """Whether ``granter`` may give ``role`` to another account: a 系统管理员 any business role, the three
    administrator roles only the installation account (superuser, or the server's CLI), so that a
    系统管理员 cannot make himself an 审计管理员 or 安全管理员 through a second account."""
    if role not in Role.values:
        return False
    if role in ADMIN_ROLES:
        return bool(granter.is_superuser)
    return bool(granter.is_superuser or granter.role == Role.ADMIN)


def may_manage(actor: Any, account: Any) -> bool:
    """Whether ``actor`` may edit, deactivate or reset ``account``: administrator and installation accounts
    only by the installation account; the others by a 系统管理员 too."""
    if account.is_superuser or account.role in ADMIN_ROLES:
        return bool(actor.is_superuser)
    return True


@dataclass(frozen=True)
class Lockout:
    """A user name or an address that django-axes refuses now."""

    kind: str  # "username" | "ip_address"
    value: str
    failures: int
    last_at: dt.datetime

    @property
    def kind_label(self) -> str:
        return "账号" if self.kind == "username" else "来源地址"


def locked_out() -> list[Lockout]:
    """The user names and addresses locked now: ``AXES_FAILURE_LIMIT`` failures within the cool-off time
    (counted as django-axes counts them: per user name, and per address, across the other parameter)."""
    from axes.helpers import get_cool_off
    from axes.models import AccessAttempt
    from django.db.models import Max, Sum

    limit = settings.AXES_FAILURE_LIMIT
    cooloff = get_cool_off()  # None: a lock lasts until it is lifted
    attempts = AccessAttempt.objects.all()
    if cooloff is not None:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cooloff)
    out: list[Lockout] = []
    for kind in ("username", "ip_address"):
        rows = (attempts.exclude(**{kind: None}).exclude(**{kind: ""})
                .values(kind).annotate(n=Sum("failures_since_start"), last=Max("attempt_time")).order_by("-last"))
        out += [Lockout(kind, r[kind], r["n"], r["last"]) for r in rows if r["n"] >= limit]
    return out


def cool_off_text() -> str:
    """The lock's duration in words, for the pages."""
    from axes.helpers import get_cool_off

    cooloff = get_cool_off()
    if cooloff is None:
        return "直到安全管理员解锁"
    minutes = int(cooloff.total_seconds() // 60)
    return f"{minutes} 分钟" if minutes < 120 else f"{minutes / 60:g} 小时"
