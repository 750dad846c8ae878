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


@pytest.mark.django_db
def test_token_rotation_is_audited(client):
    from spotcheck.audit.models import AuditEvent

    u = f.user("tok-user", Role.COUNTY_STAFF)
    client.force_login(u)
    r = client.post(reverse("api-token"))
    assert r.status_code == 200 and r.context["token"].key
    assert AuditEvent.objects.filter(action="api_token.rotate", actor=u).exists()


def test_the_admin_site_never_lists_api_tokens(client, db):
    from tests import factories as fx

    root = fx.user("t-root-admin", Role.ADMIN, "")
    root.is_superuser = root.is_staff = True
    root.save()
    client.force_login(root)
    index = client.get("/django-admin/").content.decode()
    assert "authtoken" not in index and "令牌" not in index
    assert client.get("/django-admin/authtoken/tokenproxy/").status_code == 404
