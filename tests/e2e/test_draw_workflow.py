"""Browser test of issue 3's “done when”: the 阳城 2023 task and the 朔州 2023 item are drawn end to end
in the browser (freeze → staffing check → commit → reveal, each approval by a second person), one
change event is requested and approved, an outsider verifies the downloaded package with the public
``draw.py`` under the system Python, and the draw pages keep other areas and inspectors out.

Data: ``demo_data --seed 1 --institutions 400`` and ``planning load-examples --year 2023``, as they
are: the demo's drawable inspectors hold certificates covering 2023 and its city departments are
sized for the city-wide 朔州 item, so both example tasks are staffable without help. Every
expectation is computed from the database or from the seed documents' figures, never from a
particular random outcome (the secret is random on each run).
"""

from __future__ import annotations

import datetime as dt
import io as stdio
import json
import re
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts.models import Role, User
from spotcheck.demo import generator as demo
from spotcheck.draws import actions, presenters, wording
from spotcheck.draws.models import Assignment, AssignmentMember, Draw, DrawStatus, EventStatus
from spotcheck.planning.models import Task, TeamSlot
from tests import factories as f
from tests.factories import E2E_ARTIFACTS as ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # regions come from a migration

SOURCE = "中国福利彩票双色球第2023115期开奖号码"
NUMBERS = "双色球 2023115: 03 07 12 19 25 31 + 09"
#: 阳城 2023 work plan: teams of 2 医保局 + 1 市监局 + 1 卫体局.
YANGCHENG_TEAM = {"阳城县医疗保障局": 2, "阳城县市场监督管理局": 1, "阳城县卫生健康和体育局": 1}
#: 朔州 附件3 第十一条 applied to the 3% item: grade → stratum ratio.
SHUOZHOU_PERCENT = {"优秀": "0.9%", "良好": "1.5%", "中等": "3%", "较差": "3.6%", "差": "100%"}
#: The system interpreter an outsider would use (never the project's venv).
SYSTEM_PYTHON = ["/usr/bin/env", "python3", "-I"]
SYSTEM_PATH = "/usr/bin:/bin"
_ROWS_JS = "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"
_MEMBER_RE = re.compile(r"([^、（]+)（([^，（]+)，([^）]+)）")


# --------------------------------------------------------------------------------------------
# data


def load_demo() -> dict[str, Task]:
    """Demo directory and accounts plus the 2023 examples; returns the tasks by area code."""
    out = stdio.StringIO()
    call_command("demo_data", "--seed", "1", "--institutions", "400", "--no-history", stdout=out, stderr=out)
    call_command("planning", "load-examples", "--year", "2023", stdout=out)
    tasks = {t.region_id: t for t in Task.objects.select_related("plan")}
    assert set(tasks) == {demo.CITY_CODE, f.YANGCHENG}, out.getvalue()
    return tasks


# --------------------------------------------------------------------------------------------
# browser helpers


