"""The audit log in plain Chinese: action names, object types, actors, changed fields, times in Asia/Shanghai,
and search by business key (机构编码, 人员编号, 任务编号, 抽取编号, account)."""

from __future__ import annotations

import ast
import datetime as dt
import html
import itertools
import pathlib
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from spotcheck.accounts import actions as account_actions
from spotcheck.audit.actions import record
from spotcheck.audit.models import AuditEvent
from spotcheck.audit.presentation import ACTION_NAMES
from spotcheck.base.actions import SYSTEM_ACTOR
from spotcheck.base.roles import Role
from spotcheck.directory import actions as directory_actions
from spotcheck.directory.models import Institution
from tests import factories as f

ROOT = pathlib.Path(__file__).resolve().parents[2] / "spotcheck"
DOTTED = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")
#: The functions that record an action code, and the position of that argument (``None``: keyword only).
#: A wrapper that passes its own parameter on as the action must be listed here too (the test says so).
RECORDERS = {"record": 1, "record_rows": 1, "record_deletions": 1, "of": 1, "Pending": 0, "AuditEvent": None,
             "record_user_saved": 2, "record_states": 3, "_attempt_event": 0}


def _name(node: ast.AST | None) -> str | None:
    return node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def recorded_codes() -> tuple[set[str], list[tuple[str, str]], list[str]]:
    """Every action code the source records: (exact codes, (where, regex) of f-strings with a free part,
    call sites whose code cannot be told)."""
    exact: set[str] = set()
    patterns: list[tuple[str, str]] = []
    problems: list[str] = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        dicts = {t.id: node.value for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
                 for t in ([node.target] if isinstance(node, ast.AnnAssign) else node.targets)
                 if isinstance(t, ast.Name) and isinstance(node.value, ast.Dict)}
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

        def enclosing(node: ast.AST, parents: dict = parents, tree: ast.AST = tree) -> ast.AST:
            while node in parents:
                node = parents[node]
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    return node
            return tree

        for call in ast.walk(tree):
            if not isinstance(call, ast.Call) or (fn_name := _name(call.func)) not in RECORDERS:
                continue
            if fn_name == "of" and _name(getattr(call.func, "value", None)) != "Pending":
                continue
            arg = next((k.value for k in call.keywords if k.arg == "action"), None)
            position = RECORDERS[fn_name]
            if arg is None and position is not None and len(call.args) > position:
                arg = call.args[position]
            if arg is None:
                continue
            where = f"{path.relative_to(ROOT.parent)}:{call.lineno}"
            if isinstance(arg, ast.Attribute) and arg.attr == "action":
                continue  # passed on from a Pending (record_many)
            if isinstance(arg, ast.Name):
                fn = enclosing(call)
                params = ({a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
                          if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) else set())
                if arg.id in params:
                    if getattr(fn, "name", "") not in RECORDERS:
                        problems.append(f"{where}: the action is the parameter {arg.id!r} of {fn.name}(): "
                                        "add the function to RECORDERS")
                    continue
                found = set()
                for node in ast.walk(fn):
                    if isinstance(node, ast.Assign) and any(
                            arg.id in {x.id for x in ast.walk(t) if isinstance(x, ast.Name)} for t in node.targets):
                        found |= {s for s in _strings(node.value) if DOTTED.match(s)}
                found = found or {s for s in _strings(fn) if DOTTED.match(s)}  # a loop variable
                if not found:
                    problems.append(f"{where}: cannot tell the action codes of {arg.id!r}")
                exact |= found
            elif isinstance(arg, ast.JoinedStr):
                parts: list[list[str | None]] = []
                for v in arg.values:
                    if isinstance(v, ast.Constant):
                        parts.append([v.value])
                    elif isinstance(v.value, ast.IfExp) and all(
                            isinstance(x, ast.Constant) for x in (v.value.body, v.value.orelse)):
                        parts.append([v.value.body.value, v.value.orelse.value])
                    elif isinstance(v.value, ast.Subscript) and _name(v.value.value) in dicts:
                        parts.append([c.value for c in dicts[_name(v.value.value)].values])
                    else:
                        parts.append([None])
                for combo in itertools.product(*parts):
                    if None in combo:
                        patterns.append((where, "".join(re.escape(c) if c is not None else "[a-z0-9_]+"
                                                        for c in combo)))
                    else:
                        exact.add("".join(combo))
            else:
                found = _strings(arg)
                if not found:
                    problems.append(f"{where}: cannot tell the action code of {ast.unparse(arg)}")
                exact |= found
    return exact, patterns, problems


