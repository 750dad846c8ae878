import pytest
from django.urls import reverse

from spotcheck.accounts.models import Role
from tests import factories as f


@pytest.mark.django_db
def test_lockout_after_repeated_failures(client):
    f.user("lock-me", Role.COUNTY_STAFF)
    url = reverse("login")
    for _ in range(5):
        client.post(url, {"username": "lock-me", "password": "nope"}, REMOTE_ADDR="10.0.0.1")
    # now even the right password is refused
    r = client.post(url, {"username": "lock-me", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.1")
    assert r.status_code in (403, 429) and "锁定" in r.content.decode()
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_login_success_and_home_counts(client):
    f.user("ok-user", Role.COUNTY_STAFF)
    f.institution(f.YANGCHENG)
    f.institution(f.HUAIREN)
    r = client.post(reverse("login"), {"username": "ok-user", "password": f.PASSWORD}, follow=True)
    assert r.status_code == 200 and r.context["counts"]["institutions"] == 1


def test_anonymous_redirected(client, db):
    r = client.get(reverse("home"))
    assert r.status_code == 302 and reverse("login") in r["Location"]


@pytest.mark.django_db
def test_password_validators_reject_weak_password():
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("12345678")


def test_the_admin_site_never_lists_api_tokens(client, db):
    from tests import factories as fx

    root = fx.user("t-root-admin", Role.ADMIN, "")
    root.is_superuser = root.is_staff = True
    root.save()
    client.force_login(root)
    index = client.get("/django-admin/").content.decode()
    assert "authtoken" not in index and "knox" not in index and "令牌" not in index and "otp" not in index
    assert client.get("/django-admin/authtoken/tokenproxy/").status_code == 404
    assert client.get("/django-admin/knox/authtoken/").status_code == 404
    assert client.get("/django-admin/otp_totp/totpdevice/").status_code == 404


def _fail(client, username, ip, forwarded=""):
    extra = {"REMOTE_ADDR": ip} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    return client.post(reverse("login"), {"username": username, "password": "wrong-password"}, **extra)


def _signs_in(client, username, ip, forwarded=""):
    extra = {"REMOTE_ADDR": ip} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {})
    client.post(reverse("login"), {"username": username, "password": f.PASSWORD}, **extra)
    signed_in = client.get(reverse("home"), **extra).wsgi_request.user.is_authenticated
    client.logout()
    return signed_in


@pytest.mark.django_db
def test_an_account_is_locked_whatever_the_address(client):
    """Issue 13 §3: failures from changing addresses still lock the user name."""
    f.user("lock-any", Role.COUNTY_STAFF)
    for n in range(5):
        _fail(client, "lock-any", f"10.0.1.{n}")
    assert not _signs_in(client, "lock-any", "10.0.9.9")


@pytest.mark.django_db
def test_an_address_spraying_many_accounts_is_locked_and_others_are_not(client, settings):
    """One address trying many user names is locked; behind the trusted proxy the address is the client's,
    so the office's other visitors (same proxy) still sign in."""
    settings.SPOTCHECK_TRUSTED_PROXIES = ["127.0.0.1"]
    f.user("colleague", Role.COUNTY_STAFF)
    for n in range(5):
        _fail(client, f"nobody-{n}", "127.0.0.1", forwarded="203.0.113.66")
    assert not _signs_in(client, "colleague", "127.0.0.1", forwarded="203.0.113.66")  # the sprayer's address
    assert _signs_in(client, "colleague", "127.0.0.1", forwarded="203.0.113.7")  # someone else behind the proxy


@pytest.mark.django_db
def test_password_policy_classes_username_and_history(client):
    """Issue 13 §3: 3 of 4 character classes, not the user name, none of the last 5 again (Chinese messages)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from spotcheck.accounts.models import User

    user = f.user("wang.fang", Role.COUNTY_STAFF)
    for weak, message in (("lowercaseonly-x", "3 种"), ("Xwang.fang-2026", "用户名")):
        with pytest.raises(ValidationError) as refused:
            validate_password(weak, user)
        assert message in " ".join(refused.value.messages)
    client.force_login(user)
    old = f.PASSWORD
    for n in range(6):
        new = f"Spot-check-{n}x"
        r = client.post(reverse("password_change"), {"old_password": old, "new_password1": new, "new_password2": new})
        assert r.status_code == 302, r.content.decode()[:500]
        old = new
        client.force_login(User.objects.get(pk=user.pk))
    for reused in ("Spot-check-5x", "Spot-check-2x"):  # the current one and one of the last five
        r = client.post(reverse("password_change"),
                        {"old_password": old, "new_password1": reused, "new_password2": reused})
        assert r.status_code == 200 and "最近 5 次用过的密码" in r.content.decode()
    r = client.post(reverse("password_change"),
                    {"old_password": old, "new_password1": "Spot-check-0x", "new_password2": "Spot-check-0x"})
    assert r.status_code == 302  # six changes ago: may be used again
