"""Browser tests: Playwright (Python) driving Debian's /usr/bin/chromium — never a downloaded browser.

Screenshots go to ``test-artifacts/e2e/``. Without chromium (and no way to install it, see
scripts/ensure-test-deps.sh) these tests are skipped with the reason — except under CI (``CI`` set) or
with ``SPOTCHECK_REQUIRE_BROWSER=1``, where the same reason fails them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.factories import E2E_ARTIFACTS

CHROMIUM = os.environ.get("SPOTCHECK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = E2E_ARTIFACTS  # test-artifacts/e2e/

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls
# made by the test body (fixtures, assertions) while it is running.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _serve_one_request_at_a_time() -> None:
    """On SQLite the test database is in memory and the live server's threads share the test's one
    connection: two requests at once would run inside each other's transaction (an action's durable
    transaction refuses that) or find a table locked. A single-threaded server serves them in turn
    (Django then closes every HTTP connection, so the browser's parallel requests just queue). On
    PostgreSQL each thread has its own connection and the threaded server stays."""
    from django.conf import settings
    from django.core.servers.basehttp import WSGIServer
    from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        return

    def _create_server(self, connections_override=None):  # noqa: ARG001 - run() applies the override
        return WSGIServer((self.host, self.port), QuietWSGIRequestHandler, allow_reuse_address=False)

    LiveServerThread._create_server = _create_server


_serve_one_request_at_a_time()


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


def browser_required() -> bool:
    """Under CI (``CI`` set to anything but empty/0/false/no) or with ``SPOTCHECK_REQUIRE_BROWSER=1`` a missing
    browser fails the browser tests instead of skipping them: a CI run must not pass without them."""
    ci = os.environ.get("CI", "").strip().lower()
    return ci not in ("", "0", "false", "no", "off") or os.environ.get("SPOTCHECK_REQUIRE_BROWSER", "") == "1"


def no_browser(reason: str) -> None:
    """Skip (locally) or fail (under CI) for a missing browser or driver, with the same reason."""
    if browser_required():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        no_browser(f"未找到 {CHROMIUM}（Debian 软件包 chromium），跳过浏览器测试")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        no_browser("未安装 Playwright（Python 软件包 playwright），跳过浏览器测试")

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, request):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


@pytest.fixture
def shot(page, request):
    """``shot("step")`` saves a named full-page screenshot of the current page."""

    def take(name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(page, live_server):
    """``login(username, password)`` signs in through the real login form."""

    def do(username: str, password: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.get_by_label("用户名").fill(username)
        page.get_by_label("密码").fill(password)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()

    return do
