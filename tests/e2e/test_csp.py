"""Browser test of the Content-Security-Policy (django-csp, ``settings/base.py``): no page of the product breaks it.

Chromium walks the public portal (anonymous, desktop), the staff pages as a city administrator (desktop; Swagger UI
and DRF's browsable API included), the audit pages as an auditor, user management as the security administrator,
the Django admin as the installation administrator, and the phone pages as an inspector (375×812). Every document gets,
before its own scripts, a listener for ``securitypolicyviolation`` (an init script; Playwright injects it
outside the page's policy) that hands each violation to Python; console messages about the policy are
collected too. Each page must answer with the header, and no page may report a violation. A second test proves
the watch can fail: a page with an inline script and an inline style attribute, and a script element created
from the page, are each reported (and blocked) under the same policy.

Data: ``demo_data --seed 1 --institutions 400`` with its history (two 2023 tasks drawn, inspected, reviewed and
published; credit files; a screening run), built once for the walk.
"""

from __future__ import annotations

import io as stdio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, reverse

from spotcheck.accounts.models import User
from spotcheck.audit.models import AuditEvent
from spotcheck.credit.models import CreditSubject
from spotcheck.demo import generator as demo
from spotcheck.directory.models import Conflict, Inspector, Institution
from spotcheck.draws.models import AssignmentMember, Draw
from spotcheck.inspections.models import Inspection
from spotcheck.planning.models import CheckItem
from spotcheck.portal.models import Publication
from spotcheck.screening.models import ClaimBatch, ScreeningRun
from tests.factories import E2E_ARTIFACTS as ARTIFACTS

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # regions come from a migration

DESKTOP = {"viewport": {"width": 1366, "height": 900}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True}
CITY = demo.CITY_CODE  # 朔州市: demo-city's area
COUNTY = "140522"  # 阳城县: demo-inspector's area

#: Runs in every document (and frame) before the page's own scripts.
WATCH_JS = """
window.__cspWatch = true;
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspReport({page: document.location.href, directive: e.effectiveDirective || e.violatedDirective,
                      blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber, sample: e.sample,
                      disposition: e.disposition});
}, true);
"""
#: Lets the browser finish what it does after ``load`` (htmx's start-up, Swagger UI's rendering) and deliver
#: the violation events, which are queued as tasks.
SETTLE_JS = "() => new Promise(r => requestAnimationFrame(() => setTimeout(r, 50)))"


class Watch:
    """Browser contexts whose every page reports policy violations and policy console messages here."""

    def __init__(self, browser: Any) -> None:
        self.browser = browser
        self.contexts: list[Any] = []
        self.violations: list[dict[str, Any]] = []
        self.console: list[str] = []
        self.visited: list[str] = []

    def open(self, username: str = "", password: str = demo.DEMO_PASSWORD, *, base: str, **options: Any) -> Any:
        context = self.browser.new_context(locale="zh-CN", **(options or DESKTOP))  # never bypass_csp
        self.contexts.append(context)
        context.expose_binding("__cspReport", lambda source, v: self.violations.append(v))
        context.add_init_script(WATCH_JS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", self._console)
        if username:
            self.visit(page, base, "/accounts/login/")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(password)
            with page.expect_navigation():
                page.get_by_role("button", name="登录").click()
            assert "/accounts/login/" not in page.url, f"{username} could not sign in"
            self.settle(page)
        return page

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(f"{message.page.url if message.page else '?'}: {message.text}")

    @staticmethod
    def settle(page: Any) -> None:
        page.evaluate(SETTLE_JS)

    def visit(self, page: Any, base: str, url: str, *, status: int = 200, wait_for: str = "") -> Any:
        """Open ``url``; check the answer, its policy header and that the watch runs in the document."""
        response = page.goto(base + url)
        assert response is not None and response.status == status, f"{url}: HTTP {response and response.status}"
        header = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in header and "unsafe-inline" not in header.split("script-src")[1].split(";")[0], \
            f"{url}: Content-Security-Policy {header!r}"
        assert page.evaluate("window.__cspWatch === true"), f"{url}: the violation listener is not installed"
        if wait_for:
            page.locator(wait_for).first.wait_for()
        self.settle(page)
        self.visited.append(url)
        return response

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def watch(browser) -> Iterator[Watch]:
    w = Watch(browser)
    yield w
    w.close()


def load_demo() -> None:
    call_command("demo_data", "--seed", "1", "--institutions", "400", stdout=stdio.StringIO(), stderr=stdio.StringIO())


def _shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"csp-{name}.png"), full_page=True)


