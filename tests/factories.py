"""Small builders for test data and the helpers every app's tests share. Codes are generated valid
(spotcheck.core.codes).

Test modules import helpers from here, never from a ``conftest`` (``tests/test_house.py`` checks it).
Fixtures stay in conftest files as thin wrappers around the ``make_*`` builders below; those several
apps use (``world``, ``staffed``, ``approver``, ``started``, ``hospital_inspection``…) are in
``tests/conftest.py``.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import importlib
import io
import itertools
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from spotcheck.accounts.models import Role, User
from spotcheck.core.codes import make_fixmedins_code, make_id_number, make_uscc
from spotcheck.directory.models import (
    Conflict,
    Department,
    DepartmentKind,
    Inspector,
    Institution,
    InstitutionCategory,
    Region,
)
from spotcheck.draws.models import Draw
from spotcheck.inspections.models import CatalogueKind, Finding, Inspection, InspectionStatus, ViolationType
from spotcheck.planning.models import CheckItem, ItemList, ItemType, Plan, Task, TeamSlot

_seq = itertools.count(1)

YANGCHENG = "140522"
HUAIREN = "140681"
SHUOZHOU = "140600"
PASSWORD = "test-password-123"


def user(username: str, role: str = Role.COUNTY_STAFF, region_code: str = YANGCHENG, **extra: Any) -> User:
    u = User.objects.create_user(username=username, password=PASSWORD, role=role, region_code=region_code, **extra)
    return u


def api_token(user: User) -> str:
    """A new API token of ``user`` (knox keeps its digest; the token itself exists only here)."""
    from knox.models import AuthToken

    return AuthToken.objects.create(user=user)[1]


#: Audit events of signing in and out (a test's ``force_login`` records one).
SIGN_IN_EVENTS = ("accounts.signin", "accounts.signout", "accounts.signin.failed", "accounts.lockout")


def business_events() -> Any:
    """The audit events other than signing in and out."""
    from spotcheck.audit.models import AuditEvent

    return AuditEvent.objects.exclude(action__in=SIGN_IN_EVENTS)


def department(region_code: str = YANGCHENG, kind: str = DepartmentKind.HEALTHCARE_SECURITY, name: str = "") -> Department:
    region = Region.objects.get(code=region_code)
    name = name or f"{region.name}{DepartmentKind(kind).label}"
    return Department.objects.get_or_create(name=name, defaults={"region": region, "kind": kind})[0]


def institution(region_code: str = YANGCHENG, kind: str = "H", **extra: Any) -> Institution:
    n = next(_seq)
    data: dict[str, Any] = {
        "fixmedins_code": make_fixmedins_code(kind, region_code, n),
        "name": f"测试{'医院' if kind == 'H' else '药店'}{n}",
        "uscc": make_uscc(region_code, n),
        "kind": kind,
        "category": InstitutionCategory.HOSPITAL if kind == "H" else InstitutionCategory.PHARMACY,
        "region_id": region_code,
    }
    data.update(extra)
    return Institution.objects.create(**data)


def inspector(region_code: str = YANGCHENG, kind: str = DepartmentKind.HEALTHCARE_SECURITY, **extra: Any) -> Inspector:
    n = next(_seq)
    dept = extra.pop("department", None) or department(region_code, kind)
    data: dict[str, Any] = {
        "number": f"T-{n:05d}",
        "name": f"检查员{n}",
        "department": dept,
        "region_id": region_code,
        "id_number": make_id_number(region_code, dt.date(1980, 1, 1), n % 500, True),
        "cert_number": f"晋{region_code}{n:05d}",
        "cert_valid_from": dt.date(2020, 1, 1),
        "cert_valid_to": dt.date(2030, 12, 31),
    }
    data.update(extra)
    return Inspector.objects.create(**data)


def conflict(insp: Inspector, inst: Institution, **extra: Any) -> Conflict:
    data: dict[str, Any] = {"reason": "relative", "valid_from": dt.date(2020, 1, 1)}
    data.update(extra)
    return Conflict.objects.create(inspector=insp, institution=inst, **data)


def ensure_migration_rows() -> None:
    """The built-in regions and the other data migrations' rows, re-created when a transactional test's
    flush removed them (module-scoped fixtures call this; the per-test fixture in conftest does too)."""
    from spotcheck.directory.models import Region
    from spotcheck.directory.regions import load_builtin

    if not Region.objects.filter(code=YANGCHENG).exists():
        load_builtin(Region)
    reload_migration_data()


def reload_migration_data() -> None:
    """The data migrations' rows other than the regions (catalogues, credit measures), re-created when a
    transactional test's flush removed them (``tests/conftest.py`` does it before every database test)."""
    from django.apps import apps

    from spotcheck.credit.models import Measure
    from spotcheck.inspections.catalogue import ensure_defaults

    if not ViolationType.objects.exists():
        ensure_defaults()
    if not Measure.objects.exists():
        importlib.import_module("spotcheck.credit.migrations.0002_default_measures").forwards(apps, None)


