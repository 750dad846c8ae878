"""Privacy scan of the public portal: crawl every public page as an anonymous visitor and look for
personal data.

The dataset is demo-like and full of personal data: the demo generator's institutions (contact person,
legal representative, mobile and fixed-line phones), inspectors with 身份证号 and mobile phones, a
revealed 阳城 draw whose inspection period has started, and published results whose free text holds a
mobile number and an ID number. The crawler starts at ``/portal/`` (plus the filtered list pages a
visitor reaches through the search forms) and follows every link inside ``/portal/`` and
``/draws/verifier/`` and ``/credit/public/`` (守信公示), the CSV / JSON / Atom / SVG exports included. It asserts:

- no 18-digit ID number with a valid check digit (``spotcheck.core.codes``), no 15-digit old-form ID
  number, no mobile number ``1[3-9]\\d{9}`` and no fixed-line number (``0xxx-xxxxxxx``) appears;
- every crawled URL answers 200 or 302;
- a POST to every crawled page is refused and writes nothing.

Hex digests (≥ 32 hex characters: commitments, hashes) are blanked before the scan so their digit runs
are not taken for numbers; numbers glued to ASCII letters (定点医药机构编码 like H14052200001) are not
phone numbers, as in ``core.masking``.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
from collections import Counter, deque
from decimal import Decimal
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.core.codes import CodeError, make_fixmedins_code, make_uscc, validate_id_number
from spotcheck.demo import generator as demo
from spotcheck.directory.models import Inspector, Institution
from spotcheck.inspections.models import Finding, Inspection, InspectionStatus, ResultType, ViolationType
from spotcheck.portal import actions as portal_actions
from spotcheck.portal.models import Publication
from tests import factories as f
from tests.factories import full_run, make_task

ALLOWED_PREFIXES = ("/portal/", "/draws/verifier/", "/credit/public/")
MAX_PAGES = 700
MAX_VARIANTS_PER_PATH = 25  # query-string variants (pages, filters) crawled per path

HEX_RUN = re.compile(r"[0-9a-fA-F]{32,}")
ID18 = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
ID15 = re.compile(r"(?<![0-9A-Za-z])[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}(?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z+])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?![0-9A-Za-z])")
LANDLINE = re.compile(r"(?<![0-9A-Za-z])(?:[(（]0\d{2,3}[)）]|0\d{2,3}-)\s?[2-9]\d{6,7}(?![0-9A-Za-z])"
                      r"|(?<![0-9A-Za-z])0[1-9]\d{1,2}[2-9]\d{6,7}(?![0-9A-Za-z.])")
LINK = re.compile(r"""(?:href|src|action)\s*=\s*["']([^"']+)["']""", re.I)
SEED_MOBILE, SEED_ID = "13912345678", ""


def personal_data(text: str, public: frozenset[str] = frozenset()) -> list[str]:
    """Every ID number, mobile or fixed-line number in ``text`` (after blanking hex digests and the
    ``public`` strings: 执法证号 are published by policy and may look like numbers)."""
    text = HEX_RUN.sub(" ", html.unescape(text))
    for value in public:
        text = text.replace(value, " ")
    hits = []
    for m in ID18.finditer(text):
        try:
            validate_id_number(m.group(0))
        except CodeError:
            continue
        hits.append(f"身份证号 {m.group(0)}")
    hits += [f"15位身份证号 {m.group(0)}" for m in ID15.finditer(text)]
    hits += [f"手机号 {m.group(0)}" for m in MOBILE.finditer(text)]
    hits += [f"固定电话 {m.group(0)}" for m in LANDLINE.finditer(text)]
    return hits


def test_the_scanner_finds_what_it_looks_for():
    from spotcheck.core.codes import make_id_number

    good_id = make_id_number("140522", dt.date(1980, 5, 17), 12, True)
    assert personal_data(f"身份证号{good_id}。") == [f"身份证号 {good_id}"]
    assert personal_data("身份证 140522800517123") == ["15位身份证号 140522800517123"]
    assert personal_data("电话：139 1234 5678") == ["手机号 139 1234 5678"]
    assert personal_data("联系电话0356-4221234") == ["固定电话 0356-4221234"]
    assert personal_data("（0356）4221234")
    # not personal data: 定点编码, masked values, dates, amounts, a digest with digit runs
    assert personal_data("H14052200001 139****5678 1405************12 2026-11-23 1,234,567.89 元") == []
    assert personal_data("摘要 " + "13912345678" * 3 + "ab" * 10) == []
    assert personal_data(f"id {good_id[:-1]}{'0' if good_id[-1] != '0' else '1'}") == []  # wrong check digit


# ------------------------------------------------------------------------------------------------
# dataset


_n = itertools.count(1)


def _mobile() -> str:
    return f"13{next(_n) % 10}{next(_n) * 7919 % 10**8:08d}"


@pytest.fixture
def dataset(request, db):
    cache.clear()
    # the demo generator's institutions (contact person, legal representative, mobile and fixed-line phones)
    Institution.objects.bulk_create(demo.institutions(5, 60, timezone.localdate()))
    w = request.getfixturevalue("world")
    # a small drawable 阳城 pool with personal data everywhere
    for k in range(11):  # sequence numbers far above the demo's
        kind = "H" if k < 8 else "P"
        f.institution(f.YANGCHENG, kind, credit_grade="中等" if kind == "H" else "良好",
                      fixmedins_code=make_fixmedins_code(kind, f.YANGCHENG, 90000 + k), uscc=make_uscc(f.YANGCHENG, 90000 + k))
    for _ in range(6):
        f.inspector(f.YANGCHENG, department=w.yb)
    for _ in range(3):
        f.inspector(f.YANGCHENG, department=w.sj)
    for i, inst in enumerate(Institution.objects.filter(contact_phone="")):
        inst.contact_phone = _mobile() if i % 2 else f"0356-{4000000 + i}"
        inst.contact_person, inst.legal_representative = "王联系", "李法人"
        inst.save()
    for insp in Inspector.objects.filter(phone=""):
        insp.phone = _mobile()
        insp.save()
    assert Inspector.objects.exclude(id_number="").exists() and not Inspector.objects.filter(phone="").exists()

    today = timezone.localdate()
    task = make_task(w, period_start=today - dt.timedelta(days=5), period_end=today + dt.timedelta(days=60))
    proposer = f.user("t-proposer", Role.COUNTY_STAFF, f.YANGCHENG)
    approver = f.user("t-jc-approver", Role.CITY_ADMIN, "140500")
    draw = full_run(task, proposer, approver)
    assert draw.is_revealed

    # results recorded and reviewed (written directly: the inspection workflow is tested elsewhere)
    an_id = Inspector.objects.exclude(id_number="").first().id_number
    vt = ViolationType.objects.filter(kind="H").first() or ViolationType.objects.create(
        kind="H", seq=95, name="重复收费", act_code="38-duplicate-charge", article=38)
    reviewed = []
    for k, a in enumerate(draw.assignments.filter(active=True).select_related("institution").order_by("position")):
        insp = Inspection.objects.update_or_create(  # approve_reveal already made the record
            assignment=a, defaults=dict(task=task, institution=a.institution, region_id=task.region_id,
            status=InspectionStatus.REVIEWED, started_on=today - dt.timedelta(days=3), ended_on=today,
            due_date=today + dt.timedelta(days=20),
            result_type=ResultType.CORRECTED if k % 2 == 0 else ResultType.NO_PROBLEM,
            result_summary=f"院长{a.institution.contact_person}电话{SEED_MOBILE}",
            handling=f"责令改正，联系人手机 {SEED_MOBILE}，身份证号{an_id}" if k % 2 == 0 else "",
            result_notice_number=f"阳医保检结〔2026〕{k + 1}号", confirmed_by_name="张院长",),
        )[0]
        if k % 2 == 0:
            Finding.objects.create(inspection=insp, violation_type=vt, act_code=vt.act_code, article=vt.article,
                                   description=f"重复收费，经办人身份证号{an_id}，电话{SEED_MOBILE}",
                                   amount=Decimal("800"), corrected_on_site=True, decided_treatment="从轻处罚")
        reviewed.append(insp)
    publisher = f.user("t-publisher", Role.COUNTY_STAFF, f.YANGCHENG)
    pubs = portal_actions.publish_many(publisher, reviewed[:-1])  # the last one stays unpublished
    portal_actions.correct(publisher, pubs[0], "更正处理情况", {"handling": f"已退回，咨询电话 {SEED_MOBILE}"})
    cache.clear()
    return {"draw": draw, "task": task, "unpublished": reviewed[-1], "publications": len(pubs) + 1,
            "violation": vt.name}


# ------------------------------------------------------------------------------------------------
# the crawl


def _links(base: str, body: str) -> list[str]:
    out = []
    for raw in LINK.findall(body):
        url = urldefrag(urljoin(base, html.unescape(raw)))[0]
        parts = urlsplit(url)
        if parts.scheme in ("http", "https") and parts.netloc not in ("", "testserver"):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith(ALLOWED_PREFIXES):
            out.append(path)
    return out


def crawl(client: Client, start: list[str]) -> dict[str, tuple[int, str, str]]:
    """``{url: (status, content type, text)}`` of every page reachable from ``start``."""
    seen: dict[str, tuple[int, str, str]] = {}
    variants: Counter[str] = Counter()
    queue = deque(start)
    ip = itertools.count(1)
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        path = url.split("?", 1)[0]
        if "?" in url:
            if variants[path] >= MAX_VARIANTS_PER_PATH:
                continue
            variants[path] += 1
        n = next(ip)
        response = client.get(url, REMOTE_ADDR=f"10.{n // 60000 % 250}.{n // 250 % 240}.{n % 250 + 1}")
        ctype = response.get("Content-Type", "")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        text = body.decode("utf-8", errors="replace")
        seen[url] = (response.status_code, ctype, text)
        if response.status_code == 302:
            queue.append(response["Location"])
        elif "html" in ctype:
            queue.extend(u for u in _links(url, text) if u not in seen)
    return seen


def test_no_personal_data_on_any_public_page(dataset, client):
    draw = dataset["draw"]
    start = [
        "/portal/", "/portal/stats/", "/portal/stats/?year=" + str(timezone.localdate().year),
        f"/portal/institutions/?area={f.YANGCHENG}", "/portal/institutions/?q=医院",
        "/portal/institutions/?area=140600", f"/portal/results/?area={f.YANGCHENG}", "/portal/results/?all=1",
        f"/portal/draws/{draw.draw_id}/", f"/portal/tasks/{dataset['task'].pk}/",
    ]
    pages = crawl(client, start)

    bad_status = {u: s for u, (s, _, _) in pages.items() if s not in (200, 302)}
    assert not bad_status, f"公众页面返回了非 200/302：{bad_status}"

    certs = frozenset(c for c in Inspector.objects.values_list("cert_number", flat=True) if c)
    leaks = {u: hits for u, (_, _, text) in pages.items() if (hits := personal_data(text, certs))}
    assert not leaks, f"公众页面出现个人信息：{leaks}"

    # the crawl really covered the portal: pages with teams, results, institutions, every export
    paths = [u.split("?", 1)[0] for u in pages]
    for needle in ("/portal/results/", "/portal/institutions/", "/portal/tasks/", "/portal/draws/",
                   "/portal/data/results.csv", "/portal/data/results.json", "/portal/feed.atom",
                   "/portal/stats/", "/draws/verifier/draw.py", "/credit/public/"):
        assert any(p.startswith(needle) for p in paths), f"未爬到 {needle}"
    assert sum(1 for p in paths if re.fullmatch(r"/portal/results/\d+/", p)) >= dataset["publications"] - 1
    assert any(p.endswith(".svg") for p in paths) and any(re.search(r"/portal/stats/.+\.csv$", p) for p in paths)
    assert any(re.fullmatch(r"/portal/institutions/[A-Z0-9]+/", p) for p in paths)
    all_text = "\n".join(t for _, _, t in pages.values())
    assert dataset["violation"] in all_text  # results with their findings were shown ...
    member = draw.assignments.filter(active=True).first().members.filter(active=True).first().inspector
    assert member.name in all_text  # ... and the teams (names allowed by policy, never ID/phone)
    assert member.phone not in all_text and member.id_number not in all_text
    assert dataset["unpublished"].institution.fixmedins_code not in {
        u.rsplit("/", 2)[-2] for u in pages if u.startswith("/portal/results/")}


def test_post_is_refused_everywhere(dataset, client):
    pages = crawl(client, ["/portal/", "/portal/stats/", f"/portal/draws/{dataset['draw'].draw_id}/"])
    before = (Publication.objects.count(), Inspection.objects.filter(status=InspectionStatus.PUBLISHED).count())
    by_path: dict[str, str] = {}
    for url in pages:
        by_path.setdefault(url.split("?", 1)[0], url)
    assert len(by_path) > 15
    refused = {}
    for n, url in enumerate(by_path.values()):
        response = client.post(url, {"q": "x", "id": "1"}, REMOTE_ADDR=f"10.200.{n // 250}.{n % 250 + 1}")
        refused[url] = response.status_code
    accepted = {u: s for u, s in refused.items() if s not in (302, 403, 405)}
    assert not accepted, f"匿名 POST 未被拒绝：{accepted}"
    assert refused["/portal/"] == 405 and refused["/portal/stats/"] == 405
    after = (Publication.objects.count(), Inspection.objects.filter(status=InspectionStatus.PUBLISHED).count())
    assert after == before


def test_landline_in_free_text_is_not_published(dataset, client):
    insp = dataset["unpublished"]
    Inspection.objects.filter(pk=insp.pk).update(handling="责令改正，办公电话 0356-4221234")
    publisher = f.user("t-publisher2", Role.COUNTY_STAFF, f.YANGCHENG)
    pub = portal_actions.publish(publisher, Inspection.objects.get(pk=insp.pk))
    cache.clear()
    for n, url in enumerate((f"/portal/results/{pub.pk}/", "/portal/data/results.csv", "/portal/data/results.json",
                             "/portal/feed.atom")):
        response = client.get(url, REMOTE_ADDR=f"10.201.0.{n + 1}")
        body = b"".join(response.streaming_content) if response.streaming else response.content
        certs = frozenset(c for c in Inspector.objects.values_list("cert_number", flat=True) if c)
        assert not personal_data(body.decode(), certs), url