@pytest.fixture
def sessions(browser, live_server) -> Iterator[Any]:
    """``sessions(username, password)``: a new browser context signed in through the login form."""
    contexts = []

    def open_session(username: str, password: str = demo.DEMO_PASSWORD) -> Any:
        context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900}, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if username:
            page.goto(f"{live_server.url}/accounts/login/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(password)
            follow(page.get_by_role("button", name="登录"))
            assert "/accounts/login/" not in page.url, f"{username} could not sign in"
        return page

    yield open_session
    for context in contexts:
        context.close()


@pytest.fixture
def snap(request):
    """``snap(page, "step")`` saves a full-page screenshot named after the test and the step."""

    def take(page: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def follow(locator: Any) -> None:
    """Click a link or submit button and wait until the page it leads to has loaded."""
    with locator.page.expect_navigation():
        locator.click()


def submit(locator: Any, success: str) -> None:
    """Click a POST button and check the flash message of the page it redirects to."""
    page = locator.page
    follow(locator)
    errors = page.locator(".messages .msg-error").all_inner_texts()
    assert not errors, errors
    assert success in page.locator(".messages .msg-success").inner_text()


def table(locator: Any) -> list[dict[str, str]]:
    """The body rows of the table ``locator`` as ``{header: cell text}``."""
    headers = [h.strip() for h in locator.locator("thead th").all_inner_texts()]
    rows = locator.locator("tbody tr").evaluate_all(_ROWS_JS)
    return [dict(zip(headers, cells, strict=True)) for cells in rows if len(cells) == len(headers)]


def members(cell: str) -> list[tuple[str, str, str]]:
    """``[(name, number, department)]`` of a 检查组 cell."""
    return _MEMBER_RE.findall(cell)


def draw_url(live_server: Any, draw: Draw) -> str:
    return f"{live_server.url}{reverse('draws:detail', args=[draw.draw_id])}"


# --------------------------------------------------------------------------------------------
# the workflow, step by step, as two people


def open_task(page: Any, live_server: Any, task: Task) -> None:
    """随机抽取 → 待抽取的任务 → 进入抽取."""
    page.goto(f"{live_server.url}/")
    follow(page.get_by_role("navigation", name="主导航").get_by_role("link", name="随机抽取"))
    row = page.get_by_role("row").filter(has_text=task.name)
    follow(row.get_by_role("link", name="进入抽取"))
    page.get_by_role("heading", name=task.name, level=1).wait_for()


def check_preview(page: Any, draw: Draw, team: dict[str, int]) -> list[dict[str, str]]:
    """The frozen preview shows N and n per stratum, the exclusions and the team needs of ``draw``."""
    preview = page.locator("#preview")
    strata = table(preview.locator("table").first)
    expected = presenters.strata_rows(draw)
    assert [(r["层"], r["抽取比例"], r["取整方式"], r["机构数 N"], r["抽取数 n"]) for r in strata] == [
        (wording.stratum_label(e["stratum"]), wording.ratio_percent(e["ratio"]), wording.rounding_label(e["rounding"]),
         str(e["population"]), str(e["sample_size"])) for e in expected
    ]
    assert f"抽取对象 {len(draw.units)} 家；未纳入 {draw.exclusions.count()} 家" in preview.inner_text()
    excluded = table(preview.locator("table").last)
    codes = sorted(e.institution.fixmedins_code for e in draw.exclusions.select_related("institution"))
    assert sorted(re.search(r"（(\w+)）$", r["机构"]).group(1) for r in excluded) == codes
    needs = table(preview.locator("table").nth(1))
    n = sum(e["sample_size"] for e in expected)
    assert [(r["部门"], r["每组人数"], r["需要人次（人数 × 抽中机构数）"]) for r in needs] == [
        (dept, str(count), str(count * n)) for dept, count in team.items()
    ]
    return strata


def run_draw(staff: Any, lead: Any, live_server: Any, task: Task, team: dict[str, int], snap: Any) -> Draw:
    """Walk ``task`` through the whole draw: ``staff`` proposes every step, ``lead`` approves them."""
    open_task(staff, live_server, task)
    snap(staff, "task")
    submit(staff.get_by_role("button", name="冻结抽取范围"), "已冻结抽取范围")
    draw = Draw.objects.get(task=task)
    assert staff.url == draw_url(live_server, draw)
    check_preview(staff, draw, team)
    snap(staff, "1-frozen")

    submit(staff.locator("#staffing").get_by_role("button", name="检查人员配置"), "已完成人员配置检查")
    assert "通过" in staff.locator("#staffing .badge").inner_text()
    snap(staff, "2-staffing")

    staff.get_by_label("公开随机源（每行一个）").fill(SOURCE)
    submit(staff.get_by_role("button", name="发起提交"), "已发起提交，等待审批")
    snap(staff, "3-commit-proposed")
    self_approval_refused(staff, "审批并生成承诺", draw, DrawStatus.COMMIT_PROPOSED)

    lead.goto(staff.url)
    assert SOURCE in lead.locator("#commit").inner_text()
    submit(lead.get_by_role("button", name="审批并生成承诺"), "承诺已生成，可以公布")
    draw.refresh_from_db()
    assert draw.status == DrawStatus.COMMITTED
    box = lead.locator("#commitment").inner_text()
    for key in ("draw_id", "snapshot_digest", "params_digest", "commit"):
        assert draw.commitment[key] in box
    assert SOURCE in box
    snap(lead, "4-committed")

    staff.reload()
    staff.get_by_label("公开随机数（原文照录）").fill(NUMBERS)
    submit(staff.get_by_role("button", name="发起揭示"), "已发起揭示，等待审批")
    snap(staff, "5-reveal-proposed")
    self_approval_refused(staff, "审批并揭示", draw, DrawStatus.REVEAL_PROPOSED)

    lead.goto(staff.url)
    assert NUMBERS in lead.locator("#reveal").inner_text()
    submit(lead.get_by_role("button", name="审批并揭示"), "已揭示抽取结果")
    draw.refresh_from_db()
    assert draw.status == DrawStatus.REVEALED
    check_results(lead, draw, team)
    snap(lead, "6-revealed")
    return draw


def self_approval_refused(page: Any, button: str, draw: Draw, status: str) -> None:
    """The proposer cannot approve their own proposal: no button for a user without ``approve``; for
    one with it (the page still offers the button) the two-person rule refuses."""
    own = page.get_by_role("button", name=button)
    if own.count():
        follow(own)
        assert "双人复核" in page.locator(".messages .msg-error").inner_text()
    draw.refresh_from_db()
    assert draw.status == status


def check_results(page: Any, draw: Draw, team: dict[str, int]) -> list[dict[str, str]]:
    """The results table lists the active assignments in order, each with a full team."""
    rows = table(page.locator("#results table"))
    active = list(draw.assignments.filter(active=True).select_related("institution").order_by("position"))
    assert [r["机构"] for r in rows] == [str(a.institution) for a in active]
    assert len(rows) == sum(s["sample_size"] for s in draw.package["result"]["strata"].values())
    for row, a in zip(rows, active, strict=True):
        team_on_page = members(row["检查组"])
        assert Counter(dept for _name, _number, dept in team_on_page) == Counter(team), row
        assert [number for _n, number, _d in team_on_page] == list(
            a.members.filter(active=True).order_by("position").values_list("inspector__number", flat=True))
    return rows


def replace_inspector(staff: Any, lead: Any, draw: Draw, snap: Any) -> AssignmentMember:
    """Request (``staff``) and approve (``lead``) replacing the first inspector of the first target
    because the institution asked for the recusal; returns the replaced membership."""
    member = (AssignmentMember.objects.filter(active=True, assignment__active=True, assignment__draw=draw)
              .select_related("inspector", "inspector__department", "assignment__institution")
              .order_by("assignment__position", "position").first())
    staff.reload()
    form = staff.locator("form").filter(has=staff.get_by_label("被替换的检查人员"))
    form.get_by_label("被替换的检查人员").select_option(value=str(member.pk))
    # the unit and inspector forms share field ids (see the report), so these two go by name
    form.locator("select[name=reason_kind]").select_option(label="被检查对象申请回避")
    form.locator("input[name=reason]").fill("机构来函申请该检查人员回避")
    submit(form.get_by_role("button", name="提交申请"), "变更申请已提交，等待另一人审批")
    snap(staff, "7-event-requested")

    lead.goto(staff.url)
    events = lead.locator("#events table")
    row = events.get_by_role("row").filter(has_text=member.inspector.number)
    assert "待审批" in row.inner_text()
    submit(row.get_by_role("button", name="批准"), "变更已生效")
    snap(lead, "8-event-approved")

    event = draw.events.get()
    assert event.status == EventStatus.APPROVED and event.inspector_id == member.inspector_id
    member.refresh_from_db()
    assert not member.active and member.replaced_by_event_id == event.pk
    team_now = list(member.assignment.members.filter(active=True).select_related("inspector__department"))
    assert member.inspector_id not in {m.inspector_id for m in team_now}
    newcomer = next(m for m in team_now if m.position == member.position)
    assert newcomer.inspector.department_id == member.inspector.department_id

    row = table(events)[0]
    assert (row["序号"], row["类型"], row["状态"]) == ("1", "替换检查人员", "已生效")
    assert row["检查人员"] == f"{member.inspector.name}（{member.inspector.number}）"
    assert row["原因"] == "被检查对象申请回避：机构来函申请该检查人员回避"
    cell = next(r["检查组"] for r in table(lead.locator("#results table"))
                if r["机构"] == str(member.assignment.institution))
    numbers = [number for _n, number, _d in members(cell)]
    assert member.inspector.number not in numbers and newcomer.inspector.number in numbers
    return member


# --------------------------------------------------------------------------------------------
# the outsider's verification


def run_verifier(folder: Path, package: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SYSTEM_PYTHON, "draw.py", "verify", package], cwd=folder, capture_output=True,
                          text=True, env={"PATH": SYSTEM_PATH, "LANG": "C.UTF-8"}, timeout=120)


def outsider_verifies(staff: Any, sessions: Any, live_server: Any, draw: Draw, folder: Path) -> None:
    """The staff downloads the package; a visitor who is not signed in fetches ``draw.py``; the
    system Python says OK, and a package with one selected label changed fails."""
    with staff.expect_download() as info:
        staff.get_by_role("link", name="下载结果包（JSON）").click()
    info.value.save_as(folder / "package.json")
    assert info.value.suggested_filename == f"{draw.draw_id}-package.json"

    href = staff.get_by_role("link", name="下载校验程序 draw.py").get_attribute("href")
    visitor = sessions("")
    response = visitor.context.request.get(f"{live_server.url}{href}")
    assert response.ok, response.status
    (folder / "draw.py").write_bytes(response.body())

    version = subprocess.run([*SYSTEM_PYTHON, "-c", "import sys; print(sys.prefix == sys.base_prefix)"],
                             capture_output=True, text=True, env={"PATH": SYSTEM_PATH})
    assert version.stdout.strip() == "True", "the verifier must run outside any virtualenv"
    result = run_verifier(folder, "package.json")
    assert (result.returncode, result.stdout.strip()) == (0, "OK"), result.stdout + result.stderr

    package = json.loads((folder / "package.json").read_text(encoding="utf-8"))
    (folder / "control.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    assert run_verifier(folder, "control.json").returncode == 0  # re-serialising alone changes nothing
    stratum = next(s for s in package["result"]["strata"].values() if s["selected"] and s["reserve"])
    stratum["selected"][0] = stratum["reserve"][0]
    (folder / "tampered.json").write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    tampered = run_verifier(folder, "tampered.json")
    assert tampered.returncode != 0 and tampered.stdout.strip() != "OK", tampered.stdout


# --------------------------------------------------------------------------------------------
# tests


def test_yangcheng_2023_draw_event_and_outsider_verification(sessions, live_server, snap, tmp_path):
    tasks = load_demo()
    task = tasks[f.YANGCHENG]
    assert task.credit_scaled is False and (task.ratio_num, task.ratio_den) == (5, 100)
    assert (task.period_start, task.period_end) == (dt.date(2023, 10, 1), dt.date(2023, 12, 31))
    assert {d.name for d in task.joint_departments.all()} == {"阳城县市场监督管理局", "阳城县卫生健康和体育局"}

    staff, lead = sessions("demo-county"), sessions("demo-county-lead")
    draw = run_draw(staff, lead, live_server, task, YANGCHENG_TEAM, snap)
    assert {r["percent"] for r in presenters.strata_rows(draw)} == {"5%"}  # flat: not credit-scaled
    task.refresh_from_db()
    assert task.get_status_display() == "已抽取"

    replace_inspector(staff, lead, draw, snap)
    staff.reload()
    outsider_verifies(staff, sessions, live_server, draw, tmp_path)
    snap(staff, "9-files")


def test_shuozhou_credit_scaled_item(sessions, live_server, snap, tmp_path):
    tasks = load_demo()
    task = tasks[demo.CITY_CODE]
    assert task.credit_scaled and (task.ratio_num, task.ratio_den) == (3, 100)
    f.user("e2e-sz-lead", Role.CITY_ADMIN, demo.CITY_CODE, display_name="朔州市局复核人")
    team = {s.department.name: s.count for s in task.slots.select_related("department").order_by("order", "id")}

    staff, lead = sessions("demo-city"), sessions("e2e-sz-lead", f.PASSWORD)
    draw = run_draw(staff, lead, live_server, task, team, snap)
    staff.reload()
    rows = table(staff.locator("#preview table").first)
    grades = {r["层"].rsplit(" · ", 1)[1]: r["抽取比例"] for r in rows}
    assert {"良好", "差"} <= set(grades), grades
    assert grades == {g: SHUOZHOU_PERCENT[g] for g in grades}
    assert {r["层"].split(" · ")[1] for r in rows} == {"医疗机构"}  # item 2 targets 定点医疗机构 only
    full = [r for r in rows if r["层"].endswith(" · 差")]
    assert all(r["机构数 N"] == r["抽取数 n"] for r in full)

    replace_inspector(staff, lead, draw, snap)
    staff.reload()
    outsider_verifies(staff, sessions, live_server, draw, tmp_path)


def docx_text(data: bytes) -> str:
    """All paragraph and table-cell text of a DOCX file."""
    doc = docx.Document(stdio.BytesIO(data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _future_draw(task: Task, proposer: User, approver: User) -> Draw:
    """A copy of ``task`` whose inspections start in 30 days, drawn through ``draws.actions``."""
    today = timezone.localdate()
    future = Task.objects.create(
        plan=task.plan, region_id=task.region_id, seq=task.seq + 1, name=f"{task.name}（下一轮）",
        period_start=today + dt.timedelta(days=30), period_end=today + dt.timedelta(days=90),
        ratio_num=task.ratio_num, ratio_den=task.ratio_den, credit_scaled=task.credit_scaled,
        responsible_department=task.responsible_department, cap=task.cap,
    )
    future.items.set(task.items.all())
    for slot in task.slots.all():
        TeamSlot.objects.create(task=future, department=slot.department, count=slot.count, order=slot.order)
    draw = actions.freeze(proposer, future)
    actions.check_staffing(proposer, draw)
    actions.propose_commit(proposer, draw, [SOURCE])
    draw = actions.approve_commit(approver, draw)
    actions.propose_reveal(proposer, draw, NUMBERS)
    draw = actions.approve_reveal(approver, draw)
    assert draw.status == DrawStatus.REVEALED, draw.error_message
    return draw


def team_numbers(draw: Draw) -> list[str]:
    """Numbers of the inspectors in an active team of ``draw``."""
    return list(AssignmentMember.objects.filter(active=True, assignment__active=True, assignment__draw=draw)
                .values_list("inspector__number", flat=True).distinct())


def test_other_areas_and_inspectors_do_not_see_the_selection(sessions, live_server, snap):
    tasks = load_demo()
    county, lead = User.objects.get(username="demo-county"), User.objects.get(username="demo-county-lead")
    inspector = User.objects.get(username="demo-inspector")
    past = tasks[f.YANGCHENG]
    done = actions.freeze(county, past)
    actions.check_staffing(county, done)
    actions.propose_commit(county, done, [SOURCE])
    actions.approve_commit(lead, done)
    actions.propose_reveal(county, done, NUMBERS)
    done = actions.approve_reveal(lead, done)
    future = _future_draw(past, county, lead)

    # another county's staff: every page and file of the draw is a 404
    f.user("e2e-huairen", Role.COUNTY_STAFF, f.HUAIREN)
    huairen = sessions("e2e-huairen", f.PASSWORD)
    for path in (reverse("draws:detail", args=[done.draw_id]), reverse("draws:task", args=[past.pk]),
                 reverse("draws:package", args=[done.draw_id]), reverse("draws:commitment", args=[done.draw_id])):
        assert huairen.goto(f"{live_server.url}{path}").status == 404, path
    huairen.goto(f"{live_server.url}{reverse('draws:index')}")
    assert done.draw_id not in huairen.inner_text("main")
    snap(huairen, "huairen-index")

    # the inspector: nothing before the inspections start, even when in a team …
    in_both = sorted(set(team_numbers(done)) & set(team_numbers(future)))
    assert in_both, "some inspector should be in a team of both draws"
    if inspector.inspector_number not in in_both:  # the secret is random: sign in as one who is
        inspector.inspector_number = in_both[0]
        inspector.save(update_fields=["inspector_number"])
    mine = Assignment.objects.filter(draw=future, active=True, members__active=True,
                                     members__inspector__number=inspector.inspector_number)
    assert mine.exists()
    page = sessions("demo-inspector")
    page.goto(draw_url(live_server, future))
    results = page.locator("#results")
    assert "抽取结果在检查开始前保密" in results.inner_text()
    assert results.locator("table").count() == 0 and page.locator("#preview").count() == 0
    assert page.get_by_role("link", name="下载结果包（JSON）").count() == 0
    assert page.goto(f"{live_server.url}{reverse('draws:package', args=[future.draw_id])}").status == 404
    record_url = f"{live_server.url}{reverse('draws:record', args=[future.draw_id, 'docx'])}"
    order = future.package["result"]["order"]
    text = docx_text(page.context.request.get(record_url).body())
    assert future.draw_id in text and not [code for code in order if code in text]
    staff_copy = docx_text(sessions("demo-county").context.request.get(record_url).body())
    assert all(code in staff_copy for code in order)  # the staff's record does list them
    page.goto(draw_url(live_server, future))
    snap(page, "inspector-future")

    # … and once they have started (2023), only the assignments of their own teams
    page.goto(draw_url(live_server, done))
    own = Assignment.objects.filter(draw=done, active=True, members__active=True,
                                    members__inspector__number=inspector.inspector_number).order_by("position")
    assert own.exists()
    shown = [r["机构"] for r in table(page.locator("#results table"))]
    assert shown == [str(a.institution) for a in own.select_related("institution")]
    assert len(shown) < done.assignments.filter(active=True).count()
    snap(page, "inspector-past")