def test_every_recorded_action_code_has_a_chinese_name():
    exact, patterns, problems = recorded_codes()
    assert not problems
    assert len(exact) > 100, "the scan found too few codes: has the way events are recorded changed?"
    assert {"draw.commit_approve", "accounts.signin.failed", "api_token.revoke", "keys.reencrypt",
            "accounts.2fa.enable", "lenience.entry.change", "audit.baseline"} <= exact
    missing = sorted(exact - set(ACTION_NAMES))
    assert not missing, f"action codes without a Chinese name in audit/presentation.py: {missing}"
    for where, pattern in patterns:
        assert any(re.fullmatch(pattern, code) for code in ACTION_NAMES), f"{where}: no Chinese name for {pattern}"
    # credit.record.{status}: one name per status a record is withdrawn to
    assert {"credit.record.superseded", "credit.record.closed"} <= set(ACTION_NAMES)
    for name in ACTION_NAMES.values():
        assert re.search(r"[\u4e00-\u9fff]", name) and not re.search(r"[a-z]{3,}", name)


# --- what the pages show ---------------------------------------------------------------------------

INTERNAL = [
    (re.compile(r"\{'|': |\{\""), "a Python dict"),
    (re.compile(r"\+00:00|T\d\d:\d\d:\d\d"), "a UTC time"),
    (re.compile(r"\bTrue\b|\bFalse\b|\bNone\b"), "a Python constant"),
]


def _text(page: str) -> str:
    """The visible text of a page (tags removed, entities decoded)."""
    body = page.split("<main", 1)[-1].split(">", 1)[-1]
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def assert_plain(page: str, events: list[AuditEvent]) -> None:
    text = _text(page)
    for e in events:
        if e.action in ACTION_NAMES:
            assert e.action not in page, f"English action code {e.action} on the page"
            assert ACTION_NAMES[e.action] in text
    for pattern, what in INTERNAL:
        found = pattern.search(text)
        assert found is None, f"{what} on the page: …{text[max(0, found.start() - 60):found.end() + 60]}…"


@pytest.fixture
def named_user(db):
    return f.user("zhangsan", Role.COUNTY_STAFF, f.YANGCHENG, display_name="张三")


@pytest.fixture
def business(named_user):
    """Events of several kinds written through the real actions: a directory create and update (with masked
    personal data and a choice), a failed sign-in and a lockout, a CLI and a system event."""
    inst = directory_actions.create(named_user, Institution, {
        "fixmedins_code": f.make_fixmedins_code("H", f.YANGCHENG, 901), "name": "阳城县人民医院",
        "uscc": f.make_uscc(f.YANGCHENG, 901), "kind": "H", "category": "hospital", "region_id": f.YANGCHENG,
        "contact_phone": "13912345678",
    }, reason="新增")
    directory_actions.update(named_user, inst, {"name": "阳城县第一人民医院", "contact_phone": "13987654321"},
                             reason="更名")
    insp = f.inspector(number="RY-0042", id_number=f.make_id_number(f.YANGCHENG, dt.date(1980, 1, 1), 7, True))
    directory_actions.update(named_user, insp, {"phone": "13600001111", "status": "transferred"}, reason="调离")
    account_actions.sign_in_failed("zhangsan", "10.0.0.1")
    account_actions.locked("zhangsan", "10.0.0.1")
    record(SYSTEM_ACTOR, "holiday.set", object_type="policy.holidayoverride", object_id="1",
           after={"day": "2027-01-01", "is_workday": False, "created_at": "2026-12-01T02:03:04.000000+00:00"})
    record("system", "draw.commit_approve", inst, after={
        "commitment": "ab" * 32, "approved_at": "2026-05-01T16:30:00+00:00", "sources": ["国家统计局", "双色球"],
        "flags": {"credit_scaled": True, "cross_area": False}})
    return {"inst": inst, "insp": insp}