def audit_baseline() -> int:
    """A baseline event for every row without one (as the upgrade migration records), so that the full
    ``audit verify`` passes on rows a test wrote with these builders instead of actions."""
    from django.apps import apps

    from spotcheck.audit.baseline import record_baseline

    return record_baseline(apps)


# --- Draws: a small 阳城 directory, a plan with items and tasks, a draw walked through its steps ---------

JINCHENG = "140500"


@dataclass
class World:
    plan: Plan
    general_h: CheckItem
    key_h: CheckItem
    general_p: CheckItem
    agency: CheckItem
    yb: Department
    sj: Department
    start: dt.date
    end: dt.date


def make_task(world: World, *, items: list[CheckItem] | None = None, slots: list[tuple[Department, int]] | None = None,
              plan: Plan | None = None, **extra: Any) -> Task:
    """A 阳城 task (5%, credit scaled) with the given items and team slots (default 医保局×2 + 市监局×1)."""
    plan = plan or world.plan
    data: dict[str, Any] = {
        "plan": plan, "region_id": YANGCHENG, "name": extra.pop("name", f"任务{Task.objects.count() + 1}"),
        "period_start": world.start, "period_end": world.end, "ratio_num": 5, "ratio_den": 100,
        "responsible_department": world.yb, "cap": 3,
    }
    data.update(extra)
    task = Task.objects.create(**data)
    task.items.set(items if items is not None else [world.general_h, world.general_p])
    for order, (dept, count) in enumerate(slots if slots is not None else [(world.yb, 2), (world.sj, 1)]):
        TeamSlot.objects.create(task=task, department=dept, count=count, order=order)
    return task


def make_world() -> World:
    """The ``world`` fixture: a 晋城 item list, a 阳城 plan starting in 30 days, the 医保局 and 市监局.

    The task period (60 days) lies inside one calendar year, the plan's: a window that would cross
    31 December starts on 1 January instead, so the tests work on any date."""
    today = timezone.localdate()
    start = today + dt.timedelta(days=30)
    if (start + dt.timedelta(days=60)).year != start.year:
        start = dt.date(start.year + 1, 1, 1)
    end = start + dt.timedelta(days=60)
    item_list = ItemList.objects.create(region_id=JINCHENG, year=start.year, name="事项清单")

    def item(seq: int, kind: str, item_type: str) -> CheckItem:
        return CheckItem.objects.create(
            item_list=item_list, seq=seq, category="医保基金使用", name=f"事项{seq}", target="定点机构",
            target_kind=kind, item_type=item_type, ratio_text="3%", ratio_num=3, ratio_den=100,
        )

    plan = Plan.objects.create(region_id=YANGCHENG, year=start.year, name="年度计划", item_list=item_list)
    return World(
        plan=plan,
        general_h=item(1, "H", ItemType.GENERAL), key_h=item(2, "H", ItemType.KEY),
        general_p=item(3, "P", ItemType.GENERAL), agency=item(4, "agency", ItemType.GENERAL),
        yb=department(YANGCHENG, DepartmentKind.HEALTHCARE_SECURITY),
        sj=department(YANGCHENG, DepartmentKind.MARKET_REGULATION),
        start=start, end=end,
    )


