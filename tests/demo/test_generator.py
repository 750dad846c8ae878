"""``spotcheck demo-data``: determinism, valid codes, proportions, staffing, flags, accounts, audit."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from fractions import Fraction
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from spotcheck.accounts.models import Role, User
from spotcheck.audit.actions import verify_chain
from spotcheck.audit.models import AuditEvent
from spotcheck.audit.verify import verify_data
from spotcheck.core import codes
from spotcheck.demo import generator as demo
from spotcheck.directory.models import (
    Conflict,
    Department,
    DepartmentKind,
    Inspector,
    InspectorAbsence,
    InspectorStatus,
    Institution,
)
from spotcheck.policy.registry import default
from tests import factories as f

TODAY = dt.date(2025, 11, 23)
AREA_CODES = [a.code for a in demo.AREAS]


def generate(**options) -> tuple[str, str]:
    """Run ``demo-data`` without the 2023 history (tested on its own below) unless asked for."""
    out, err = StringIO(), StringIO()
    options.setdefault("no_history", True)
    call_command("demo_data", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def fingerprint(seed: int, total: int, today: dt.date = TODAY) -> list[tuple[str, str, str, str]]:
    return [(i.fixmedins_code, i.uscc, i.name, i.credit_grade) for i in demo.institutions(seed, total, today)]


# --------------------------------------------------------------------------------------------
# the generator alone (no database)


def test_same_seed_same_directory_other_seed_other_directory():
    first = fingerprint(7, 400)
    assert first == fingerprint(7, 400)
    assert first == fingerprint(7, 400, today=dt.date(2031, 2, 28))  # only dates follow "today"
    other = fingerprint(8, 400)
    assert [row[0] for row in other] == [row[0] for row in first]  # same plan, same code range
    assert [row[2] for row in other] != [row[2] for row in first]
    assert [row[3] for row in other] != [row[3] for row in first]


def test_codes_valid_unique_and_consistent_with_area():
    rows = list(demo.institutions(3, 2000, TODAY))
    assert len(rows) == 2000
    assert len({r.fixmedins_code for r in rows}) == len({r.uscc for r in rows}) == len({r.name for r in rows}) == 2000
    for r in rows:
        assert codes.validate_fixmedins_code(r.fixmedins_code, region_code=r.region_id, kind=r.kind) == r.fixmedins_code
        assert codes.validate_uscc(r.uscc) == r.uscc and codes.uscc_region(r.uscc) == r.region_id
        assert (r.kind == "P") == (r.category == "pharmacy")
        area = demo.AREA_BY_CODE[r.region_id]
        assert area.short in r.name or area.city in r.name or r.name.startswith("朔州市")
        assert r.address.startswith(f"山西省{area.city}{area.name}")
        assert r.legal_representative and r.contact_person and re.fullmatch(r"1\d{10}|0\d{3}-\d{7}", r.contact_phone)
        r.clean()  # the model's own checks (codes, kind/category)


def test_proportions_for_the_default_size():
    rows = list(demo.institutions(1, 2000, TODAY))
    n = len(rows)
    by_region = Counter(r.region_id for r in rows)
    assert by_region["140522"] == round(n / 7)  # 阳城 about a seventh
    assert set(by_region) == set(AREA_CODES)
    categories = Counter(r.category for r in rows)
    shares = {"hospital": 5, "primary": 12, "clinic": 15, "village": 30, "pharmacy": 38}  # per cent
    for category, share in shares.items():
        assert abs(categories[category] - n * share / 100) <= len(AREA_CODES), category
    grades = Counter(r.credit_grade for r in rows)
    for grade, _ in demo.GRADES.pairs:
        p = demo.GRADES.share(grade)
        expected, sigma = n * p, math.sqrt(n * p * (1 - p))
        assert abs(grades[grade] - expected) <= 5 * sigma + 1, (grade, grades[grade], float(expected))
    assert grades["中等"] + grades["良好"] > 0.7 * n and grades["差"] < grades["较差"] < grades["良好"]
    levels = Counter(r.level for r in rows if r.category == "hospital")
    assert 1 <= levels["3"] < levels["2"] < levels["1"] and levels["0"] > 0
    status = Counter(r.contract_status for r in rows)
    assert status["active"] > 0.9 * n and status["suspended"] and status["terminated"]
    assert 0 < sum(r.risk_flag for r in rows) < 0.1 * n
    names = {r.name for r in rows}
    for example in ("怀仁市人民医院", "朔州市第二人民医院", "阳城县中医医院"):
        assert example in names


def test_names_stay_unique_far_beyond_the_name_pools():
    area = demo.AREA_BY_CODE["140623"]
    counts = {"hospital": 800, "primary": 800, "clinic": 1500, "village": 4000, "pharmacy": 4000}
    rows = list(demo.area_institutions(1, area, counts, TODAY))
    assert len({r.name for r in rows}) == len(rows) == sum(counts.values())
    assert max(len(r.name) for r in rows) <= Institution._meta.get_field("name").max_length


def test_plan_spreads_large_counts_within_code_capacity():
    big = 1_300_000
    plan = demo.institution_plan(big)
    assert sum(sum(c.values()) for c in plan.values()) == big
    for cats in plan.values():
        assert cats["pharmacy"] <= demo.MAX_SEQ
        assert sum(n for cat, n in cats.items() if cat != "pharmacy") <= demo.MAX_SEQ
    full = demo.institution_plan(demo.capacity())
    assert all(c["pharmacy"] == demo.MAX_SEQ for c in full.values())
    with pytest.raises(ValueError):
        demo.institution_plan(demo.capacity() + 1)


def test_drawable_certificates_cover_2023_and_the_coming_year():
    cells = [demo.StaffCell("140522", DepartmentKind.HEALTHCARE_SECURITY, 40, 5, 15, 40)]
    for today in (TODAY, dt.date(2031, 2, 28), dt.date(2022, 6, 1)):
        rows = list(demo.region_inspectors(1, "140522", cells, {DepartmentKind.HEALTHCARE_SECURITY: 1}, today))
        drawable = [g.inspector for g in rows if g.inspector.status == InspectorStatus.ON_DUTY
                    and g.inspector.cert_number and g.inspector.cert_valid_to >= today]
        assert len(drawable) >= 45
        for insp in drawable:
            assert insp.cert_valid_from <= min(demo.CERT_COVERS_FROM, today - dt.timedelta(days=30)), insp.number
            assert insp.cert_valid_to >= today + dt.timedelta(days=365), insp.number
        assert [(i.number, i.cert_valid_from) for i in (g.inspector for g in rows)] == [
            (g.inspector.number, g.inspector.cert_valid_from)
            for g in demo.region_inspectors(1, "140522", cells, {DepartmentKind.HEALTHCARE_SECURITY: 1}, today)
        ]


def test_city_departments_are_sized_for_all_of_the_city_s_areas():
    drawn = {code: 10 + i for i, code in enumerate(AREA_CODES)}
    city_wide = sum(n for code, n in drawn.items() if demo.AREA_BY_CODE[code].city == demo.CITY_NAME)
    plan = {(c.region_code, c.kind): c for c in demo.staff_plan(drawn)}
    for kind in (DepartmentKind.HEALTHCARE_SECURITY, DepartmentKind.INSURANCE_CENTER):
        assert plan[(demo.CITY_CODE, kind)].usable >= math.ceil(city_wide / demo.DEMO_CAP), kind
    assert plan[("140522", DepartmentKind.HEALTHCARE_SECURITY)].usable == math.ceil(2 * drawn["140522"] / 3)
    assert plan[(demo.CITY_CODE, DepartmentKind.MARKET_REGULATION)].usable < city_wide / demo.DEMO_CAP


def test_allocate_is_exact_and_respects_caps():
    assert demo.allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert demo.allocate(100, [90, 10], [50, 80]) == [50, 50]
    assert sum(demo.allocate(12_345, [168, 72, 84, 102, 48, 126, 100])) == 12_345


# --------------------------------------------------------------------------------------------
# the command


@pytest.mark.django_db
def test_small_run_writes_everything_valid_with_one_audit_event():
    out, _ = generate(seed=1, institutions=20)
    assert Institution.objects.count() == 20
    assert sorted(Institution.objects.values_list("fixmedins_code", "uscc", "name", "credit_grade")) == sorted(
        row for row in fingerprint(1, 20)
    )
    assert Department.objects.count() == 40
    assert Department.objects.get(region_id="140522", kind=DepartmentKind.HEALTH_COMMISSION).name == "阳城县卫生健康和体育局"
    assert Department.objects.get(region_id="140600", kind=DepartmentKind.HEALTH_COMMISSION).name == "朔州市卫生健康委员会"
    assert Department.objects.get(region_id="140681", kind=DepartmentKind.HEALTH_COMMISSION).name == "怀仁市卫生健康局"
    assert Department.objects.filter(region_id="140600", kind=DepartmentKind.INSURANCE_CENTER,
                                     name="朔州市医疗保险服务中心").exists()
    for inst in Institution.objects.all():
        inst.full_clean()
    inspectors = list(Inspector.objects.select_related("department"))
    assert inspectors
    for insp in inspectors:
        insp.full_clean()
        prefix, region, _ = insp.number.split("-")
        assert prefix == demo.NUMBER_PREFIX[insp.department.kind] and region == insp.region_id
        assert codes.region_contains(insp.region_id, codes.id_region(insp.id_number))
        if insp.cert_number:
            assert re.fullmatch(rf"晋{insp.region_id}\d{{8}}", insp.cert_number)
            assert insp.cert_valid_from < insp.cert_valid_to
    assert len({i.id_number for i in inspectors}) == len(inspectors)
    # one summary event, and one state event per generated row (audit verify holds every row to its state)
    [summary] = AuditEvent.objects.filter(action="demo_data.generate")
    assert summary.after["counts"]["institutions"] == 20 and verify_chain().ok
    assert AuditEvent.objects.filter(action="demo_data.create", object_type="directory.institution").count() == 20
    assert verify_data(labels=["directory.institution", "directory.inspector", "directory.department",
                               "directory.conflict", "directory.inspectorabsence", "accounts.user"]).ok
    assert "demo-county-lead" in out and "spotcheck-demo" in out and "140522 阳城县" in out


@pytest.mark.django_db
def test_default_size_staffs_a_five_percent_task_in_every_area():
    generate(seed=1, institutions=2000, no_accounts=True)
    today = timezone.localdate()
    start, end = today, today + dt.timedelta(days=90)
    multipliers = default("draw.grade_multipliers")
    busy = set(InspectorAbsence.objects.filter(start__lte=end, end__gte=start).values_list("inspector_id", flat=True))
    for code in AREA_CODES:
        strata = Counter(Institution.objects.filter(region_id=code).values_list("kind", "credit_grade"))
        drawn = 0
        for (_kind, grade), population in strata.items():
            factor = multipliers[grade or default("draw.ungraded_grade")]
            drawn += population if factor == "full" else math.ceil(population * Fraction(5, 100) * Fraction(*factor))
        usable = Counter(
            i.department.kind for i in Inspector.objects.filter(region_id=code, status=InspectorStatus.ON_DUTY)
            .select_related("department")
            if i.pk not in busy and i.cert_valid_between(start, end)
        )
        assert usable[DepartmentKind.HEALTHCARE_SECURITY] >= math.ceil(2 * drawn / 3), code
        assert usable[DepartmentKind.MARKET_REGULATION] >= max(3, math.ceil(drawn / 3)), code
        assert usable[DepartmentKind.HEALTH_COMMISSION] >= max(3, math.ceil(drawn / 3)), code
    everyone = Inspector.objects.count()
    assert len(set(Inspector.objects.values_list("id_number", flat=True))) == everyone
    expired = Inspector.objects.exclude(cert_number="").filter(cert_valid_to__lt=today).count()
    assert 0.03 * everyone < expired < 0.15 * everyone
    assert 0.01 * everyone < Inspector.objects.filter(cert_number="").count() < 0.1 * everyone
    assert 0.01 * everyone < Inspector.objects.filter(status=InspectorStatus.ON_LEAVE).count() < 0.1 * everyone
    assert Inspector.objects.filter(status=InspectorStatus.TRANSFERRED).exists()
    assert InspectorAbsence.objects.exists()
    with_conflicts = Conflict.objects.values("inspector").distinct().count()
    assert 0.005 * everyone < with_conflicts < 0.08 * everyone
    for c in Conflict.objects.select_related("inspector", "institution"):
        assert codes.region_contains(c.inspector.region_id, c.institution.region_id)
        assert c.valid_to is None or c.valid_to > c.valid_from
    assert not User.objects.exists()


@pytest.mark.django_db
def test_default_demo_staffs_both_2023_example_tasks():
    """``demo-data --seed 1`` + ``planning load-examples --year 2023``: freezing each example task
    and checking its staffing reports no shortage (certificates cover 2023, the city departments
    are sized for the city-wide 朔州 task)."""
    from spotcheck.draws import actions as draws
    from spotcheck.planning.models import Task

    generate(seed=1)
    call_command("planning", "load-examples", "--year", "2023", stdout=StringIO())
    tasks = {t.region_id: t for t in Task.objects.all()}
    assert set(tasks) == {"140522", demo.CITY_CODE}
    for code, username in (("140522", "demo-county"), (demo.CITY_CODE, "demo-city")):
        actor = User.objects.get(username=username)
        draw = draws.freeze(actor, tasks[code])
        targets = sum(s["sample_size"] for s in draws.preview_sizes(draw).values())
        assert targets >= (15 if code == "140522" else 40), (code, targets)  # a real task, not a token one
        report = draws.check_staffing(actor, draw)
        assert report["ok"] and report["short"] == [] and report["failures"] == 0, report["message"]
        slots = {s.department.name: s.count for s in tasks[code].slots.select_related("department")}
        assert {d["department"]: d["needed"] for d in report["departments"]} == {
            name: count * targets for name, count in slots.items()
        }
        for dept in report["departments"]:
            assert dept["capacity"] >= dept["needed"] > 0, dept


@pytest.mark.django_db
def test_demo_accounts_roles_areas_and_password(client):
    generate(seed=1, institutions=20)
    users = {u.username: u for u in User.objects.all()}
    expected = {
        "demo-admin": (Role.ADMIN, ""), "demo-city": (Role.CITY_ADMIN, "140600"),
        "demo-county": (Role.COUNTY_STAFF, "140522"), "demo-county-lead": (Role.CITY_ADMIN, "140522"),
        "demo-inspector": (Role.INSPECTOR, "140522"), "demo-auditor": (Role.AUDITOR, ""),
        "demo-sysadmin": (Role.ADMIN, ""), "demo-security": (Role.SECURITY_ADMIN, ""),
        "demo-audit-admin": (Role.AUDIT_ADMIN, ""),
    }
    assert {name: (u.role, u.region_code) for name, u in users.items()} == expected
    assert users["demo-admin"].is_staff and users["demo-admin"].is_superuser
    assert not any(u.is_superuser for name, u in users.items() if name != "demo-admin")
    assert all(u.display_name for u in users.values())
    linked = Inspector.objects.get(number=users["demo-inspector"].inspector_number)
    assert linked.region_id == "140522" and linked.department.kind == DepartmentKind.HEALTHCARE_SECURITY
    assert linked.status == InspectorStatus.ON_DUTY and linked.cert_number
    for name in expected:
        client.post(reverse("login"), {"username": name, "password": demo.DEMO_PASSWORD})
        assert client.get(reverse("home")).wsgi_request.user.username == name
        client.logout()
    client.post(reverse("login"), {"username": "demo-city", "password": "wrong-password"})
    assert not client.get(reverse("home")).wsgi_request.user.is_authenticated


@pytest.mark.django_db
def test_if_empty_is_idempotent_and_plain_rerun_refuses():
    generate(seed=1, institutions=20)
    codes_before = sorted(Institution.objects.values_list("fixmedins_code", flat=True))
    events_after_first = AuditEvent.objects.count()
    out, _ = generate(seed=2, institutions=30, if_empty=True)
    assert "跳过" in out
    assert sorted(Institution.objects.values_list("fixmedins_code", flat=True)) == codes_before
    assert AuditEvent.objects.filter(action="demo_data.generate").count() == 1
    assert AuditEvent.objects.count() == events_after_first
    with pytest.raises(CommandError, match="--reset"):
        generate(seed=2, institutions=30)
    assert Institution.objects.count() == 20


@pytest.mark.django_db
def test_if_empty_generates_into_an_empty_database():
    generate(seed=1, institutions=20, if_empty=True)
    assert Institution.objects.count() == 20


@pytest.mark.django_db
def test_reset_regenerates_and_keeps_other_areas():
    other = f.institution("140525")  # 泽州县, not generated
    f.audit_baseline()  # the builder wrote it without an action
    generate(seed=1, institutions=20)
    old_numbers = set(Inspector.objects.values_list("number", flat=True))
    generate(seed=2, institutions=30, reset=True)
    assert Institution.objects.filter(region_id__in=demo.DEMO_REGION_CODES).count() == 30
    assert Institution.objects.filter(pk=other.pk).exists()
    assert sorted(Institution.objects.exclude(pk=other.pk).values_list("name", flat=True)) == sorted(
        row[2] for row in fingerprint(2, 30)
    )
    assert set(Inspector.objects.values_list("number", flat=True)) != old_numbers
    assert User.objects.filter(username__startswith="demo-").count() == len(demo.DEMO_ACCOUNTS)
    assert Inspector.objects.filter(number=User.objects.get(username="demo-inspector").inspector_number).exists()
    last = AuditEvent.objects.order_by("-seq").first()
    assert last.action == "demo_data.generate" and last.before["deleted"]["institution"] == 20
    assert AuditEvent.objects.filter(action="demo_data.generate").count() == 2 and verify_chain().ok
    # the reset's deletions are events too: the directory still matches the chain
    assert verify_data(labels=["directory.institution", "directory.inspector", "directory.conflict"]).ok


@pytest.mark.django_db
def test_reset_refuses_while_other_apps_reference_demo_rows():
    from spotcheck.planning.models import Plan, Task

    generate(seed=1, institutions=20)
    plan = Plan.objects.create(region_id="140522", year=2025, name="2025年度抽查计划")
    task = Task.objects.create(
        plan=plan, region_id="140522", name="定点医疗机构检查", period_start=TODAY, period_end=TODAY,
        ratio_num=5, ratio_den=100,
        responsible_department=Department.objects.get(name="阳城县医疗保障局"),
    )
    task.scope_list.add(Institution.objects.filter(region_id="140522").first())
    with pytest.raises(CommandError, match="抽查任务"):
        generate(seed=2, institutions=20, reset=True)
    assert Institution.objects.count() == 20
    assert AuditEvent.objects.filter(action="demo_data.generate").count() == 1


@pytest.mark.django_db
def test_inspector_override_and_limits():
    _, err = generate(seed=1, institutions=20, inspectors=30, no_accounts=True)
    assert Inspector.objects.count() == 30 and "少于" in err
    with pytest.raises(CommandError, match="--institutions"):
        generate(institutions=demo.capacity() + 1)
    with pytest.raises(CommandError, match="--institutions"):
        generate(institutions=0)