def test_list_and_detail_pages_are_plain_chinese(client_for, auditor_user, business):
    c = client_for(auditor_user)
    events = list(AuditEvent.objects.order_by("seq"))
    assert len(events) >= 7
    page = c.get(reverse("audit:list")).content.decode()
    assert_plain(page, events)
    text = _text(page)
    assert "张三（zhangsan）" in text and "匿名（登录失败）" in text and "命令行" in text and "系统" in text
    assert "定点医药机构" in text and "directory.institution" not in text
    for e in events:
        detail = c.get(reverse("audit:detail", args=[e.seq])).content.decode()
        assert_plain(detail, [e])


def test_detail_shows_changed_fields_in_chinese_and_local_time(client_for, auditor_user, business):
    c = client_for(auditor_user)
    update = AuditEvent.objects.get(action="update", object_type="directory.institution")
    text = _text(c.get(reverse("audit:detail", args=[update.seq])).content.decode())
    assert "变更内容" in text and "机构名称" in text and "联系电话" in text
    assert "阳城县人民医院" in text and "阳城县第一人民医院" in text
    assert "13987654321" not in text and "13912345678" not in text  # masked before and after
    assert re.search(r"139\*+5678", text) and re.search(r"139\*+4321", text)
    assert re.search(r"联系电话摘要\s+（仅记录摘要）", text) and not re.search(r"\bid\b", text)
    approve = AuditEvent.objects.get(action="draw.commit_approve")
    text = _text(c.get(reverse("audit:detail", args=[approve.seq])).content.decode())
    assert "2026-05-02 00:30:00" in text  # 16:30 UTC is 00:30 the next day in Asia/Shanghai
    assert "国家统计局、双色球" in text and "是" in text and "否" in text
    local = approve.at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M:%S")
    assert local in text
    insp = AuditEvent.objects.get(action="update", object_type="directory.inspector")
    text = _text(c.get(reverse("audit:detail", args=[insp.seq])).content.decode())
    assert "检查人员" in text and "13600001111" not in text and re.search(r"136\*+1111", text)
    assert "在岗" in text and "调离" in text and "transferred" not in text  # choices by their labels
    text = _text(c.get(reverse("audit:detail", args=[update.seq])).content.decode())
    assert "重点监控 否" in re.sub(r"\s+", " ", text)  # a boolean field of the recorded state as 是/否
    # the recorded full state of a tracked row: Chinese names, local times, digests not shown
    assert "变更后完整状态" in text and "sha256:" not in text


def test_unknown_codes_fall_back_to_a_generic_name_with_the_code_in_small_print(client_for, auditor_user, db):
    e = record("system", "made.up_step", object_type="nowhere.thing", object_id="7")
    c = client_for(auditor_user)
    for page in (c.get(reverse("audit:list")).content.decode(),
                 c.get(reverse("audit:detail", args=[e.seq])).content.decode()):
        assert "其他操作" in page and "其他对象" in page
        assert re.search(r"<small class=\"muted\"><code>made\.up_step</code></small>", page)


def _found(c, **query) -> set[tuple[str, str, str]]:
    r = c.get(reverse("audit:list"), query)
    assert r.status_code == 200
    return {(e.action, e.object_type, e.object_id) for e in r.context["page"]}


