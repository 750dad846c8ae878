"""系统管理 → 用户 and the separated administrator roles (三权分立), through the pages and the CLI."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from spotcheck.accounts.models import User, UserSession
from spotcheck.audit.models import AuditEvent
from spotcheck.base.permissions import PERMISSIONS, can
from spotcheck.base.roles import Role
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def sysadmin():
    return f.user("t-sysadmin", Role.ADMIN, "")


@pytest.fixture
def secadmin():
    return f.user("t-secadmin", Role.SECURITY_ADMIN, "")


@pytest.fixture
def auditadmin():
    return f.user("t-auditadmin", Role.AUDIT_ADMIN, "")


def test_no_role_both_grants_rights_and_reads_the_audit_trail():
    for role, perms in PERMISSIONS.items():
        assert not ({"users", "admin"} & perms and "audit" in perms), role
        assert not ({"users"} & perms and {"plan", "draw", "approve", "review", "publish"} & perms), role
    assert PERMISSIONS[Role.SECURITY_ADMIN] == frozenset({"security"})


def test_each_administrator_reaches_only_his_pages(client, sysadmin, secadmin, auditadmin):
    pages = {"users": reverse("accounts:user-list"), "create": reverse("accounts:user-create"),
             "audit": reverse("audit:list"), "locks": reverse("accounts:locks"),
             "plans": reverse("planning:index")}
    expected = {
        sysadmin: {"users": 200, "create": 200, "audit": 403, "locks": 403, "plans": 200},
        secadmin: {"users": 200, "create": 403, "audit": 403, "locks": 200, "plans": 403},
        auditadmin: {"users": 403, "create": 403, "audit": 200, "locks": 403, "plans": 200},
    }
    for who, codes in expected.items():
        client.force_login(who)
        got = {k: client.get(url).status_code for k, url in pages.items()}
        assert got == codes, who.username


def test_create_user_with_one_time_password_that_must_be_changed(client, sysadmin):
    f.inspector(f.YANGCHENG, number="YC-INS-777")
    client.force_login(sysadmin)
    r = client.post(reverse("accounts:user-create"), {
        "username": "zhangsan", "display_name": "张三", "role": Role.INSPECTOR, "region_code": f.YANGCHENG,
        "inspector_number": "YC-INS-777"})
    assert r.status_code == 200 and "只显示这一次" in r.content.decode()
    secret = r.context["secret"]
    user = User.objects.get(username="zhangsan")
    assert user.must_change_password and user.check_password(secret) and user.inspector_number == "YC-INS-777"
    assert AuditEvent.objects.filter(action="accounts.user.create", object_id=str(user.pk), actor=sysadmin).exists()

    client.logout()
    r = client.post(reverse("login"), {"username": "zhangsan", "password": secret}, follow=True)
    assert r.redirect_chain[-1][0].startswith(reverse("password_change"))
    new = "Xin-Mima-2026!"
    r = client.post(reverse("password_change"), {"old_password": secret, "new_password1": new, "new_password2": new})
    assert r.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password and user.password_changed_at is not None
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("data, message", [
    ({"role": Role.INSPECTOR, "region_code": f.YANGCHENG, "inspector_number": "NOPE-1"}, "名录库中没有编号"),
    ({"role": Role.INSPECTOR, "region_code": f.YANGCHENG}, "须填写检查人员编号"),
    ({"role": Role.COUNTY_STAFF, "region_code": ""}, "请填写所属区域"),
    ({"role": Role.COUNTY_STAFF, "region_code": "999999"}, "所属区域"),
    ({"role": Role.INSTITUTION, "region_code": f.YANGCHENG, "institution_code": "H14999999999"}, "名录库中没有编码"),
])
def test_bad_accounts_are_refused_in_chinese(client, sysadmin, data, message):
    client.force_login(sysadmin)
    before = User.objects.count()
    r = client.post(reverse("accounts:user-create"), {"username": "bad-one", **data}, follow=True)
    assert message in r.content.decode()
    assert User.objects.count() == before


def test_nobody_changes_his_own_role_or_deactivates_himself(client, sysadmin, admin_user):
    client.force_login(sysadmin)
    r = client.post(reverse("accounts:user-detail", args=[sysadmin.pk]), {"role": Role.AUDIT_ADMIN, "region_code": ""})
    assert r.status_code == 403  # an administrator account is managed by the installation account only
    client.force_login(admin_user)
    r = client.post(reverse("accounts:user-detail", args=[admin_user.pk]),
                    {"role": Role.AUDIT_ADMIN, "region_code": ""}, follow=True)
    assert "不能修改自己的角色" in r.content.decode()
    client.force_login(sysadmin)
    r = client.post(reverse("accounts:user-deactivate", args=[sysadmin.pk]), {"reason": "试试"}, follow=True)
    assert "不能停用或启用自己的账号" in r.content.decode()
    sysadmin.refresh_from_db()
    assert sysadmin.role == Role.ADMIN and sysadmin.is_active


def test_a_system_administrator_cannot_touch_the_installation_account(client, sysadmin, admin_user):
    client.force_login(sysadmin)
    r = client.post(reverse("accounts:user-reset-password", args=[admin_user.pk]), {"reason": "x"})
    assert r.status_code == 403


def test_deactivation_ends_sessions_and_tokens_and_sign_in(client, sysadmin, county_user):
    from django.test import Client
    from knox.models import AuthToken

    theirs = Client()
    theirs.force_login(county_user)
    token = f.api_token(county_user)
    assert theirs.get(reverse("home")).status_code == 200
    client.force_login(sysadmin)
    r = client.post(reverse("accounts:user-deactivate", args=[county_user.pk]), {"reason": "调离"}, follow=True)
    assert "账号已停用" in r.content.decode()
    assert theirs.get(reverse("home")).status_code == 302  # signed out
    assert not AuthToken.objects.filter(user=county_user).exists()
    assert Client().get("/api/institutions/", HTTP_AUTHORIZATION=f"Token {token}").status_code in (401, 403)
    r = Client().post(reverse("login"), {"username": county_user.username, "password": f.PASSWORD})
    assert r.status_code == 200 and not r.wsgi_request.user.is_authenticated
    r = client.post(reverse("accounts:user-deactivate", args=[county_user.pk]), {"reason": ""}, follow=True)
    assert User.objects.get(pk=county_user.pk).is_active is False
    assert AuditEvent.objects.filter(action="accounts.user.deactivate", reason="调离").exists()


def test_reset_password_gives_a_one_time_password(client, sysadmin, county_user):
    client.force_login(sysadmin)
    r = client.post(reverse("accounts:user-reset-password", args=[county_user.pk]), {"reason": "忘记密码"})
    secret = r.context["secret"]
    county_user.refresh_from_db()
    assert county_user.must_change_password and county_user.check_password(secret)
    assert AuditEvent.objects.filter(action="accounts.user.reset_password", reason="忘记密码").exists()


def test_security_admin_ends_a_users_sessions(client, secadmin, county_user):
    from django.test import Client

    theirs = Client()
    theirs.force_login(county_user)
    assert UserSession.objects.filter(user=county_user).count() == 1
    client.force_login(secadmin)
    page = client.get(reverse("accounts:user-detail", args=[county_user.pk])).content.decode()
    assert "结束全部会话" in page and "重置密码" not in page  # security buttons only
    client.post(reverse("accounts:user-end-sessions", args=[county_user.pk]), {"reason": "可疑登录"})
    assert theirs.get(reverse("home")).status_code == 302
    assert not UserSession.objects.filter(user=county_user).exists()
    assert AuditEvent.objects.filter(action="accounts.session.end", object_id=str(county_user.pk)).exists()


def test_lockout_is_audited_and_a_security_admin_unlocks(client, secadmin):
    f.user("lock-me-2", Role.COUNTY_STAFF)
    for _ in range(5):
        client.post(reverse("login"), {"username": "lock-me-2", "password": "wrong"}, REMOTE_ADDR="10.0.0.9")
    assert AuditEvent.objects.filter(action="accounts.signin.failed").count() >= 4
    assert AuditEvent.objects.filter(action="accounts.lockout").exists()
    assert "wrong" not in "".join(AuditEvent.objects.values_list("reason", flat=True))
    other = client.__class__()
    other.force_login(secadmin)
    page = other.get(reverse("accounts:locks")).content.decode()
    assert "lock-me-2" in page
    other.post(reverse("accounts:locks"), {"kind": "username", "value": "lock-me-2", "reason": "本人电话核实"})
    other.post(reverse("accounts:locks"), {"kind": "ip_address", "value": "10.0.0.9", "reason": "本人电话核实"})
    assert AuditEvent.objects.filter(action="accounts.unlock", actor=secadmin).count() == 2
    r = client.post(reverse("login"), {"username": "lock-me-2", "password": f.PASSWORD}, REMOTE_ADDR="10.0.0.9")
    assert r.status_code == 302


def test_sign_in_and_out_are_audited_with_the_session(client, county_user):
    client.post(reverse("login"), {"username": county_user.username, "password": f.PASSWORD})
    assert UserSession.objects.filter(user=county_user).count() == 1
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=county_user).exists()
    actions = list(AuditEvent.objects.filter(object_id=str(county_user.pk)).values_list("action", flat=True))
    assert "accounts.signin" in actions and "accounts.signout" in actions


def test_superuser_obeys_the_two_person_rules(admin_user, world, staffed):
    from spotcheck.base.actions import ActionRefused
    from spotcheck.draws import actions as draw_actions

    task = f.make_task(world)
    draw = draw_actions.freeze(admin_user, task)
    draw_actions.check_staffing(admin_user, draw)
    draw_actions.propose_commit(admin_user, draw, ["中国福利彩票双色球第2026135期开奖号码"])
    with pytest.raises(ActionRefused, match="双人复核"):
        draw_actions.approve_commit(admin_user, draw)
    draw.refresh_from_db()
    assert draw.status == "commit_proposed" and not draw.commit


def test_superuser_does_not_review_his_own_record(admin_user, world, staffed, approver):
    from spotcheck.base.actions import ActionRefused
    from spotcheck.inspections import actions as insp_actions

    draw = f.make_started(world, admin_user, approver)
    insp = f.first_hospital_inspection()
    assert draw.pk and insp.assignment.draw_id == draw.pk
    f.recorded(admin_user, insp)
    with pytest.raises(ActionRefused, match="审核人不能是该检查结果的录入人"):
        insp_actions.review(admin_user, insp, True)


def test_cli_users(county_user):
    out = io.StringIO()
    call_command("users", "create", "cli-made", "--role", Role.COUNTY_STAFF, "--region", f.YANGCHENG,
                 "--name", "李四", stdout=out)
    assert "一次性密码" in out.getvalue()
    made = User.objects.get(username="cli-made")
    assert made.must_change_password and made.display_name == "李四"
    out = io.StringIO()
    call_command("users", "list", "--role", Role.COUNTY_STAFF, stdout=out)
    assert "cli-made" in out.getvalue() and county_user.username in out.getvalue()
    call_command("users", "deactivate", "cli-made", "--reason", "测试", stdout=io.StringIO())
    assert not User.objects.get(username="cli-made").is_active
    call_command("users", "reset", county_user.username, stdout=out)
    assert User.objects.get(pk=county_user.pk).must_change_password
    call_command("users", "unlock", county_user.username, stdout=io.StringIO())
    assert AuditEvent.objects.filter(action="accounts.unlock", actor_name="cli").exists()
    with pytest.raises(CommandError, match="没有用户名"):
        call_command("users", "reset", "nobody-here", stdout=io.StringIO())
    with pytest.raises(CommandError, match="已被使用"):
        call_command("users", "create", "cli-made", "--role", Role.AUDITOR, stdout=io.StringIO())


def test_permission_table_is_what_can_answers(sysadmin, secadmin, auditadmin):
    assert can(sysadmin, "users") and not can(sysadmin, "audit") and not can(sysadmin, "security")
    assert can(secadmin, "security") and not can(secadmin, "users") and not can(secadmin, "view")
    assert can(auditadmin, "audit") and not can(auditadmin, "users") and not can(auditadmin, "change")


def test_security_overview_shows_policy_keys_and_signs_a_checkpoint(client, secadmin, sysadmin):
    from spotcheck.audit.models import Checkpoint
    from spotcheck.base import crypto

    client.force_login(sysadmin)
    assert client.get(reverse("accounts:security-overview")).status_code == 403
    client.force_login(secadmin)
    page = client.get(reverse("accounts:security-overview")).content.decode()
    assert "登录失败锁定" in page and crypto.keyring().current in page and "+00:00" not in page
    f.inspector(f.YANGCHENG, phone="13812345678")
    page = client.get(reverse("accounts:security-overview")).content.decode()
    assert "13812345678" not in page and "（sm4gcm）：" in page
    before = Checkpoint.objects.count()
    r = client.post(reverse("accounts:security-overview"), follow=True)
    assert "已签发审计检查点" in r.content.decode()
    assert Checkpoint.objects.count() == before + 1


def test_a_system_administrator_cannot_make_or_take_over_administrators(client, sysadmin, secadmin, admin_user):
    """三权分立 beyond the permission table: a 系统管理员 could otherwise create an 审计管理员 (or reset one) and
    sign in with the one-time password he was shown."""
    client.force_login(sysadmin)
    form = client.get(reverse("accounts:user-create")).content.decode()
    assert 'value="audit_admin"' not in form and 'value="county_staff"' in form
    r = client.post(reverse("accounts:user-create"), {"username": "my-auditor", "role": Role.AUDIT_ADMIN}, follow=True)
    assert "role" in r.context["form"].errors and not User.objects.filter(username="my-auditor").exists()
    from spotcheck.accounts import actions
    from spotcheck.base.actions import ActionRefused

    with pytest.raises(ActionRefused, match="只能由安装账号"):
        actions.create_user(sysadmin, "my-auditor", {"role": Role.AUDIT_ADMIN})
    for name in ("user-reset-password", "user-deactivate"):
        assert client.post(reverse(f"accounts:{name}", args=[secadmin.pk]), {"reason": "x"}).status_code == 403
    assert User.objects.get(pk=secadmin.pk).is_active
    client.force_login(admin_user)  # the installation account does it
    r = client.post(reverse("accounts:user-create"), {"username": "new-auditor", "role": Role.AUDIT_ADMIN})
    assert r.status_code == 200 and User.objects.get(username="new-auditor").role == Role.AUDIT_ADMIN


def test_reserved_names_are_refused(client, sysadmin):
    client.force_login(sysadmin)
    r = client.post(reverse("accounts:user-create"), {"username": "anonymous", "role": Role.AUDITOR}, follow=True)
    assert "保留名称" in r.content.decode()


def test_ending_sessions_reaches_a_session_that_changed_its_password(client, secadmin, county_user):
    from django.test import Client

    theirs = Client()
    theirs.post(reverse("login"), {"username": county_user.username, "password": f.PASSWORD})
    new = "Neues-Passwort-2026"
    r = theirs.post(reverse("password_change"),
                    {"old_password": f.PASSWORD, "new_password1": new, "new_password2": new})
    assert r.status_code == 302 and theirs.get(reverse("home")).status_code == 200
    assert UserSession.objects.filter(user=county_user, session_key=theirs.session.session_key).exists()
    client.force_login(secadmin)
    client.post(reverse("accounts:user-end-sessions", args=[county_user.pk]), {"reason": "可疑"})
    assert theirs.get(reverse("home")).status_code == 302


def test_resets_revoke_api_tokens(client, sysadmin, secadmin, county_user):
    from knox.models import AuthToken

    f.api_token(county_user)
    client.force_login(sysadmin)
    client.post(reverse("accounts:user-reset-password", args=[county_user.pk]), {"reason": "泄露"})
    assert not AuthToken.objects.filter(user=county_user).exists()
    f.api_token(county_user)
    client.force_login(secadmin)
    client.post(reverse("accounts:user-reset-2fa", args=[county_user.pk]), {"reason": "手机丢失"})
    assert not AuthToken.objects.filter(user=county_user).exists()


def test_a_lockout_is_one_event_however_many_tries_follow(client):
    f.user("lock-many", Role.COUNTY_STAFF)
    for _ in range(12):
        client.post(reverse("login"), {"username": "lock-many", "password": "wrong"}, REMOTE_ADDR="10.0.0.77")
    assert AuditEvent.objects.filter(action="accounts.lockout").count() == 1
    # the failures up to the lock (the one that locks may be recorded as the lock only), none after it
    assert AuditEvent.objects.filter(action="accounts.signin.failed").count() in (4, 5)
    assert set(AuditEvent.objects.filter(action__startswith="accounts.").values_list("actor_name", flat=True)) \
        == {"anonymous"}  # never the account whose name was tried


def test_the_spotcheck_command_marks_its_events_as_command_line(capsys, monkeypatch):
    import django.core.management

    from spotcheck.audit.presentation import actor_text
    from spotcheck.cli import main

    # run the command as call_command does: Django's command-line entry closes every database connection at
    # the end, which would end the test's transaction on PostgreSQL
    monkeypatch.setattr(django.core.management, "execute_from_command_line", lambda argv: call_command(*argv[1:]))
    main(["users", "create", "cli-marked", "--role", Role.AUDITOR])
    assert "一次性密码" in capsys.readouterr().out
    event = AuditEvent.objects.get(action="accounts.user.create", object_repr__contains="cli-marked")
    assert event.request_id.startswith("cli-") and actor_text(event) == "命令行"


def test_the_django_admin_is_in_chinese(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/django-admin/").content.decode()
    assert "数据管理后台" in page and "Django administration" not in page and "Django 管理" not in page
