"""不提前告知: the secret before the reveal, and who sees the drawn list and teams (pages and API)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.audit.models import AuditEvent
from spotcheck.core import draw as core
from spotcheck.draws import actions
from spotcheck.draws.models import DrawSecret
from spotcheck.planning.models import Task
from tests import factories as f
from tests.factories import commit, full_run, make_task


def pages(draw) -> list[str]:
    return [
        "/draws/", f"/draws/tasks/{draw.task_id}/", f"/draws/{draw.draw_id}/",
        f"/draws/{draw.draw_id}/commitment.json", f"/draws/{draw.draw_id}/package.json",
        "/api/draws/", f"/api/draws/{draw.draw_id}/", f"/api/draws/{draw.draw_id}/package/",
    ]


def test_secret_never_shown_before_the_reveal(world, staffed, county_user, approver, auditor_user, admin_user,
                                              client_for):
    draw = actions.freeze(county_user, make_task(world))
    commit(draw, county_user, approver)
    actions.propose_reveal(county_user, draw, "双色球 2026135: 03 07 12 19 25 31 + 09")
    secret = DrawSecret.objects.get(draw=draw).secret
    urls = [*pages(draw), "/django-admin/", "/api/"]
    for user in (county_user, approver, auditor_user, admin_user):
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert secret.encode() not in body, (user.username, url)
            assert secret.upper().encode() not in body, (user.username, url)
    for e in AuditEvent.objects.all():  # the audit log is readable by auditors
        assert secret not in f"{e.before}{e.after}{e.reason}{e.object_repr}"
    # the search works: after the reveal the secret is part of the package staff may download
    actions.approve_reveal(approver, draw)
    assert secret in client_for(county_user).get(f"/draws/{draw.draw_id}/package.json").content.decode()


@pytest.fixture
def revealed(world, staffed, county_user, approver):
    return full_run(make_task(world), county_user, approver)


def selected_codes(draw) -> list[str]:
    return [a.institution.fixmedins_code for a in draw.assignments.filter(active=True)]


def test_staff_of_the_area_and_auditors_see_the_results(revealed, county_user, auditor_user, admin_user, client_for):
    codes = selected_codes(revealed)
    for user in (county_user, auditor_user, admin_user):
        client = client_for(user)
        page = client.get(f"/draws/{revealed.draw_id}/").content.decode()
        assert all(code in page for code in codes), user.username
        detail = client.get(f"/api/draws/{revealed.draw_id}/").json()
        assert [a["fixmedins_code"] for a in detail["assignments"]] == revealed.package["result"]["order"]
        assert detail["preview"] is not None
        package = client.get(f"/api/draws/{revealed.draw_id}/package/")
        assert package.status_code == 200 and package.json() == revealed.package
        download = client.get(f"/draws/{revealed.draw_id}/package.json")
        assert download.status_code == 200 and download.json() == revealed.package
    assert AuditEvent.objects.filter(action="draw.download", actor_name=auditor_user.username).count() == 2


def test_other_areas_get_404(revealed, huairen_user, city_user, client_for):
    for user in (huairen_user, city_user):  # 怀仁 and 朔州 do not contain 阳城
        client = client_for(user)
        for url in pages(revealed):
            if url not in ("/draws/", "/api/draws/"):
                assert client.get(url).status_code == 404, (user.username, url)
        assert client.get("/api/draws/").json()["count"] == 0
        assert revealed.draw_id not in client.get("/draws/").content.decode()
        assert client.post(f"/api/draws/{revealed.draw_id}/approve-commit/").status_code in (403, 404)


def inspector_account(draw, username: str, member: bool):
    numbers = {m.inspector.number for a in draw.assignments.filter(active=True) for m in a.members.all()}
    number = sorted(numbers)[0] if member else "NOT-ON-ANY-TEAM"
    return f.user(username, Role.INSPECTOR, f.YANGCHENG, inspector_number=number), number


def test_inspectors_see_only_their_own_assignment_from_the_period_start(revealed, client_for):
    member, number = inspector_account(revealed, "t-insp-member", True)
    other, _ = inspector_account(revealed, "t-insp-other", False)
    codes = selected_codes(revealed)
    mine = [a.institution.fixmedins_code for a in revealed.assignments.filter(active=True, members__active=True,
                                                                              members__inspector__number=number)]
    assert mine and len(mine) < len(codes)

    def seen(user) -> tuple[set[str], set[str]]:
        client = client_for(user)
        page = client.get(f"/draws/{revealed.draw_id}/")
        assert page.status_code == 200
        body = page.content.decode()
        api = client.get(f"/api/draws/{revealed.draw_id}/").json()
        assert api["preview"] is None
        assert client.get(f"/api/draws/{revealed.draw_id}/package/").status_code == 404
        assert client.get(f"/draws/{revealed.draw_id}/package.json").status_code == 404
        return {c for c in codes if c in body}, {a["fixmedins_code"] for a in api["assignments"]}

    # before the inspections start: nothing, not even for a team member
    assert seen(member) == (set(), set())
    assert seen(other) == (set(), set())
    # from the period start: only their own assignment
    Task.objects.filter(pk=revealed.task_id).update(period_start=timezone.localdate() - dt.timedelta(days=1))
    assert seen(member) == (set(mine), set(mine))
    assert seen(other) == (set(), set())


def test_frozen_pool_hidden_from_inspectors(world, staffed, county_user, inspector_user, client_for):
    draw = actions.freeze(county_user, make_task(world))
    body = client_for(inspector_user).get(f"/draws/{draw.draw_id}/").content.decode()
    assert not any(u[0] in body for u in draw.units)
    assert "未纳入抽取的机构" not in body
    staff_body = client_for(county_user).get(f"/draws/{draw.draw_id}/").content.decode()
    assert "分层与样本量" in staff_body and "未纳入抽取的机构" in staff_body


def test_verifier_is_public(client):
    response = client.get("/draws/verifier/draw.py")
    assert response.status_code == 200
    assert 'filename="draw.py"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == Path(core.__file__).read_bytes()