def make_staffed(world: World) -> dict[str, list[Any]]:
    """The ``staffed`` fixture: ten hospitals (中等) and four pharmacies in 阳城, six 医保局 and three 市监局
    inspectors."""
    hospitals = [institution(YANGCHENG, "H", credit_grade="中等") for _ in range(10)]
    pharmacies = [institution(YANGCHENG, "P", credit_grade="良好") for _ in range(4)]
    yb = [inspector(YANGCHENG, department=world.yb) for _ in range(6)]
    sj = [inspector(YANGCHENG, department=world.sj) for _ in range(3)]
    return {"hospitals": hospitals, "pharmacies": pharmacies, "yb": yb, "sj": sj}


def make_approver() -> User:
    """The ``approver`` fixture: 晋城市局管理员, holds ``approve`` over 阳城."""
    return user("t-jc-approver", Role.CITY_ADMIN, JINCHENG)


def make_approver2() -> User:
    return user("t-jc-approver2", Role.CITY_ADMIN, JINCHENG)


def commit(draw: Draw, proposer: Any, approver: Any, sources: list[str] | None = None) -> Draw:
    """Staffing check, propose and approve the commitment."""
    from spotcheck.draws import actions as draw_actions

    draw_actions.check_staffing(proposer, draw)
    draw_actions.propose_commit(proposer, draw, sources or ["中国福利彩票双色球第2026135期开奖号码"])
    return draw_actions.approve_commit(approver, draw)


def reveal(draw: Draw, proposer: Any, approver: Any, text: str = "双色球 2026135: 03 07 12 19 25 31 + 09") -> Draw:
    from spotcheck.draws import actions as draw_actions

    draw_actions.propose_reveal(proposer, draw, text)
    return draw_actions.approve_reveal(approver, draw)


def full_run(task: Task, proposer: Any, approver: Any) -> Draw:
    from spotcheck.draws import actions as draw_actions

    draw = draw_actions.freeze(proposer, task)
    commit(draw, proposer, approver)
    return reveal(draw, proposer, approver)


# --- Inspections: a revealed draw whose inspection period has started, files, the catalogue ------------

# ``spotcheck.inspections.lenience`` (the lenience recommendation) was written by another helper; were it
# missing, a stub that recommends nothing is installed so the workflow tests run, and tests of the
# recommendation itself are skipped (``real_lenience``).
try:
    importlib.import_module("spotcheck.inspections.lenience")
    HAS_LENIENCE = True
except ImportError:
    HAS_LENIENCE = False
    _stub = types.ModuleType("spotcheck.inspections.lenience")
    _stub.apply_recommendation = lambda finding: None  # type: ignore[attr-defined]
    sys.modules["spotcheck.inspections.lenience"] = _stub

real_lenience = pytest.mark.skipif(not HAS_LENIENCE, reason="spotcheck.inspections.lenience 尚未提供")

#: Smallest valid files of each type (magic bytes are what counts).
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n" + b"0" * 64


