"""Two-factor sign-in (TOTP + hashed recovery codes), password expiry and hashed API tokens."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from spotcheck.accounts.models import RecoveryCode, User
from spotcheck.audit.models import AuditEvent
from spotcheck.base.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


def _code(device: TOTPDevice, offset: int = 0) -> str:
    # the device's own drift: django-otp records it when a code is accepted across a time-step boundary
    device.refresh_from_db()
    drift = device.drift + offset
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift):06d}"


def _sign_in(client: Client, user: User):
    return client.post(reverse("login"), {"username": user.username, "password": f.PASSWORD}, follow=True)


@pytest.fixture
def two_factor_for_staff(settings):
    settings.SPOTCHECK_TWO_FACTOR_ROLES = frozenset({Role.COUNTY_STAFF, Role.ADMIN})


def test_enrolment_then_sign_in_with_a_code(client, county_user, two_factor_for_staff):
    r = _sign_in(client, county_user)
    assert r.redirect_chain[-1][0].startswith(reverse("two-factor-setup"))
    assert "data:image/svg+xml" in r.content.decode()  # the QR code, without inline script
    assert client.get(reverse("planning:index")).status_code == 302  # nothing else before the second factor
    assert client.get("/api/institutions/").status_code == 403
    device = TOTPDevice.objects.get(user=county_user, confirmed=False)
    r = client.post(reverse("two-factor-setup"), {"token": "000000" if _code(device) != "000000" else "111111"})
    assert "验证码不正确" in r.content.decode()
    r = client.post(reverse("two-factor-setup"), {"token": _code(device), "next": "/planning/"})
    codes = r.context["codes"]
    assert len(codes) == 10 and all(len(c) == 11 for c in codes)
    assert client.get(reverse("planning:index")).status_code == 200
    stored = set(RecoveryCode.objects.filter(user=county_user).values_list("digest", flat=True))
    assert not stored & set(codes)  # digests only
    assert AuditEvent.objects.filter(action="accounts.2fa.enable", object_id=str(county_user.pk)).exists()

    client.post(reverse("logout"))
    r = _sign_in(client, county_user)
    assert r.redirect_chain[-1][0].startswith(reverse("two-factor-verify"))
    r = client.post(reverse("two-factor-verify"), {"token": "123456" if _code(device) != "123456" else "654321"})
    assert r.status_code == 200 and "验证码不正确" in r.content.decode()
    assert AuditEvent.objects.filter(action="accounts.2fa.failed").exists()
    r = client.post(reverse("two-factor-verify"), {"token": _code(device, 1)})
    assert r.status_code == 200  # right code, but a failure throttles the next try for a while
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, throttling_failure_timestamp=None)
    # the time step used at enrolment may not be used again (replay): use the next one
    r = client.post(reverse("two-factor-verify"), {"token": _code(device, 1), "next": "/planning/"})
    assert r.status_code == 302 and r["Location"] == "/planning/"
    assert client.get(reverse("planning:index")).status_code == 200


def test_a_recovery_code_works_once(client, county_user, two_factor_for_staff):
    _sign_in(client, county_user)
    device = TOTPDevice.objects.get(user=county_user)
    codes = client.post(reverse("two-factor-setup"), {"token": _code(device)}).context["codes"]
    for expected in (302, 200):
        other = Client()
        _sign_in(other, county_user)
        r = other.post(reverse("two-factor-verify"), {"token": codes[0].upper()})
        assert r.status_code == expected
    assert AuditEvent.objects.filter(action="accounts.2fa.recovery_used").count() == 1


def test_the_next_page_is_never_another_site(client, county_user, two_factor_for_staff):
    _sign_in(client, county_user)
    device = TOTPDevice.objects.get(user=county_user)
    client.post(reverse("two-factor-setup"), {"token": _code(device)})
    client.post(reverse("logout"))
    _sign_in(client, county_user)
    r = client.post(reverse("two-factor-verify"), {"token": _code(device, 1), "next": "https://evil.example/"})
    assert r["Location"] == "/"


def test_security_admin_resets_a_lost_authenticator(client, county_user, two_factor_for_staff):
    _sign_in(client, county_user)
    device = TOTPDevice.objects.get(user=county_user)
    client.post(reverse("two-factor-setup"), {"token": _code(device)})
    sec = f.user("t-sec-2fa", Role.SECURITY_ADMIN, "")
    admin = Client()
    admin.force_login(sec)
    r = admin.post(reverse("accounts:user-reset-2fa", args=[county_user.pk]), {"reason": "手机丢失"}, follow=True)
    assert "两步验证已重置" in r.content.decode()
    assert not TOTPDevice.objects.filter(user=county_user).exists()
    assert not RecoveryCode.objects.filter(user=county_user).exists()
    assert client.get(reverse("planning:index")).status_code == 302  # his session ended


def test_roles_outside_the_setting_sign_in_with_a_password(client, county_user):
    r = _sign_in(client, county_user)
    assert r.redirect_chain[-1][0] == "/"


def test_an_expired_password_must_be_changed(client, county_user, settings):
    settings.SPOTCHECK_PASSWORD_MAX_AGE_DAYS = 90
    User.objects.filter(pk=county_user.pk).update(password_changed_at=timezone.now() - dt.timedelta(days=91))
    r = _sign_in(client, county_user)
    assert r.redirect_chain[-1][0].startswith(reverse("password_change")) and "超过 90 天" in r.content.decode()
    new = "Neue-Mima-2027#"
    client.post(reverse("password_change"), {"old_password": f.PASSWORD, "new_password1": new, "new_password2": new})
    assert client.get(reverse("planning:index")).status_code == 200


def test_api_tokens_are_hashed_shown_once_expire_and_revoke(client, county_user):
    client.force_login(county_user)
    r = client.post(reverse("api-token"))
    token = r.context["shown"]
    assert token and token in r.content.decode()
    assert token not in client.get(reverse("api-token")).content.decode()  # shown once
    row = AuthToken.objects.get(user=county_user)
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM knox_authtoken")
        assert not any(token in str(v) for v in cur.fetchone())
    assert row.expiry - timezone.now() > dt.timedelta(days=89)
    api = Client()
    assert api.get("/api/institutions/", HTTP_AUTHORIZATION=f"Token {token}").status_code == 200
    AuthToken.objects.filter(pk=row.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    assert api.get("/api/institutions/", HTTP_AUTHORIZATION=f"Token {token}").status_code in (401, 403)
    token2 = client.post(reverse("api-token")).context["shown"]
    key = AuthToken.objects.get(user=county_user).token_key
    client.post(reverse("api-token"), {"revoke": key})
    assert api.get("/api/institutions/", HTTP_AUTHORIZATION=f"Token {token2}").status_code in (401, 403)
    assert AuditEvent.objects.filter(action="api_token.revoke", actor=county_user).exists()
    assert AuditEvent.objects.filter(action="api_token.create", actor=county_user).count() == 2


def test_anonymous_clients_are_throttled(settings):
    from rest_framework.settings import api_settings

    assert "rest_framework.throttling.AnonRateThrottle" in [c.__module__ + "." + c.__name__
                                                            for c in api_settings.DEFAULT_THROTTLE_CLASSES]


def test_changing_an_enrolled_second_factor_needs_the_password(client, county_user, two_factor_for_staff):
    _sign_in(client, county_user)
    device = TOTPDevice.objects.get(user=county_user)
    client.post(reverse("two-factor-setup"), {"token": _code(device)})
    old_codes = set(RecoveryCode.objects.filter(user=county_user).values_list("digest", flat=True))
    # a stolen session alone cannot replace the authenticator or take new recovery codes
    client.get(reverse("two-factor-setup"))
    new = TOTPDevice.objects.get(user=county_user, confirmed=False)
    r = client.post(reverse("two-factor-setup"), {"token": _code(new), "password": "wrong"})
    assert "密码不正确" in r.content.decode()
    assert TOTPDevice.objects.filter(user=county_user, confirmed=True).get().pk == device.pk
    r = client.post(reverse("accounts:two-factor-codes"), {"password": "wrong"}, follow=True)
    assert "当前密码" in r.content.decode()
    assert set(RecoveryCode.objects.filter(user=county_user).values_list("digest", flat=True)) == old_codes
    r = client.post(reverse("accounts:two-factor-codes"), {"password": f.PASSWORD})
    assert len(r.context["codes"]) == 10
    r = client.post(reverse("two-factor-setup"), {"token": _code(new, 1), "password": f.PASSWORD})
    assert r.status_code == 200 and "codes" in r.context
    assert TOTPDevice.objects.get(user=county_user, confirmed=True).pk == new.pk


def test_the_upgrade_starts_existing_accounts_password_clock_and_verify_stays_clean(county_user):
    import importlib

    from django.apps import apps
    from django.core.management import call_command

    from spotcheck.audit.actions import record

    User.objects.filter(pk=county_user.pk).update(password_changed_at=None,
                                                  date_joined=timezone.now() - dt.timedelta(days=400))
    county_user.refresh_from_db()
    from spotcheck.base.transactions import atomic_action

    with atomic_action():
        record("system", "accounts.user.create", county_user)
    f.audit_baseline()
    migration = importlib.import_module("spotcheck.accounts.migrations.0005_password_clock")
    migration.start_clock(apps, None)
    county_user.refresh_from_db()
    assert timezone.now() - county_user.password_changed_at < dt.timedelta(minutes=1)
    call_command("audit", "verify")  # exits 1 on a difference