def test_no_page_violates_the_content_security_policy(watch, live_server):
    load_demo()
    base = live_server.url
    pub = Publication.objects.select_related("institution", "inspection__task").order_by("pk").first()
    city_draw = Draw.objects.select_related("task__plan").get(task__region_id=CITY)
    task, plan = city_draw.task, city_draw.task.plan
    city_insp = Inspection.objects.filter(task=task).order_by("pk").first()
    item = CheckItem.objects.filter(task=task).order_by("pk").first()
    inst = Institution.objects.filter(region__code__startswith=CITY[:4]).order_by("pk").first()
    inspector = Inspector.objects.filter(region__code__startswith=CITY[:4]).order_by("pk").first()
    conflict = Conflict.objects.order_by("pk").first()
    subject = CreditSubject.objects.filter(institution__region__code__startswith=CITY[:4]).order_by("pk").first()
    run = ScreeningRun.objects.select_related("batch").order_by("pk").first()
    batch = run.batch if run else ClaimBatch.objects.order_by("pk").first()
    event = AuditEvent.objects.order_by("-seq").first()
    assert all([pub, item, inst, inspector, conflict, subject, run, event]), "the demo lacks something to show"

    # --- the public portal, anonymous
    page = watch.open(base=base)
    for url in [
        reverse("portal:home"), reverse("portal:results"), reverse("portal:result", args=[pub.pk]),
        reverse("portal:institutions"), reverse("portal:institution", args=[pub.institution.fixmedins_code]),
        reverse("portal:tasks"), reverse("portal:task", args=[pub.inspection.task_id]),
        reverse("portal:draw", args=[city_draw.draw_id]), reverse("portal:items"), reverse("portal:verify"),
        reverse("portal:data"), reverse("portal:audit-checkpoints"), reverse("credit:public-list"),
        reverse("portal:stats"), f"{reverse('portal:stats')}?year=2023",
    ]:
        watch.visit(page, base, url)
    assert page.locator("svg.p-chart").count() >= 2, "the statistics page shows its charts"
    _shot(page, "portal-stats")
    watch.visit(page, base, "/portal/no-such-page/", status=404)
    watch.visit(page, base, "/accounts/login/")

    # --- staff pages, city administrator (朔州市)
    page = watch.open("demo-city", base=base)
    staff = [
        "/",
        reverse("directory:institution-list"), reverse("directory:institution-detail", args=[inst.pk]),
        reverse("directory:institution-edit", args=[inst.pk]), reverse("directory:institution-create"),
        reverse("directory:inspector-list"), reverse("directory:inspector-detail", args=[inspector.pk]),
        reverse("directory:inspector-create"), reverse("directory:conflict-list"),
        reverse("directory:conflict-detail", args=[conflict.pk]), reverse("directory:conflict-create"),
        reverse("directory:region-list"), reverse("directory:department-list"),
        reverse("directory:import", args=["institutions"]),
        reverse("planning:index"), reverse("planning:itemlist-detail", args=[item.item_list_id]),
        reverse("planning:item-detail", args=[item.pk]), reverse("planning:plan-detail", args=[plan.pk]),
        reverse("planning:plan-create"), reverse("planning:task-list"), reverse("planning:task-detail", args=[task.pk]),
        reverse("planning:task-create", args=[plan.pk]),
        reverse("draws:index"), reverse("draws:task", args=[task.pk]), reverse("draws:detail", args=[city_draw.draw_id]),
        reverse("draws:list", args=[city_draw.draw_id, "reserve"]),
        reverse("inspections:index"), reverse("inspections:dashboard"), reverse("inspections:detail", args=[city_insp.pk]),
        reverse("inspections:record", args=[city_insp.pk]), reverse("inspections:review", args=[city_insp.pk]),
        reverse("inspections:referrals"), reverse("inspections:rectifications"),
        reverse("inspections:lenience-index"),
        reverse("credit:index"), reverse("credit:subject", args=[subject.pk]), reverse("credit:objections"),
        reverse("credit:repairs"), reverse("credit:subject-create"),
        reverse("screening:index"), reverse("screening:batch", args=[batch.pk]), reverse("screening:run", args=[run.pk]),
        reverse("portal:manage"), reverse("policy:index"), reverse("policy:holiday-list"),
        reverse("jobs:list"), reverse("password_change"), reverse("api-token"),
        reverse("accounts:security"), reverse("two-factor-setup"),  # the QR code is an <img> data: URI
        "/inspections/no-such-page/",
    ]
    for url in staff:
        watch.visit(page, base, url, status=404 if "no-such-page" in url else 200)
    _shot(page, "staff-record")
    watch.visit(page, base, reverse("api-docs"), wait_for=".swagger-ui .opblock")  # Swagger UI, rendered
    watch.visit(page, base, "/api/institutions/")  # DRF's browsable API
    watch.visit(page, base, "/django-admin/", status=200)  # not staff: the admin's own sign-in page

    # --- audit pages, auditor (审计/纪检): the log, an event, the chain check (a POST)
    page = watch.open("demo-auditor", base=base)
    watch.visit(page, base, reverse("audit:list"))
    with page.expect_navigation():
        page.get_by_role("button", name="校验哈希链").click()
    assert page.url.endswith(reverse("audit:verify"))
    watch.settle(page)
    watch.visit(page, base, reverse("audit:detail", args=[event.seq]))

    # --- user management, security administrator (安全管理员)
    page = watch.open("demo-security", base=base)
    city_user = User.objects.get(username="demo-city")
    for url in [reverse("accounts:user-list"), reverse("accounts:user-detail", args=[city_user.pk]),
                reverse("accounts:locks")]:
        watch.visit(page, base, url)

    # --- the Django admin, installation administrator (superuser)
    page = watch.open("demo-admin", base=base)
    for url in ["/django-admin/", "/django-admin/auth/group/", "/django-admin/auth/group/add/"]:
        watch.visit(page, base, url)

    # --- the phone pages, inspector (阳城县). The demo's draws are random, so demo-inspector becomes a member of
    # a drawn 阳城 team.
    member = AssignmentMember.objects.filter(
        active=True, assignment__active=True, assignment__draw__task__region_id=COUNTY).order_by("pk").first()
    User.objects.filter(username="demo-inspector").update(inspector_number=member.inspector.number)
    page = watch.open("demo-inspector", base=base, **PHONE)
    watch.visit(page, base, reverse("inspections:mine"))
    mine = sorted(set(re.findall(r'href="(/inspections/\d+/(?:record/)?)"', page.content())))
    assert mine, "the inspector has checks to open"
    for url in mine[:3]:
        watch.visit(page, base, url)
    watch.visit(page, base, reverse("password_change"))
    _shot(page, "phone-last")

    assert len(watch.visited) > 60
    assert not watch.violations, "\n".join(
        f"{v['page']}: {v['directive']} blocked {v['blocked'] or 'inline'} ({v['source']}:{v['line']}) {v['sample']!r}"
        for v in watch.violations)
    assert not watch.console, "\n".join(watch.console)


