"""``audit verify`` holds the tracked tables to the chain (issue 11 § 1)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse

from spotcheck.accounts.models import User
from spotcheck.audit.actions import record
from spotcheck.audit.models import AuditEvent
from spotcheck.audit.state import TRACKED, capture
from spotcheck.audit.verify import verify_all, verify_data
from spotcheck.core.codes import make_fixmedins_code, make_uscc
from spotcheck.directory import actions as directory_actions
from spotcheck.directory.models import Institution
from tests import factories as f

_n = iter(range(900, 10_000))


def _new_institution(actor, **extra):
    """An institution written through the directory's action (so it has its creating event)."""
    n = next(_n)
    data = {
        "fixmedins_code": make_fixmedins_code("H", f.YANGCHENG, n), "uscc": make_uscc(f.YANGCHENG, n),
        "name": f"核对医院{n}", "kind": "H", "category": "hospital", "region_id": f.YANGCHENG,
    }
    data.update(extra)
    return directory_actions.create(actor, Institution, data, reason="测试")


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cur:
        cur.execute(sql, params)


@pytest.fixture
def written(db, admin_user):
    return [_new_institution(admin_user) for _ in range(3)]


def _only(labels=("directory.institution",)):
    return verify_data(labels=list(labels))


def test_rows_written_through_actions_verify(written, admin_user):
    directory_actions.update(admin_user, written[0], {"name": "改名后的医院"}, reason="更名")
    report = _only()
    assert report.ok, [d.describe() for d in report.differences]
    assert report.rows >= 3


def test_direct_update_is_found_with_key_field_and_values(written):
    inst = written[1]
    last = AuditEvent.objects.filter(object_type="directory.institution", object_id=str(inst.pk)).order_by("-seq")[0]
    _raw("UPDATE directory_institution SET name = %s WHERE id = %s", ["暗改的名字", inst.pk])
    report = _only()
    assert not report.ok
    [diff] = report.differences
    assert diff.problem == "changed" and diff.field == "name"
    assert diff.found == "暗改的名字" and diff.recorded == inst.name and diff.last_seq == last.seq
    text = diff.describe()
    assert inst.fixmedins_code in text and "机构名称" in text and "暗改的名字" in text and str(last.seq) in text


def test_choice_values_are_reported_as_labels(written):
    _raw("UPDATE directory_institution SET credit_grade = %s WHERE id = %s", ["优秀", written[0].pk])
    _raw("UPDATE directory_institution SET contract_status = %s WHERE id = %s", ["terminated", written[1].pk])
    texts = [d.describe() for d in _only().differences]
    assert any("解除" in t and "在协议" in t for t in texts), texts
    assert not any("terminated" in t for t in texts)


def test_insert_and_delete_behind_the_application_are_found(written):
    victim = written[2]
    _raw("DELETE FROM directory_institution WHERE id = %s", [victim.pk])
    ghost = f.institution()  # ORM create without an action: no event
    problems = {(d.problem, d.object_id) for d in _only().differences}
    assert ("deleted", str(victim.pk)) in problems
    assert ("no_event", str(ghost.pk)) in problems


def test_deletion_through_an_action_is_legitimate(written, admin_user):
    directory_actions.delete(admin_user, written[0], reason="误建")
    assert _only().ok


def test_event_state_is_hashed(written):
    """Editing the recorded state to match a direct change breaks the chain."""
    inst = written[0]
    _raw("UPDATE directory_institution SET name = %s WHERE id = %s", ["暗改", inst.pk])
    event = AuditEvent.objects.filter(object_type="directory.institution", object_id=str(inst.pk)).order_by("-seq")[0]
    state = dict(event.state, name="暗改")
    AuditEvent.objects.filter(pk=event.pk).update(state=state)
    report = verify_all()
    assert not report.chain.ok and report.chain.first_bad_seq == event.seq


def test_volatile_fields_are_excluded_by_declaration(written):
    assert "updated_at" in TRACKED["directory.institution"].exclude
    _raw("UPDATE directory_institution SET updated_at = %s WHERE id = %s", ["2020-01-01 00:00:00", written[0].pk])
    assert _only().ok
    assert "updated_at" not in capture(Institution.objects.get(pk=written[0].pk))


