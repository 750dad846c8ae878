"""Content-Security-Policy (django-csp, ``settings/base.py``): the header of every page, the one scoped exception
(DRF's browsable API), the report-only switch, and no inline script or style in our templates. The browser
check of the pages themselves is ``tests/e2e/test_csp.py``."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def directives(header: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for part in filter(None, (p.strip() for p in header.split(";"))):
        name, *values = part.split()
        out[name] = values
    return out


@pytest.mark.django_db
def test_a_page_has_the_policy_without_unsafe_inline(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    header = response["Content-Security-Policy"]
    assert "script-src 'self'" in header
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    policy = directives(header)
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"] and policy["form-action"] == ["'self'"]
    assert "Content-Security-Policy-Report-Only" not in response


@pytest.mark.django_db
def test_signed_in_pages_error_pages_and_static_files_have_it_too(client, county_user):
    client.force_login(county_user)
    for url, status in [("/", 200), ("/api/docs/", 200), ("/no-such-page/", 404), ("/static/spotcheck/app.css", 200)]:
        response = client.get(url)
        assert response.status_code == status, url
        assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"], url
        if getattr(response, "file_to_stream", None) is not None:
            # close the static file only: response.close() would also send request_finished, which closes
            # the database connection inside the test's transaction on PostgreSQL
            response.file_to_stream.close()


@pytest.mark.django_db
def test_only_the_browsable_api_may_use_inline_style(client, county_user):
    client.force_login(county_user)
    html = client.get("/api/institutions/", HTTP_ACCEPT="text/html")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    policy = directives(html["Content-Security-Policy"])
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"] and policy["script-src"] == ["'self'"]
    json = client.get("/api/institutions/", HTTP_ACCEPT="application/json")
    assert json.status_code == 200
    assert directives(json["Content-Security-Policy"])["style-src"] == ["'self'"]


def _settings_in_subprocess(env: dict[str, str]) -> str:
    code = ("import spotcheck.settings.test as s; "
            "print(bool(s.CONTENT_SECURITY_POLICY), bool(s.CONTENT_SECURITY_POLICY_REPORT_ONLY), "
            "(s.CONTENT_SECURITY_POLICY or s.CONTENT_SECURITY_POLICY_REPORT_ONLY)['DIRECTIVES'].get('report-uri'))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         env={**os.environ, **env})
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def test_report_only_is_a_setting():
    clean = {"SPOTCHECK_CSP_REPORT_ONLY": "", "SPOTCHECK_CSP_REPORT_URI": ""}
    assert _settings_in_subprocess(clean) == "True False None"
    assert _settings_in_subprocess({**clean, "SPOTCHECK_CSP_REPORT_ONLY": "1",
                                    "SPOTCHECK_CSP_REPORT_URI": "/csp-report/"}) == "False True ['/csp-report/']"


#: What a template must not contain under the policy (a ``<script>`` with a ``src`` and JSON data blocks are fine).
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style[\s>]", re.I), "<style> element"),
    (re.compile(r"\son[a-z]+\s*=\s*[\"']", re.I), "on…= handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_no_template_has_inline_script_or_style():
    found = []
    for path in sorted((ROOT / "spotcheck").rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}|{#.*?#}", "", text, flags=re.S)
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not found, "\n".join(found)


def test_the_portal_charts_have_no_inline_style_or_script():
    from spotcheck.portal import charts

    svg = (charts.bar_chart("bar", "标题", "说明", [("阳城县", 3, "3 家"), ("朔州市", 0, "0 家")])
           + charts.line_chart("line", "标题", "说明", ["2022", "2023"], [("检查", [1, 2]), ("问题", [0, 1])]))
    assert "<svg" in svg and "style" not in svg.lower() and "<script" not in svg.lower()
    assert not re.search(r"\son[a-z]+=", svg)