# --------------------------------------------------------------------------------------------
# the watch can fail


def probe(request: HttpRequest) -> HttpResponse:  # noqa: ARG001
    """A page that breaks the policy twice: an inline script and an inline style attribute."""
    return HttpResponse(
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>probe</title></head><body>'
        '<p id="styled" style="color: rgb(255, 0, 0)">inline style</p>'
        "<script>window.__inlineRan = true;</script></body></html>")


urlpatterns: list[Any] = [path("csp-probe/", probe), path("", include("spotcheck.urls"))]


def test_the_watch_reports_inline_script_and_style(watch, live_server, settings):
    settings.ROOT_URLCONF = __name__  # the product's URLs plus the probe page, under the real middleware
    base = live_server.url
    page = watch.open(base=base)

    watch.visit(page, base, "/csp-probe/")
    assert page.evaluate("window.__inlineRan === undefined"), "the inline script ran"
    assert page.evaluate("getComputedStyle(document.getElementById('styled')).color") != "rgb(255, 0, 0)"
    directives = {v["directive"] for v in watch.violations}
    assert {"script-src-elem", "style-src-attr"} <= directives, watch.violations

    # a script element written by the page at run time, on a real page of the product
    before = len(watch.violations)
    watch.visit(page, base, reverse("portal:verify"))
    page.evaluate("""() => { const s = document.createElement("script");
                             s.textContent = "window.__injectedRan = true;"; document.head.appendChild(s); }""")
    watch.settle(page)
    assert page.evaluate("window.__injectedRan === undefined"), "the injected script ran"
    assert [v for v in watch.violations[before:] if v["directive"] == "script-src-elem"], watch.violations
    assert any("Content Security Policy" in m for m in watch.console), watch.console
