from __future__ import annotations

import pytest

from spotcheck.accounts.models import Role

from . import factories as f


@pytest.fixture
def admin_user(db):
    return f.user("t-admin", Role.ADMIN, "")


@pytest.fixture
def city_user(db):
    return f.user("t-city", Role.CITY_ADMIN, f.SHUOZHOU)


@pytest.fixture
def county_user(db):
    return f.user("t-county", Role.COUNTY_STAFF, f.YANGCHENG)


@pytest.fixture
def huairen_user(db):
    return f.user("t-huairen", Role.COUNTY_STAFF, f.HUAIREN)


@pytest.fixture
def inspector_user(db):
    return f.user("t-inspector", Role.INSPECTOR, f.YANGCHENG)


@pytest.fixture
def auditor_user(db):
    return f.user("t-auditor", Role.AUDITOR, "")


@pytest.fixture
def client_for(client):
    """``client_for(user)`` logs the Django test client in as ``user`` (bypassing axes)."""

    def login(user):
        client.force_login(user)
        return client

    return login
