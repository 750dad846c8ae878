"""Fixtures of the API tests: token clients and one row of each kind in 阳城 and in 怀仁."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from spotcheck.directory.models import InspectorAbsence
from tests import factories as f


@pytest.fixture
def api_for(db):
    """``api_for(user)``: an API client sending ``Authorization: Token …`` of ``user``."""

    def make(user):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {f.api_token(user)}")
        return client

    return make


@pytest.fixture
def world(db):
    """Institution, inspector (with phone), conflict and absence in 阳城 (``yc``) and 怀仁 (``hr``)."""
    rows = {}
    for key, code in (("yc", f.YANGCHENG), ("hr", f.HUAIREN)):
        inst = f.institution(code, name=f"{key}机构", contact_phone="13912345678")
        insp = f.inspector(code, name=f"{key}人员", phone="13812345678")
        rows[key] = {
            "institution": inst,
            "inspector": insp,
            "conflict": f.conflict(insp, inst),
            "absence": InspectorAbsence.objects.create(
                inspector=insp, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 5), reason="培训"
            ),
        }
    return rows
