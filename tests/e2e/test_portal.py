"""Browser test of the public portal (issue 5) on a phone: a citizen opens the product without an
account, goes to the 公示门户, finds an institution in 阳城县, reads its published result, downloads the
draw's package.json and the verifier draw.py and runs ``python3 draw.py verify package.json`` → OK
with the system Python.

Data: factories + draws actions (a revealed 阳城 draw whose inspections have started), reviewed
``Inspection`` rows and ``portal.actions.publish``.
"""

from __future__ import annotations

import subprocess

import pytest
from django.core.cache import cache

from spotcheck.portal import actions
from tests.factories import E2E_ARTIFACTS as ARTIFACTS
from tests.factories import full_run, make_inspections, make_task, start_inspections

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # regions come from a migration

SYSTEM_PYTHON = ["/usr/bin/env", "python3", "-I"]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def phone(browser, request):
    context = browser.new_context(locale="zh-CN", accept_downloads=True, **PHONE)
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth + 1")


def test_citizen_finds_a_result_and_verifies_the_draw(phone, live_server, world, staffed, county_user,  # noqa: F811
                                                      approver, tmp_path):  # noqa: F811
    cache.clear()
    task = make_task(world, name="2026年阳城县医保基金使用情况专项检查")
    draw = full_run(task, county_user, approver)
    start_inspections(task)
    inspections = make_inspections(draw, handling="责令退回违规费用 1,200.50 元，限期整改")
    pub = actions.publish(county_user, inspections[0])
    inst = pub.institution
    page = phone

    def shot(name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"portal-phone-{name}.png"), full_page=True)

    # 1. The product's front door leads an anonymous visitor to the portal.
    page.goto(f"{live_server.url}/")
    if "/portal/" not in page.url:  # "/" sends anonymous visitors to the login page, which links the portal
        page.get_by_role("link", name="公示门户", exact=True).click()
    page.wait_for_url("**/portal/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    shot("1-home")
    assert no_sideways_scroll(page)

    # 2. Find the institution: area 阳城县 and part of its name.
    page.get_by_label("区域").select_option(label="山西省晋城市阳城县")
    page.get_by_label("机构名称或定点医药机构编码").fill(inst.name)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=inst.name).click()
    page.wait_for_url(f"**/portal/institutions/{inst.fixmedins_code}/")
    assert page.get_by_role("heading", name=inst.name).is_visible()
    assert page.get_by_text("公示的信用等级").is_visible()
    shot("2-institution")
    assert no_sideways_scroll(page)

    # 3. Read the result.
    page.get_by_role("link", name=task.name).click()
    assert page.get_by_role("heading", name=f"{inst.name} 检查结果").is_visible()
    body = page.locator("main").inner_text()
    assert "发现问题已责令改正" in body and "责令退回违规费用 1,200.50 元" in body
    shot("3-result")
    assert no_sideways_scroll(page)

    # 4. The task: the drawn list, then the package and the verifier.
    page.locator("main").get_by_role("link", name=task.name).click()
    page.wait_for_url(f"**/portal/tasks/{task.pk}/")
    assert page.get_by_role("heading", name="抽中的机构与检查组").is_visible()
    shot("4-task")
    assert no_sideways_scroll(page)
    with page.expect_download() as got:
        page.get_by_role("link", name="下载完整结果包 package.json").click()
    got.value.save_as(tmp_path / "package.json")
    with page.expect_download() as got:
        page.locator("main").get_by_role("link", name="下载校验程序 draw.py").click()
    got.value.save_as(tmp_path / "draw.py")

    # 5. The plain-language guide, then run the verifier as an outsider would.
    page.get_by_role("link", name="如何验证").first.click()
    assert page.get_by_text("python draw.py verify package.json").first.is_visible()
    shot("5-verify")
    assert no_sideways_scroll(page)
    run = subprocess.run([*SYSTEM_PYTHON, "draw.py", "verify", "package.json"], cwd=tmp_path, capture_output=True,
                         text=True, env={"PATH": "/usr/bin:/bin"}, timeout=120)
    assert (run.returncode, run.stdout.strip()) == (0, "OK"), run.stderr
    for name in ("draw.py", "package.json"):
        assert (tmp_path / name).stat().st_size > 0