def test_digest_fields_record_no_value(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-password-123")
    call_command("createsuperuser", "--noinput", "--username", "root2", "--email", "r@example.org")
    user = User.objects.get(username="root2")
    event = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(user.pk)).order_by("-seq")[0]
    assert event.state["password"].startswith("sha256:") and user.password not in str(event.state)


def test_command_exits_1_naming_the_row(written, capsys):
    f.audit_baseline()  # rows of the test set-up (regions, users) written without actions
    call_command("audit", "verify")
    assert "数据与审计链记录一致" in capsys.readouterr().out
    _raw("UPDATE directory_institution SET name = %s WHERE id = %s", ["命令行发现", written[0].pk])
    with pytest.raises(CommandError, match="数据校验失败"):
        call_command("audit", "verify")
    err = capsys.readouterr().err
    assert written[0].fixmedins_code in err and "命令行发现" in err


def test_auditor_page_shows_the_differences(written, client_for, auditor_user):
    c = client_for(auditor_user)
    ok = c.post(reverse("audit:verify")).content.decode()
    assert "一致" in ok
    _raw("UPDATE directory_institution SET name = %s WHERE id = %s", ["页面发现", written[0].pk])
    page = c.post(reverse("audit:verify")).content.decode()
    assert "页面发现" in page and written[0].fixmedins_code in page and "机构名称" in page


def test_record_refuses_an_unsaved_row(db, admin_user):
    inst = Institution(name="未保存")
    with pytest.raises(ValueError):
        record(admin_user, "create", inst)


# --- the guard: a later write cannot launder a change made behind the application -------------------


@pytest.fixture
def guard_on(settings):
    settings.SPOTCHECK_AUDIT_GUARD = True


def test_a_later_edit_cannot_launder_a_direct_change(written, admin_user, guard_on):
    from spotcheck.audit.guard import TamperedRow

    inst = written[0]
    _raw("UPDATE directory_institution SET risk_flag = %s WHERE id = %s", [True, inst.pk])
    fresh = Institution.objects.get(pk=inst.pk)
    with pytest.raises(TamperedRow, match="重点监控"):
        directory_actions.update(admin_user, fresh, {"notes": "只改备注"}, reason="备注")
    with pytest.raises(TamperedRow):  # nor an event that would copy the row's state (e.g. a download)
        record(admin_user, "note", fresh)
    assert not _only().ok  # still reported


def test_the_api_answers_409_with_the_reason(written, admin_user, guard_on):
    from rest_framework.test import APIClient

    inst = written[0]
    _raw("UPDATE directory_institution SET name = %s WHERE id = %s", ["暗改", inst.pk])
    api = APIClient()
    api.force_authenticate(admin_user)
    r = api.patch(f"/api/institutions/{inst.pk}/", {"notes": "x"}, format="json")
    assert r.status_code == 409 and "审计记录不一致" in r.json()["detail"]


def test_accept_records_the_examined_values_with_a_reason(written, guard_on, capsys):
    inst = written[0]
    _raw("UPDATE directory_institution SET name = %s WHERE id = %s", ["核查后保留", inst.pk])
    with pytest.raises(CommandError, match="--reason"):
        call_command("audit", "accept", "directory.institution", str(inst.pk))
    call_command("audit", "accept", "directory.institution", str(inst.pk), "--reason", "经核查为更名，补记")
    assert _only().ok
    event = AuditEvent.objects.filter(action="audit.accept").get()
    assert event.state["name"] == "核查后保留" and event.reason == "经核查为更名，补记"


def test_event_page_shows_the_recorded_state_in_chinese(written, client_for, auditor_user):
    event = AuditEvent.objects.filter(object_type="directory.institution", object_id=str(written[0].pk)).first()
    page = client_for(auditor_user).get(reverse("audit:detail", args=[event.seq])).content.decode()
    assert "变更后完整状态" in page and "定点医药机构编码" in page and written[0].fixmedins_code in page
    assert "<th>协议状态</th><td>在协议</td>" in page  # choice labels, not stored keys
