"""``spotcheck credit evaluate | explain | create-account | add-model``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from spotcheck.accounts.models import Role, User
from spotcheck.audit.models import AuditEvent
from spotcheck.core.credit import DEFAULT_MODEL, model_to_dict
from spotcheck.credit.models import ScoringModelVersion


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("credit", *args, stdout=out)
    return out.getvalue()


def test_evaluate_and_explain(poor):
    out = run("evaluate", "--year", "2023")
    assert "2023 年度信用评价" in out and "较差\t0" in out  # the finding is recorded this year
    out = run("explain", poor["institution"].fixmedins_code)
    assert "信用等级：中等" in out or "信用等级：优秀" in out  # latest = the 2023 cycle evaluation
    from spotcheck.credit import actions

    actions.evaluate_subject("cli", poor["subject"])
    out = run("explain", poor["institution"].uscc)
    assert "信用等级：较差" in out and "得分：70" in out
    assert "拒不履行" in out and "-25" in out and "800.00 元" in out
    with pytest.raises(CommandError, match="没有代码"):
        run("explain", "NOPE")


def test_create_account(poor):
    code = poor["institution"].fixmedins_code
    out = run("create-account", code, "inst-cli")
    assert "初始密码" in out
    user = User.objects.get(username="inst-cli")
    assert (user.role, user.institution_code, user.region_code) == (Role.INSTITUTION, code, "140522")
    assert AuditEvent.objects.filter(action="accounts.user.create", actor_name="cli").exists()
    with pytest.raises(CommandError, match="已存在"):
        run("create-account", code, "inst-cli")
    with pytest.raises(CommandError, match="不存在"):
        run("create-account", "H00000000000", "x")


def test_add_model(db, tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps(model_to_dict(DEFAULT_MODEL) | {"version": "v2"}), encoding="utf-8")
    assert "v2" in run("add-model", str(path))
    assert ScoringModelVersion.objects.filter(version="v2").exists()
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="格式不正确"):
        run("add-model", str(path))