def upload(content: bytes = JPEG, name: str = "photo.jpg", content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def violation(kind: str = "H", act_code: str = "38-duplicate-charge") -> ViolationType:
    """The catalogue's 重复收费 entry (from the default catalogue when present)."""
    vt = ViolationType.objects.filter(kind=kind, act_code=act_code, active=True).first()
    if vt is None:
        vt = ViolationType.objects.create(kind=kind, seq=90, name="分解收费、超标准收费、重复收费、套用项目收费等违规收费行为",
                                          act_code=act_code, article=38)
    return vt


def make_insp_world(world: World, staffed: dict[str, list[Any]], approver: Any) -> dict[str, Any]:
    """The ``insp_world`` fixture: task period started 5 days ago; draw revealed; inspections generated."""
    from spotcheck.policy.models import PolicySetting

    today = timezone.localdate()
    task = make_task(world, period_start=today - dt.timedelta(days=5), period_end=today + dt.timedelta(days=60))
    proposer = user("t-proposer", Role.COUNTY_STAFF, YANGCHENG)
    PolicySetting.objects.create(key="draw.staffing_simulation_runs", value=3, effective_from=dt.date(2000, 1, 1),
                                 note="tests: the staffing simulation is not under test here")
    draw = full_run(task, proposer, approver)
    assert draw.is_revealed
    created = list(Inspection.objects.filter(assignment__draw=draw))  # made by approve_reveal
    return {"task": task, "draw": draw, "proposer": proposer, "approver": approver, "created": created,
            "world": world, "staffed": staffed}


def first_hospital_inspection() -> Inspection:
    """The ``hospital_inspection`` fixture (after ``insp_world``): the first hospital's inspection."""
    insp = Inspection.objects.filter(institution__kind=CatalogueKind.HOSPITAL).order_by("id").first()
    assert insp is not None
    return insp


def make_team_user(hospital_inspection: Inspection) -> User:
    """An inspector-role account of the first member of the hospital's team."""
    member = hospital_inspection.active_members().first()
    return user("t-team", Role.INSPECTOR, YANGCHENG, inspector_number=member.inspector.number)


def make_other_inspector_user(hospital_inspection: Inspection) -> User:
    """An inspector-role account of an inspector on no team of the hospital."""
    team = {m.inspector_id for m in hospital_inspection.active_members()}
    other = Inspector.objects.exclude(pk__in=team).filter(region_id=YANGCHENG).first()
    return user("t-other-insp", Role.INSPECTOR, YANGCHENG, inspector_number=other.number)


def make_reviewer() -> User:
    return user("t-reviewer", Role.COUNTY_STAFF, YANGCHENG)


def fill_checklist(user: Any, insp: Inspection, outcome: str = "compliant") -> None:
    from spotcheck.inspections import actions as inspection_actions

    inspection_actions.set_checklist(user, insp, {e.pk: (outcome, "") for e in insp.checklist.filter(outcome="")})


def recorded(user: Any, insp: Inspection, *, with_finding: bool = True) -> Inspection:
    """Walk ``insp`` to ``recorded`` as ``user`` (an 800 元 duplicate charge corrected on site)."""
    from spotcheck.inspections import actions as inspection_actions

    inspection_actions.notify(user, insp)
    if with_finding:
        inspection_actions.add_finding(user, insp, violation(insp.institution.kind), "重复收取床位费", Decimal("800"), True)
    fill_checklist(user, insp)
    inspection_actions.add_evidence(user, insp, upload(name="sign.jpg"), "signature")
    return inspection_actions.record_result(
        user, insp, "corrected" if with_finding else "no_problem", "发现重复收费，已当场退回" if with_finding else "",
        "责令改正" if with_finding else "", timezone.localdate(), "张院长",
    )


# --- Portal: published results of a revealed 阳城 draw whose inspections have started -------------------


def fresh_cache() -> Iterator[None]:
    """Body of the portal's autouse ``_fresh_cache`` fixture: the rate-limit counters and cached pages live
    in the cache, cleared before and after each test (``yield from fresh_cache()``)."""
    cache.clear()
    yield
    cache.clear()


def start_inspections(task: Task, days_ago: int = 1) -> Task:
    """Move the task's period start into the past (inspections have started)."""
    Task.objects.filter(pk=task.pk).update(period_start=timezone.localdate() - dt.timedelta(days=days_ago))
    task.refresh_from_db()
    return task


def make_inspections(draw: Draw, *, status: str = InspectionStatus.REVIEWED, result_type: str = "corrected",
                     handling: str = "责令退回违规费用并限期整改", due_in: int = 5, reviewer: Any = None) -> list[Inspection]:
    today = timezone.localdate()
    out = []
    for a in draw.assignments.filter(active=True).select_related("institution").order_by("position"):
        out.append(Inspection.objects.update_or_create(  # approve_reveal already made the record
            assignment=a, defaults=dict(task=draw.task, institution=a.institution, region_id=draw.task.region_id, status=status,
            result_type=result_type, handling=handling, result_summary="现场检查发现问题",
            started_on=today - dt.timedelta(days=3), ended_on=today - dt.timedelta(days=2),
            due_date=today + dt.timedelta(days=due_in), reviewed_by=reviewer, reviewed_at=timezone.now(),),
        )[0])
    return out


def add_finding(inspection: Inspection, amount: str = "1200.50", seq: int = 1) -> Finding:
    vt = ViolationType.objects.filter(kind=CatalogueKind(inspection.institution.kind), seq=seq).first()
    if vt is None:
        vt = ViolationType.objects.create(kind=inspection.institution.kind, seq=seq, name="重复收费",
                                          act_code="38-duplicate-charge", article=38)
    return Finding.objects.create(inspection=inspection, violation_type=vt, act_code=vt.act_code, article=vt.article,
                                  description="重复收取诊查费，联系人电话 13812345678", amount=Decimal(amount))


def make_started(world: World, county_user: Any, approver: Any) -> Draw:
    """The ``started`` fixture (after ``staffed``): a revealed draw of a 阳城 task whose inspections have
    started."""
    task = make_task(world, name="2026年阳城县医保基金专项检查")
    draw = full_run(task, county_user, approver)
    start_inspections(draw.task)
    draw.refresh_from_db()
    return draw


# --- Credit: a reviewed 阳城 inspection with findings built through the ORM, as the signals see it ---------


def reviewed(inspection: Inspection, user: Any) -> Inspection:
    inspection.status = InspectionStatus.REVIEWED
    inspection.ended_on = timezone.localdate() - dt.timedelta(days=3)
    inspection.reviewed_by, inspection.reviewed_at = user, timezone.now()
    inspection.save()
    return inspection


def finding(inspection: Inspection, user: Any, amount: str = "800.00", **extra: Any) -> Finding:
    vt = violation("H")
    data = {
        "inspection": inspection, "violation_type": vt, "act_code": vt.act_code, "article": vt.article,
        "description": "重复收取诊查费", "amount": Decimal(amount), "created_by": user,
    }
    data.update(extra)
    return Finding.objects.create(**data)


def penalise(fnd: Finding, user: Any, *, executed: bool = False, amount: str = "2000.00") -> Finding:
    fnd.decided_treatment = "依法处罚"
    fnd.penalty_amount = Decimal(amount)
    fnd.refund_amount = fnd.amount
    fnd.penalty_executed = executed
    fnd.penalty_decision_number = "阳医保罚〔2026〕1号"
    fnd.decided_by, fnd.decided_at = user, timezone.now()
    fnd.save()
    return fnd


def send_reviewed(inspection: Inspection, user: Any) -> None:
    from spotcheck.inspections.signals import inspection_reviewed

    inspection_reviewed.send(sender=Inspection, inspection=inspection, user=user)


def send_decided(fnd: Finding, user: Any) -> None:
    from spotcheck.inspections.signals import finding_decided

    finding_decided.send(sender=Finding, finding=fnd, user=user)


def make_poor(hospital_inspection: Inspection, reviewer: Any) -> dict[str, Any]:
    """The ``poor`` fixture, the credit "done when" file: an 800 元 finding and an unexecuted penalty,
    reviewed and evaluated (较差)."""
    from spotcheck.credit import actions as credit_actions

    insp = reviewed(hospital_inspection, reviewer)
    fnd = finding(insp, reviewer)
    send_reviewed(insp, reviewer)
    send_decided(penalise(fnd, reviewer), reviewer)
    subject = insp.institution.credit_subject
    evaluation = credit_actions.evaluate_subject(reviewer, subject)
    return {"inspection": insp, "finding": fnd, "subject": subject, "evaluation": evaluation,
            "institution": insp.institution}


def make_inst_user(poor: dict[str, Any]) -> User:
    """The ``inst_user`` fixture: the institution account of the ``poor`` file's institution."""
    from spotcheck.credit import actions as credit_actions

    inst = poor["institution"]
    return credit_actions.create_institution_account("admin-cli", inst.fixmedins_code, "t-inst", PASSWORD)


# --- Screening: claim files (医保结算清单 CSV) --------------------------------------------------------

VISIT_FIELDS = ["mdtrt_id", "psn_no", "gend", "brdy", "fixmedins_code", "begntime", "endtime", "med_type",
                "dscg_maindiag_code", "vali_flag"]
SETL_FIELDS = ["setl_id", "mdtrt_id", "psn_no", "fixmedins_code", "setl_time", "medfee_sumamt", "inscp_amt",
               "fund_pay_sumamt", "vali_flag"]
FEE_FIELDS = ["feedetl_sn", "mdtrt_id", "setl_id", "fixmedins_code", "fee_ocur_time", "hilist_code", "hilist_name",
              "cnt", "pric", "det_item_fee_sumamt", "pric_uplmt_amt", "inscp_amt", "prd_days", "vali_flag"]


def csv_bytes(fields: list[str], rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    for r in rows:
        w.writerow(r)
    return buf.getvalue().encode("utf-8-sig")


def make_insts() -> dict[str, Institution]:
    """The screening ``insts`` fixture: two hospitals in 阳城县 and one in 怀仁市."""
    return {"y1": institution(YANGCHENG), "y2": institution(YANGCHENG), "h1": institution(HUAIREN)}


def claim_rows(insts: dict, over_price_code: str = "y1") -> dict[str, list[dict]]:
    """One visit per institution with one fee line; the fee at ``over_price_code`` is above its limit."""
    visits, setls, fees = [], [], []
    for n, (key, inst) in enumerate(insts.items(), start=1):
        mid = f"M{n}"
        visits.append({"mdtrt_id": mid, "psn_no": f"14000000000000000{n:03d}", "gend": "1", "brdy": "1980-01-01",
                       "fixmedins_code": inst.fixmedins_code, "begntime": "2023-10-05 08:00:00",
                       "endtime": "2023-10-05 09:00:00", "med_type": "11", "dscg_maindiag_code": "", "vali_flag": "1"})
        setls.append({"setl_id": f"S{n}", "mdtrt_id": mid, "psn_no": f"14000000000000000{n:03d}",
                      "fixmedins_code": inst.fixmedins_code, "setl_time": "2023-10-05 10:00:00",
                      "medfee_sumamt": "30.00", "inscp_amt": "30.00", "fund_pay_sumamt": "20.00", "vali_flag": "1"})
        price = "15.00" if key == over_price_code else "10.00"
        fees.append({"feedetl_sn": f"F{n}", "mdtrt_id": mid, "setl_id": f"S{n}", "fixmedins_code": inst.fixmedins_code,
                     "fee_ocur_time": "2023-10-05 08:30:00", "hilist_code": "250101015000000X", "hilist_name": "尿常规",
                     "cnt": "2", "pric": price, "det_item_fee_sumamt": str(2 * float(price)),
                     "pric_uplmt_amt": "12.00", "inscp_amt": "20.00", "prd_days": "", "vali_flag": "1"})
    return {"mdtrt_d": visits, "setl_d": setls, "fee_list_d": fees}


def files_of(rows: dict[str, list[dict]]) -> dict[str, bytes]:
    return {"mdtrt_d.csv": csv_bytes(VISIT_FIELDS, rows["mdtrt_d"]), "setl_d.csv": csv_bytes(SETL_FIELDS, rows["setl_d"]),
            "fee_list_d.csv": csv_bytes(FEE_FIELDS, rows["fee_list_d"])}


# --- Planning: the departments the 2023 examples need -------------------------------------------------

#: The departments the examples need (the names ``spotcheck demo-data`` creates).
EXAMPLE_DEPARTMENTS = [
    (YANGCHENG, DepartmentKind.HEALTHCARE_SECURITY, "阳城县医疗保障局"),
    (YANGCHENG, DepartmentKind.MARKET_REGULATION, "阳城县市场监督管理局"),
    (YANGCHENG, DepartmentKind.HEALTH_COMMISSION, "阳城县卫生健康和体育局"),
    (SHUOZHOU, DepartmentKind.HEALTHCARE_SECURITY, "朔州市医疗保障局"),
    (SHUOZHOU, DepartmentKind.INSURANCE_CENTER, "朔州市医疗保险服务中心"),
]


def make_departments() -> dict[str, Department]:
    """The planning ``departments`` fixture: the example departments by name."""
    return {name: department(region, kind, name) for region, kind, name in EXAMPLE_DEPARTMENTS}


# --- Browser tests ------------------------------------------------------------------------------------

#: Where the browser tests save their screenshots.
E2E_ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "e2e"


# --------------------------------------------------------------------------------------------
# Files an import must refuse (base.uploads): each a (name, bytes) pair for an import of a given extension.

HTML_PAGE = b"<!DOCTYPE html>\n<html><body><script>alert(document.cookie)</script></body></html>\n"
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240 + b"This program"


def zip_bytes(parts: dict[str, bytes]) -> bytes:
    """A ZIP archive of ``parts`` (deflated)."""
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


@functools.lru_cache(maxsize=2)
def xlsx_bomb(rows: int = 300_000) -> bytes:
    """A real .xlsx (openpyxl opens it) whose one sheet holds ``rows`` rows: a few hundred KB that unpack to
    ``rows`` × ~70 bytes of XML."""
    import io
    import zipfile

    from openpyxl import Workbook

    book = io.BytesIO()
    Workbook().save(book)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(book.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                dst.writestr(info, src.read(info))
                continue
            with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns='
                            b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                for r in range(1, rows + 1):
                    sheet.write(b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (r, r))
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def refused_uploads(ext: str) -> dict[str, tuple[str, bytes]]:
    """What every import must refuse, named with extension ``ext`` (``.csv``/``.xlsx``): case → (name, bytes).
    ``bomb`` is refused once ``SPOTCHECK_XLSX_MAX_UNPACKED_BYTES`` is below its ~20 MB of XML."""
    return {
        "html": (f"page{ext}", HTML_PAGE),
        "exe": (f"setup{ext}", EXECUTABLE),
        "nul": (f"nul{ext}", b"a,b\r\n1,\x002\r\n"),
        "zip": (f"archive{ext}", zip_bytes({"readme.txt": b"not a workbook"})),
        "bomb": (f"bomb{ext}", xlsx_bomb()),
        "traversal": (f"../../evil{ext}", HTML_PAGE),
    }


def media_files() -> set[str]:
    """Every file under ``MEDIA_ROOT`` and the ``evil*`` next to it (what an upload must never add to)."""
    from pathlib import Path

    from django.conf import settings

    root = Path(settings.MEDIA_ROOT)
    return {str(p) for base in (root, root.parent) for p in (base.rglob("*") if base == root else base.glob("evil*"))
            if not p.is_dir()}


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A multipart/form-data body whose file names are sent exactly as given (the test client keeps only
    their last part): ``fields``, and ``files`` as (field, file name, bytes); returns (body, content type)."""
    boundary = "----spotcheck-test-boundary"
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for field, filename, data in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


#: The refusals every import page is tested with: (case, extension, what the message says).
REFUSAL_CASES = [
    ("oversize", ".xlsx", "文件过大："),
    ("html", ".xlsx", "网页或 XML 文本"),
    ("html", ".csv", "网页或 XML 文本"),
    ("exe", ".csv", "可执行程序"),
    ("nul", ".csv", "含有 NUL 字节"),
    ("zip", ".xlsx", "ZIP 压缩包"),
    ("bomb", ".xlsx", "解压后为"),
    ("traversal", ".csv", "evil.csv"),
]


def refusal_upload(case: str, ext: str, settings: Any, cap_setting: str, good: tuple[str, bytes] | None = None,
                   prefix: str = "") -> tuple[str, bytes]:
    """The (name, bytes) of a refusal case for an import whose size cap is ``cap_setting``; ``oversize`` is
    ``good`` (a valid file) under a cap of 100 bytes, ``bomb`` meets an unpacked cap of 5 MB. ``prefix`` is put
    before the name (the claims import recognises its tables by the name)."""
    if case == "oversize":
        assert good is not None and len(good[1]) > 100
        setattr(settings, cap_setting, 100)
        return good
    if case == "bomb":
        settings.SPOTCHECK_XLSX_MAX_UNPACKED_BYTES = 5 * 1024 * 1024
    name, data = refused_uploads(ext)[case]
    head, _, tail = name.rpartition("/")
    return (f"{head}/{prefix}{tail}" if head else f"{prefix}{tail}"), data