def test_search_by_business_key(client_for, auditor_user, named_user, business):
    inst, insp = business["inst"], business["insp"]
    other = f.institution()
    record(named_user, "update", other, before={"name": "甲"}, after={"name": "乙"})
    c = client_for(auditor_user)
    by_code = _found(c, institution=inst.fixmedins_code)
    assert by_code == {("create", "directory.institution", str(inst.pk)), ("update", "directory.institution", str(inst.pk)),
                       ("draw.commit_approve", "directory.institution", str(inst.pk))}
    assert _found(c, institution=inst.fixmedins_code[:8]) >= by_code  # a prefix
    assert _found(c, inspector="RY-0042") == {("update", "directory.inspector", str(insp.pk))}
    by_account = _found(c, account="zhangsan")
    assert {a for a, _t, _i in by_account} >= {"create", "update", "accounts.signin.failed", "accounts.lockout"}
    assert ("update", "directory.institution", str(other.pk)) in by_account  # done by the account
    assert _found(c, institution="H999999999999") == set()
    assert _found(c, action="登录失败") == {("accounts.signin.failed", "accounts.user", str(named_user.pk))}
    assert _found(c, action="accounts.lockout") == {("accounts.lockout", "accounts.user", str(named_user.pk))}


def test_search_by_task_and_draw_finds_related_rows(client_for, auditor_user, world, staffed, county_user):
    from spotcheck.draws import actions as draw_actions

    task = f.make_task(world)
    record(county_user, "task.status", task, before={"status": "draft"}, after={"status": "ready"})
    draw = draw_actions.freeze(county_user, task)
    c = client_for(auditor_user)
    by_task = _found(c, task=str(task.pk))
    assert ("task.status", "planning.task", str(task.pk)) in by_task
    assert ("draw.freeze", "draws.draw", str(draw.pk)) in by_task  # a draw of the task
    by_draw = _found(c, draw=draw.draw_id)
    assert ("draw.freeze", "draws.draw", str(draw.pk)) in by_draw
    assert all(t != "planning.task" for _a, t, _i in by_draw)
    r = c.get(reverse("audit:list"), {"task": str(task.pk)})
    assert_plain(r.content.decode(), list(r.context["page"]))


def test_crawl_of_generated_events(client_for, auditor_user, named_user, db):
    """A few dozen events of different kinds, actors and values: every list page and detail page is plain."""
    inst = f.institution()
    insp = f.inspector()
    values = [
        ({"status": "draft"}, {"status": "ready"}),
        (None, {"published_at": "2026-03-04T05:06:07.123456+00:00", "voided": True}),
        ({"items": [1, 2, 3]}, {"items": [2, 3, 4]}),
        ({"risk_flag": False}, {"risk_flag": True}),
        (None, {"counts": {"institutions": 12, "inspectors": 30}, "regions": ["140522", "140681"]}),
        (None, None),
        ("旧文本", "新文本"),
        ({"category": "hospital", "credit_grade": "A"}, {"category": "pharmacy", "credit_grade": "B"}),
    ]
    actors = [named_user, "system", "cli", "anonymous", "worker", SYSTEM_ACTOR]
    codes = sorted(ACTION_NAMES)
    events = []
    for n in range(40):
        obj = inst if n % 2 else insp
        before, after = values[n % len(values)]
        events.append(record(actors[n % len(actors)], codes[(n * 7) % len(codes)], obj, before=before, after=after,
                             reason=f"第 {n} 次"))
    c = client_for(auditor_user)
    for page_no in (1, 2):
        r = c.get(reverse("audit:list"), {"page": page_no} if page_no > 1 else {})
        assert_plain(r.content.decode(), events)
    for e in events:
        assert_plain(c.get(reverse("audit:detail", args=[e.seq])).content.decode(), [e])


def test_list_queries_do_not_grow_with_the_rows(client_for, auditor_user, named_user, db):
    inst = f.institution()

    def count(n: int) -> int:
        for i in range(n):
            record(named_user if i % 2 else "system", "update", inst, before={"name": "甲"}, after={"name": "乙"})
        c = client_for(auditor_user)
        c.get(reverse("audit:list"), {"institution": inst.fixmedins_code})
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("audit:list"), {"institution": inst.fixmedins_code}).status_code == 200
        return len(ctx.captured_queries)

    assert count(5) == count(15) <= 6
