"""Area scope, generated over every route (issue 12 §4; NetBox's generated view test cases).

Every URL pattern of the resolver — the pages, every API route of the router and the Django admin — is
collected at import time and becomes one test. Each test visits its route as users of area A, one per
role, with the ids of area B's rows in the path, and expects a denial: 403, 404, 405 or a redirect to
the login page. No response may be a server error or show the text of an area-B row. The check of every
request is one function, :func:`check`; ``test_the_check_reports_a_view_that_drops_restrict`` shows that it
fails when a view drops ``restrict``.

The two areas (``B`` holds the data, every visitor lives in ``A``):

* area B — 阳城县 ``140522`` of 晋城市: a directory, an item list, a plan, tasks, a revealed draw with a
  pending event and a committed (secret) draw, inspections with findings, evidence, a referral and a
  rectification, a publication, a credit file with records, an evaluation, an objection, a repair and a
  measure, a screening batch with its run and hits, an import and an export job, audit events;
* area A — 朔州市 ``140600`` (its 市局管理员), 怀仁市 ``140681`` (县局业务人员, 检查人员 and an institution
  account of a 怀仁 hospital) and 沁水县 ``140521``, the sibling county of 阳城 in 晋城 (县局业务人员).

Every identifying text of an area-B row carries ``ZQB-`` (names, titles, reasons), texts that are never
public carry ``ZQX-`` (objection and repair texts, referral reasons, unpublished findings, file names, the
secret of the unrevealed draw); area-A rows carry ``ZQA-``. An area-A visitor must see neither ``ZQB-`` nor
``ZQX-`` nor any of B's codes; the public (anonymous, and anyone on a public page) must never see ``ZQX-``.
(The marks end in ``-``: a CSRF token is alphanumeric and once contained ``ZQX`` by chance.)

How a route is visited:

* a parameter is filled from :data:`PARAMS` by ``"<path segment before it>/<name>"`` or by its name alone;
  a route with a parameter that the table does not know FAILS (``test_every_route_is_covered``): a new
  route is covered the day it is added, by adding one line to the table, never silently skipped;
* a route with at least one area-scoped parameter is an *object route*, visited with
  - ``foreign`` ids (every row parameter names B's row): every area-A visitor, with GET and POST (API routes
    also PATCH and DELETE; empty bodies, CSRF off as in Django's test client), must be denied; a 403 must
    also be what a row that does not exist gets (else the 403 confirms that B's row exists); the
    系统管理员 (unscoped by design) must *not* get a 404 on GET: the control that the ids reach real rows;
  - ``mixed`` ids (an area-A parent with a B child, ``/inspections/<A>/findings/<B>/void/``): denied too;
  - ``own`` ids (every row parameter names A's row; A's claims batch also holds B's claims): 怀仁's
    county staff gets A's page, which must not list B's rows;
* any other route (a list, a form, an export, a parameter that is a format or a kind) is a *list route*:
  no server error and none of B's text, for every area-A visitor, with GET and POST, and with GET
  ``?task=<B>&region=140522&…`` (``filtered``: a filter must not fetch B's rows unscoped);
* public routes (see :data:`ALLOWLIST`: the portal namespace, ``/api/publications/``, the public credit
  list) are the exception the product makes on purpose — the public sees published results of every
  area: a public route that anonymous visitors can read is checked for server errors and ``ZQX-`` only; a
  portal route that anonymous visitors cannot read (publishing, corrections) is checked like any other;
* 系统管理员 and 审计/纪检 see every area by design: they are visited with GET for server errors only;
* anonymous visitors of a non-public route must be sent to the login page (or get 401/403/404/405);
* the Django admin: every role of the product (none is staff) is sent to the admin login.

Each request runs in a savepoint that is rolled back, so a leaking POST or DELETE cannot change the
world the next request sees. The world is built once per module in a transaction that is rolled back.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import traceback
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.core.codes import make_fixmedins_code, make_uscc
from tests import factories as f

# Rows are written by the module fixture; audit events must survive the per-test emptying of the chain
# (``audit/<seq>/`` is visited with the seq of an area-B event).
pytestmark = [pytest.mark.django_db, pytest.mark.keep_audit_chain]

# --------------------------------------------------------------------------------------------
# the two areas

B_COUNTY = f.YANGCHENG  # 140522 阳城县
B_CITY = "140500"  # 晋城市
A_CITY = f.SHUOZHOU  # 140600 朔州市
A_COUNTY = f.HUAIREN  # 140681 怀仁市 (朔州)
SIBLING_COUNTY = "140521"  # 沁水县: 晋城's other county, a sibling of 阳城

B_MARK = "ZQB-"  # in every identifying text of an area-B row
SECRET_MARK = "ZQX-"  # in area-B texts that are never public
A_MARK = "ZQA-"  # in area-A rows (never searched for: A's users may see them)

#: Area-A visitors (the strict checks), by label: (role, region, kind of account).
STRICT_USERS: dict[str, tuple[str, str]] = {
    "city_admin@朔州": (Role.CITY_ADMIN, A_CITY),
    "county_staff@怀仁": (Role.COUNTY_STAFF, A_COUNTY),
    "inspector@怀仁": (Role.INSPECTOR, A_COUNTY),
    "institution@怀仁": (Role.INSTITUTION, A_COUNTY),
    "county_staff@沁水": (Role.COUNTY_STAFF, SIBLING_COUNTY),
}
#: Users who see every area by design (``UNSCOPED_ROLES``): visited for server errors only. ``admin`` is the
#: installation account (a superuser: every permission, so it also serves as the control that ids reach rows).
UNSCOPED_USERS: dict[str, str] = {"admin": Role.ADMIN, "sysadmin": Role.ADMIN, "security_admin": Role.SECURITY_ADMIN,
                                  "audit_admin": Role.AUDIT_ADMIN, "auditor": Role.AUDITOR}
ANONYMOUS = "anonymous"
#: Who visits area A's own rows (the "own" visits): a bureau user who can see them.
OWN_VISITORS = ("county_staff@怀仁",)


# --------------------------------------------------------------------------------------------
# the world


def build_world() -> dict[str, Any]:
    """Area B's rows (one of every scoped kind), area A's few rows and the visitors. Returns rows by name."""
    from spotcheck.audit.models import AuditEvent, Checkpoint
    from spotcheck.credit import actions as credit
    from spotcheck.credit.models import Measure
    from spotcheck.directory.models import DepartmentKind, InspectorAbsence
    from spotcheck.draws import actions as draws
    from spotcheck.draws.models import DrawSecret, EventReason, EventType
    from spotcheck.inspections import actions as insp_actions
    from spotcheck.inspections.models import (
        CatalogueKind,
        Inspection,
        LenienceCircumstance,
        LenienceEntry,
        ViolationType,
    )
    from spotcheck.jobs.models import Job
    from spotcheck.planning.models import CheckItem, ItemList, ItemType, Plan
    from spotcheck.policy.models import HolidayOverride, PolicySetting
    from spotcheck.portal import actions as portal
    from spotcheck.screening import actions as screening
    from spotcheck.screening.io import source_from_bytes
    from tests.factories import (
        JPEG,
        PDF,
        World,
        claim_rows,
        commit,
        ensure_migration_rows,
        files_of,
        full_run,
        make_task,
        upload,
        violation,
    )

    ensure_migration_rows()
    w: dict[str, Any] = {}
    today = timezone.localdate()
    PolicySetting.objects.create(key="draw.staffing_simulation_runs", value=3, effective_from=dt.date(2000, 1, 1),
                                 note="route scope test: the staffing simulation is not under test")

    # ---- area B's people (the actors that make B's rows)
    staff = f.user("zqb-staff", Role.COUNTY_STAFF, B_COUNTY, display_name="ZQB-县局员甲")
    reviewer = f.user("zqb-reviewer", Role.COUNTY_STAFF, B_COUNTY, display_name="ZQB-县局员乙")
    approver = f.user("zqb-approver", Role.CITY_ADMIN, B_CITY, display_name="ZQB-市局员")

    # ---- directory (10 hospitals, 4 pharmacies, 9 inspectors as the draws tests use)
    yb = f.department(B_COUNTY, DepartmentKind.HEALTHCARE_SECURITY, "ZQB-阳城县医疗保障局")
    sj = f.department(B_COUNTY, DepartmentKind.MARKET_REGULATION, "ZQB-阳城县市场监督管理局")

    def b_institution(kind: str, n: int, **extra: Any) -> Any:
        # codes far from the ones the import templates show as examples (H14052200001…)
        return f.institution(B_COUNTY, kind, fixmedins_code=make_fixmedins_code(kind, B_COUNTY, 70000 + n),
                             uscc=make_uscc(B_COUNTY, 70000 + n), contact_phone=f"1390522{n:04d}", **extra)

    hospitals = [b_institution("H", n, name=f"ZQB-医院{n:02d}", credit_grade="中等") for n in range(10)]
    pharmacies = [b_institution("P", n + 50, name=f"ZQB-药店{n:02d}", credit_grade="良好") for n in range(4)]
    inspectors = [f.inspector(B_COUNTY, department=yb, name=f"ZQB-医保检查员{n}", phone=f"1380522{n:04d}")
                  for n in range(6)]
    inspectors += [f.inspector(B_COUNTY, department=sj, name=f"ZQB-市监检查员{n}", phone=f"1380522{n + 50:04d}")
                   for n in range(3)]
    w["institution"], w["inspector"], w["department"] = hospitals[0], inspectors[0], yb
    w["conflict"] = f.conflict(inspectors[-1], pharmacies[-1])
    w["absence"] = InspectorAbsence.objects.create(inspector=inspectors[-2], start=dt.date(2025, 1, 1),
                                                   end=dt.date(2025, 1, 5), reason="ZQB-培训")

    # ---- planning: an item list, a plan and a task whose inspection period has started
    start, end = today - dt.timedelta(days=5), today + dt.timedelta(days=60)
    item_list = ItemList.objects.create(region_id=B_COUNTY, year=today.year, name="ZQB-随机抽查事项清单")

    def item(seq: int, kind: str, item_type: str) -> CheckItem:
        return CheckItem.objects.create(
            item_list=item_list, seq=seq, category="医保基金使用", name=f"ZQB-检查事项{seq}", target="定点机构",
            target_kind=kind, item_type=item_type, ratio_text="3%", ratio_num=3, ratio_den=100,
        )

    plan = Plan.objects.create(region_id=B_COUNTY, year=today.year, name="ZQB-年度抽查计划", item_list=item_list)
    world = World(plan=plan, general_h=item(1, "H", ItemType.GENERAL), key_h=item(2, "H", ItemType.KEY),
                  general_p=item(3, "P", ItemType.GENERAL), agency=item(4, "agency", ItemType.GENERAL),
                  yb=yb, sj=sj, start=start, end=end)
    task = make_task(world, name="ZQB-医保基金专项检查", period_start=start, period_end=end)
    w.update(item_list=item_list, check_item=world.general_h, plan=plan, task=task)

    # ---- draws: a revealed draw (inspections made by the reveal) with a pending event, and a second task's
    # committed draw whose secret must never be shown to anyone
    draw = full_run(task, staff, approver)
    w["draw"] = draw
    other_task = make_task(world, name="ZQB-第二项专项检查", period_start=today + dt.timedelta(days=30),
                           period_end=today + dt.timedelta(days=90))
    secret_draw = draws.freeze(staff, other_task)
    commit(secret_draw, staff, approver)
    w["secret_draw"] = secret_draw
    w["draw_secret"] = DrawSecret.objects.get(draw=secret_draw).secret

    # ---- inspections: the hospital's is walked to reviewed and published; a pharmacy's keeps an unpublished
    # finding
    inspections = list(Inspection.objects.filter(assignment__draw=draw).select_related("institution").order_by("id"))
    insp = next(i for i in inspections if i.institution.kind == CatalogueKind.HOSPITAL)
    member = insp.active_members().first()
    team_user = f.user("zqb-team", Role.INSPECTOR, B_COUNTY, inspector_number=member.inspector.number,
                       display_name="ZQB-检查员账号")
    insp_actions.notify(team_user, insp)
    finding = insp_actions.add_finding(team_user, insp, violation(insp.institution.kind), "ZQB-重复收取床位费",
                                       Decimal("800"), True)
    insp_actions.set_checklist(team_user, insp, {e.pk: ("compliant", "") for e in insp.checklist.filter(outcome="")})
    evidence = insp_actions.add_evidence(team_user, insp, upload(JPEG, "ZQX-现场照片.jpg"), "photo")
    insp_actions.add_evidence(team_user, insp, upload(name="ZQX-签字.jpg"), "signature")
    insp_actions.record_result(team_user, insp, "corrected", "ZQB-发现重复收费，已当场退回", "责令改正",
                               today, "ZQB-张院长")
    finding.refresh_from_db()
    insp_actions.decide_finding(reviewer, finding, finding.recommended_treatment or "不予处罚",
                                "" if finding.recommended_treatment else "ZQB-与建议一致")
    insp_actions.review(reviewer, insp, True, "同意")
    referral = insp_actions.refer(reviewer, insp, "police", "ZQX-涉嫌诈骗移交理由", agency_name="ZQB-阳城县公安局",
                                  finding=finding)
    rect = insp_actions.order_rectification(reviewer, insp, "ZQX-退回重复收取的费用", finding=finding)
    insp.refresh_from_db()
    publication = portal.publish(staff, insp)
    w.update(inspection=insp, finding=finding, evidence=evidence, referral=referral, rectification=rect,
             publication=publication)
    pharmacy_insp = next(i for i in inspections if i.institution.kind == CatalogueKind.PHARMACY)
    pharmacy_member = pharmacy_insp.active_members().first()
    pharmacy_user = f.user("zqb-team2", Role.INSPECTOR, B_COUNTY, inspector_number=pharmacy_member.inspector.number)
    insp_actions.notify(pharmacy_user, pharmacy_insp)
    insp_actions.add_finding(pharmacy_user, pharmacy_insp, violation(pharmacy_insp.institution.kind),
                             "ZQX-未公示的问题描述", Decimal("66"), False)

    # a pending event on the revealed draw (replace the drawn pharmacy)
    w["event"] = draws.request_event(staff, draw, type=EventType.REPLACE_UNIT, institution=pharmacy_insp.institution,
                                     reason_kind=EventReason.OTHER, reason="ZQB-机构停业变更")

    # ---- credit: the hospital's file, a record with evidence, an evaluation, an objection, a repair, a measure
    inst = insp.institution
    subject = credit.ensure_subject(staff, inst)
    old = today - dt.timedelta(days=31 * 8)
    record = credit.add_record(staff, subject, record_type="penalty", severity="moderate", title="ZQB-行政处罚",
                               occurred_on=old, recorded_on=old, evidence=upload(PDF, "ZQX-处罚决定书.pdf",
                                                                                 "application/pdf"))
    clean = credit.ensure_subject(staff, next(h for h in hospitals if h.pk != inst.pk))  # no recent record
    repair_record = credit.add_record(staff, clean, record_type="penalty", severity="minor", title="ZQB-较早处罚",
                                      occurred_on=old, recorded_on=old)
    evaluation = credit.evaluate_subject(staff, subject)
    objection = credit.file_objection(staff, record, "ZQX-异议理由：金额有误",
                                      upload(PDF, "ZQX-异议材料.pdf", "application/pdf"))
    repair = credit.apply_repair(staff, repair_record, "ZQX-已整改完毕的说明",
                                 upload(PDF, "ZQX-修复材料.pdf", "application/pdf"))
    measure = (credit.measures_for(subject) or [Measure.objects.first()])[0]
    credit.apply_measure(staff, subject, measure, "ZQB-约谈负责人")
    w.update(subject=subject, record=record, evaluation=evaluation, objection=objection, repair=repair)

    # ---- screening: a batch of 阳城 claims (an over-priced fee at the first hospital) and its run
    claims = claim_rows({"b1": hospitals[2], "b2": hospitals[3]}, "b1")
    batch = screening.import_batch(staff, [source_from_bytes(n, d) for n, d in files_of(claims).items()], "2023-10")
    run = screening.run_screening(staff, batch)
    hit = run.hits.order_by("id").first()
    assert hit is not None, "the screening run found nothing: the over-price rule changed?"
    w.update(batch=batch, run=run, hit=hit, hit_institution=hit.institution)

    # ---- an import job and an export job of 阳城's staff
    w["job"] = Job.objects.create(kind="import:institutions", created_by=staff, region_code=B_COUNTY,
                                  status=Job.Status.SUCCEEDED, message="ZQB-导入完成", file_name="ZQX-机构导入.xlsx",
                                  result={"created": 1, "updated": 0, "errors": []})
    w["export_job"] = Job.objects.create(kind="export:institutions", created_by=staff, region_code=B_COUNTY,
                                         status=Job.Status.SUCCEEDED, message="ZQB-导出完成",
                                         result={"name": "ZQX-机构导出.xlsx", "rows": 14})

    # ---- an account of area B (accounts are the administrators' business: every bureau role is refused)
    w["account"] = staff

    # ---- area A: its own directory, a revealed draw with an inspection and a finding, a credit file, a job,
    # and a claims batch shared with area B (its run has a hit in B). These rows fill the parameters of the
    # "own" and "mixed" visits: an area-A page must not list B's rows, and an area-A parent must not open a
    # B child (``/inspections/<A>/findings/<B>/…``).
    users = build_visitors()
    w["users"] = users
    a_actor = f.user("zqa-actor", Role.COUNTY_STAFF, A_COUNTY, display_name="ZQA-县局员")
    a_approver = f.user("zqa-approver", Role.CITY_ADMIN, A_CITY, display_name="ZQA-市局员")
    a_yb = f.department(A_COUNTY, DepartmentKind.HEALTHCARE_SECURITY, "ZQA-怀仁市医疗保障局")
    a_sj = f.department(A_COUNTY, DepartmentKind.MARKET_REGULATION, "ZQA-怀仁市市场监督管理局")
    a_hospitals = [f.institution(A_COUNTY, "H", name=f"ZQA-医院{n}") for n in range(6)]
    a_pharmacies = [f.institution(A_COUNTY, "P", name=f"ZQA-药店{n}") for n in range(2)]
    a_inspectors = [f.inspector(A_COUNTY, department=a_yb, name=f"ZQA-医保检查员{n}") for n in range(6)]
    a_inspectors += [f.inspector(A_COUNTY, department=a_sj, name=f"ZQA-市监检查员{n}") for n in range(3)]
    a_inst = a_hospitals[0]
    a_list = ItemList.objects.create(region_id=A_COUNTY, year=today.year, name="ZQA-随机抽查事项清单")
    a_items = [CheckItem.objects.create(
        item_list=a_list, seq=seq, category="医保基金使用", name=f"ZQA-检查事项{seq}", target="定点机构",
        target_kind=kind, item_type=ItemType.GENERAL, ratio_text="3%", ratio_num=3, ratio_den=100,
    ) for seq, kind in ((1, "H"), (2, "P"))]
    a_plan = Plan.objects.create(region_id=A_COUNTY, year=today.year, name="ZQA-年度抽查计划", item_list=a_list)
    a_world = World(plan=a_plan, general_h=a_items[0], key_h=a_items[0], general_p=a_items[1], agency=a_items[0],
                    yb=a_yb, sj=a_sj, start=start, end=end)
    a_task = make_task(a_world, name="ZQA-医保基金专项检查", region_id=A_COUNTY, items=a_items)
    a_draw = full_run(a_task, a_actor, a_approver)
    a_insp = Inspection.objects.filter(assignment__draw=a_draw).select_related("institution").order_by("id").first()
    a_team = f.user("zqa-team", Role.INSPECTOR, A_COUNTY,
                    inspector_number=a_insp.active_members().first().inspector.number)
    insp_actions.notify(a_team, a_insp)
    a_finding = insp_actions.add_finding(a_team, a_insp, violation(a_insp.institution.kind), "ZQA-重复收费",
                                         Decimal("10"), True)
    a_subject = credit.ensure_subject(a_actor, a_inst)
    a_record = credit.add_record(a_actor, a_subject, record_type="penalty", severity="minor", title="ZQA-处罚",
                                 occurred_on=old, recorded_on=old)
    admin_actor = f.user("zq-admin-actor", Role.ADMIN, "", is_superuser=True)
    shared = claim_rows({"a": a_inst, "b": hospitals[2]}, "b")
    shared_batch = screening.import_batch(admin_actor, [source_from_bytes(n, d) for n, d in files_of(shared).items()],
                                          "2023-11")
    shared_run = screening.run_screening(admin_actor, shared_batch)
    assert shared_run.hits.filter(institution=hit.institution).exists()  # B's hit, in a run area A can open
    w["a"] = {
        "institution": a_inst, "inspector": a_inspectors[0], "department": a_yb,
        "conflict": f.conflict(a_inspectors[-1], a_pharmacies[-1]),
        "absence": InspectorAbsence.objects.create(inspector=a_inspectors[-2], start=dt.date(2025, 1, 1),
                                                   end=dt.date(2025, 1, 5), reason="ZQA-培训"),
        "job": Job.objects.create(kind="import:institutions", created_by=users["county_staff@怀仁"],
                                  region_code=A_COUNTY, status=Job.Status.SUCCEEDED, message="ZQA-导入完成",
                                  result={"created": 1, "updated": 0, "errors": []}),
        "export_job": Job.objects.create(kind="export:institutions", created_by=users["county_staff@怀仁"],
                                         region_code=A_COUNTY, status=Job.Status.SUCCEEDED, message="ZQA-导出完成",
                                         result={"name": "ZQA-机构导出.xlsx", "rows": 1}),
        "item_list": a_list, "check_item": a_items[0], "plan": a_plan, "task": a_task, "draw": a_draw,
        "inspection": a_insp, "finding": a_finding, "subject": a_subject, "record": a_record,
        "batch": shared_batch, "run": shared_run, "hit_institution": a_inst,
    }

    # ---- rows that belong to no area (the routes that show them are list routes)
    if not LenienceEntry.objects.exists():
        LenienceEntry.objects.create(kind="不予处罚", number=99, act_code="x", act_text="x", setting_basis="x",
                                     basis="x")
    if not LenienceCircumstance.objects.exists():
        LenienceCircumstance.objects.create(code="route-scope", article="第六条", text="x")
    w["lenience_entry"] = LenienceEntry.objects.order_by("pk").first()
    w["circumstance"] = LenienceCircumstance.objects.order_by("pk").first()
    w["violation_type"] = ViolationType.objects.order_by("pk").first()
    w["holiday"] = HolidayOverride.objects.create(day=dt.date(2031, 1, 2), is_workday=False, note="route scope")
    w["checkpoint"] = _checkpoint(Checkpoint)
    w["audit_event"] = AuditEvent.objects.filter(region_code=B_COUNTY).order_by("-seq").first()
    assert w["audit_event"] is not None

    # ---- what an area-A visitor must never see: the marks, and B's codes
    codes = {i.fixmedins_code for i in [*hospitals, *pharmacies]} | {i.uscc for i in [*hospitals, *pharmacies]}
    codes |= {draw.draw_id, secret_draw.draw_id}
    never_public = {i.id_number for i in inspectors} | {i.phone for i in inspectors}  # 身份证号, 手机号
    w["b_markers"] = tuple(sorted({B_MARK, SECRET_MARK, w["draw_secret"], *codes, *never_public}))
    w["public_markers"] = (SECRET_MARK, w["draw_secret"], *sorted(never_public))
    return w


def build_visitors() -> dict[str, Any]:
    """Area A's visitors, one per role (plus 沁水's county staff), and the two unscoped roles."""
    from spotcheck.credit import actions as credit

    users: dict[str, Any] = {}
    home = f.institution(A_COUNTY, "H", name="ZQA-本机构")
    a_inspector = f.inspector(A_COUNTY, name="ZQA-检查员账号")
    for n, (label, (role, region)) in enumerate(STRICT_USERS.items()):
        username = f"zqa-{role}-{n}"
        if role == Role.INSTITUTION:
            users[label] = credit.create_institution_account("route-scope-test", home.fixmedins_code, username,
                                                             f.PASSWORD)
        elif role == Role.INSPECTOR:
            users[label] = f.user(username, role, region, inspector_number=a_inspector.number)
        else:
            users[label] = f.user(username, role, region)
    for label, role in UNSCOPED_USERS.items():
        users[label] = f.user(f"zqa-{label}", role, "", is_superuser=label == "admin")
    return users


def _checkpoint(model: Any) -> Any:
    """A signed audit checkpoint (public rows): signed by the test key, or written directly if the chain the
    module found cannot be signed."""
    from spotcheck.audit.checkpoints import make_checkpoint

    try:
        return make_checkpoint()
    except Exception:  # noqa: BLE001 - the chain left by other modules is not under test here
        return model.objects.create(seq=0, hash="0" * 64, at=timezone.now(), key_id="test", signature="", public_key="")


@pytest.fixture(autouse=True)
def _quiet_request_log():
    """Denials are the expected answers here: Django's per-request warnings would bury the report
    (server errors are reported by ``check`` with their exception)."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[dict[str, Any]]:
    """Built once per module inside a transaction that is rolled back at the end.

    The actions open ``atomic(durable=True)``; Django allows that inside a test case's atomic block only,
    recognised by ``_from_testcase``: the module's block is marked the same way. The visitors are logged in
    once here; each test's clients reuse their session cookies.
    """
    with django_db_blocker.unblock():
        block = transaction.atomic()
        block._from_testcase = True  # type: ignore[attr-defined]
        with block:
            w = build_world()
            w["sessions"] = {}
            for label, user in w["users"].items():
                client = Client()
                client.force_login(user)
                w["sessions"][label] = client.cookies[settings.SESSION_COOKIE_NAME].value
            yield w
            transaction.set_rollback(True)


# --------------------------------------------------------------------------------------------
# the routes


@dataclass(frozen=True)
class Route:
    """One URL pattern of the resolver."""

    name: str  # "namespace:name" (API routes have no namespace)
    pattern: str  # the full pattern text, shown in the test id
    params: tuple[str, ...]
    view: str  # dotted name of the view callable

    @property
    def namespace(self) -> str:
        return self.name.split(":", 1)[0] if ":" in self.name else ""

    @property
    def is_api(self) -> bool:
        return self.pattern.startswith("api/") and self.namespace == ""

    @property
    def test_id(self) -> str:
        text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", self.pattern)
        return "/" + text.replace("^", "").replace("$", "")


def _pattern_params(pattern: Any) -> list[str]:
    if isinstance(pattern, RoutePattern):
        return list(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return list(pattern.regex.groupindex)
    return []


def _walk(patterns: Sequence[Any], prefix: str = "", namespace: str = "",
          params: tuple[str, ...] = ()) -> Iterator[Route]:
    for p in patterns:
        here = tuple(params) + tuple(_pattern_params(p.pattern))
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns, here)
        elif isinstance(p, URLPattern):
            callback = p.callback
            cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
            target = cls or callback
            view = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', '?')}"
            yield Route(name=namespace + (p.name or ""), pattern=prefix + str(p.pattern), params=here, view=view)


def collect_routes() -> tuple[list[Route], list[Route]]:
    """(routes under test, Django admin routes), from the resolver.

    DRF's format-suffix twins (``/api/institutions/{pk}.json``: the same view and the same checks as the
    route they double) are left out."""
    routes, admin = [], []
    seen: set[str] = set()
    for route in _walk(get_resolver().url_patterns):
        if "format" in route.params or route.test_id in seen:
            continue
        seen.add(route.test_id)
        (admin if route.namespace == "admin" else routes).append(route)
    return routes, admin


ROUTES, ADMIN_ROUTES = collect_routes()


# --------------------------------------------------------------------------------------------
# how parameters are filled (data: one line per parameter; a new parameter fails the coverage test)


@dataclass(frozen=True)
class Param:
    """How to fill a path parameter from the world."""

    values: Callable[[dict[str, Any]], list[Any]]  # area B's row (or the fixed words)
    scoped: bool  # the value names an area-B row: the route must deny area-A visitors
    own: Callable[[dict[str, Any]], Any] | None = None  # area A's counterpart, for "own" and "mixed" visits


def row(key: str, attr: str = "pk", *, own: bool = False) -> Param:
    """An area-B row of the world (``own``: area A has a counterpart under the same key)."""
    return Param(lambda w: [getattr(w[key], attr)], scoped=True,
                 own=(lambda w: getattr(w["a"][key], attr)) if own else None)


def shared(key: str, attr: str = "pk") -> Param:
    """A row of no area (catalogues, settings, public checkpoints)."""
    return Param(lambda w: [getattr(w[key], attr)], scoped=False)


def choices(get: Callable[[], Sequence[str]]) -> Param:
    """A fixed word (a kind, a format, a key): every value is visited."""
    return Param(lambda w: list(get()), scoped=False)


def _directory_kinds() -> list[str]:
    from spotcheck.directory.io import SPECS

    return sorted(SPECS)


def _lookup_kinds() -> list[str]:
    from spotcheck.directory.lookups import LOOKUPS

    return sorted(LOOKUPS)


def _draw_lists() -> list[str]:
    from spotcheck.draws.views import LISTS

    return sorted(LISTS)


def _draw_formats() -> list[str]:
    from spotcheck.draws.views_documents import FORMATS

    return sorted(FORMATS)


def _policy_keys() -> list[str]:
    from spotcheck.policy.views import SPECS

    return sorted(SPECS)[:3]  # one page per key, the same view: three keys are enough


def _stats_keys() -> list[str]:
    from spotcheck.portal import stats

    return list(stats.compute({})["order"])


#: ``"<segment before the parameter>/<name>"`` first, then ``"<name>"``.
PARAMS: dict[str, Param] = {
    # directory
    "institutions/pk": row("institution", own=True),
    "inspectors/pk": row("inspector", own=True),
    "conflicts/pk": row("conflict", own=True),
    "absences/pk": row("absence", own=True),
    "absence_pk": row("absence", own=True),
    "departments/pk": row("department", own=True),
    "regions/pk": Param(lambda w: [B_COUNTY], scoped=True, own=lambda w: A_COUNTY),  # scoped by its own code
    "directory/kind": choices(_directory_kinds),
    "lookup/kind": choices(_lookup_kinds),  # the 回避登记 search boxes (the scope with ?q=: test_directory_lookup_*)
    "job_id": row("job", own=True),  # an import job
    "exports/job_id": row("export_job", own=True),
    # planning
    "lists/pk": row("item_list", own=True),
    "list_pk": row("item_list", own=True),
    "item-lists/pk": row("item_list", own=True),
    "items/pk": row("check_item", own=True),
    "plans/pk": row("plan", own=True),
    "plan_pk": row("plan", own=True),
    "tasks/pk": row("task", own=True),
    "task_id": row("task", own=True),
    # draws
    "draw_id": row("draw", "draw_id", own=True),
    "event_id": row("event"),
    "lists/kind": choices(_draw_lists),
    "fmt": choices(_draw_formats),
    # inspections
    "inspections/pk": row("inspection", own=True),
    "findings/pk": row("finding", own=True),
    "finding_id": row("finding", own=True),
    "evidence/pk": row("evidence"),
    "evidence_id": row("evidence"),
    "referrals/pk": row("referral"),
    "referral_id": row("referral"),
    "rectifications/pk": row("rectification"),
    "rect_id": row("rectification"),
    "entries/pk": shared("lenience_entry"),  # 包容审慎清单: one list for the installation
    "circumstances/pk": shared("circumstance"),  # 裁量情形: one provincial list
    "violations/pk": shared("violation_type"),  # 违规行为目录: one catalogue
    # credit
    "subjects/pk": row("subject", own=True),
    "records/pk": row("record", own=True),
    "evaluations/pk": row("evaluation"),
    "objections/pk": row("objection"),
    "repairs/pk": row("repair"),
    # portal (the public pages show B's published rows on purpose; the staff pages are scoped)
    "results/pk": row("publication"),
    "publications/pk": row("publication"),
    "institutions/code": row("institution", "fixmedins_code", own=True),
    "checkpoints/pk": shared("checkpoint"),
    "stats/key": choices(_stats_keys),
    # screening (area A's batch and run are shared with B: they hold a B hit)
    "batch_id": row("batch", own=True),
    "batches/pk": row("batch", own=True),
    "run_id": row("run", own=True),
    "runs/pk": row("run", own=True),
    "institution_id": row("hit_institution", own=True),
    "hits/pk": row("hit"),
    # audit
    "seq": row("audit_event", "seq"),
    # accounts (系统管理 → 用户: only the administrator roles, which are unscoped)
    "users/pk": row("account"),
    # policy (settings of the whole installation)
    "day": Param(lambda w: [w["holiday"].day.isoformat()], scoped=False),
    "policy/key": choices(_policy_keys),
}


def _credit_evidence(w: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"what": "record", "pk": w["record"].pk}, {"what": "objection", "pk": w["objection"].pk},
            {"what": "repair", "pk": w["repair"].pk}]


#: Routes whose parameters depend on each other: route name → (area-B kwargs, the parameters naming rows).
COUPLED: dict[str, tuple[Callable[[dict[str, Any]], list[dict[str, Any]]], tuple[str, ...]]] = {
    "credit:evidence": (_credit_evidence, ("pk",)),  # <what>/<pk>: the pk of the kind named by <what>
}


def param_key(route: Route, name: str) -> str | None:
    """The PARAMS key of ``name`` in ``route``, or None when the table does not know it."""
    found = re.search(rf"<(?:\w+:)?{name}>|\(\?P<{name}>", route.pattern)
    before = route.pattern[: found.start()] if found else ""
    segment = before.rstrip("/").rsplit("/", 1)[-1].lstrip("^")
    keys = [name] if (not segment or re.search(r"[<>()]", segment)) else [f"{segment}/{name}", name]
    return next((k for k in keys if k in PARAMS), None)


def unknown_params(route: Route) -> list[str]:
    if route.name in COUPLED:
        return []
    return [p for p in route.params if param_key(route, p) is None]


def _param(route: Route, name: str) -> Param:
    key = param_key(route, name)
    assert key is not None, f"{route.test_id}: no PARAMS entry for <{name}>"
    return PARAMS[key]


def row_params(route: Route) -> list[str]:
    """The parameters of ``route`` that name an area-scoped row."""
    if route.name in COUPLED:
        return list(COUPLED[route.name][1])
    return [p for p in route.params if _param(route, p).scoped]


def is_object_route(route: Route) -> bool:
    return bool(row_params(route))


def missing_url(route: Route, url: str) -> str:
    """``url`` with every row parameter replaced by a value of the same shape that names no row."""
    kwargs = dict(resolve(url).kwargs)
    for p in row_params(route):
        value = kwargs[p]
        kwargs[p] = 987654321 if isinstance(value, int) else re.sub(r"\d", "9", str(value))
    return reverse(route.name, kwargs=kwargs)


#: Kinds of visit: "list" (no area-B row in the path), "foreign" (every row parameter names a B row), "mixed"
#: (some name A's rows, some B's: an area-A parent with a B child), "own" (every row parameter names A's row).
def url_variants(route: Route, w: dict[str, Any]) -> list[tuple[str, str]]:
    """[(kind, url)] of ``route``: each combination of the parameters' values."""
    if route.name in COUPLED:
        return [("foreign", _reverse(route, kwargs)) for kwargs in COUPLED[route.name][0](w)]
    fixed: list[dict[str, Any]] = [{}]
    rows = []
    for p in route.params:
        spec = _param(route, p)
        if spec.scoped:
            rows.append((p, spec))
        else:
            fixed = [{**c, p: v} for c in fixed for v in spec.values(w)]
    if not rows:
        return [("list", _reverse(route, kwargs)) for kwargs in fixed]
    plans: list[tuple[str, dict[str, str]]] = [("foreign", {p: "B" for p, _ in rows})]
    with_own = [p for p, spec in rows if spec.own is not None]
    if len(rows) > 1:  # one parameter in area A, the others in B (and the other way round)
        for p in with_own:
            plans.append(("mixed", {q: ("A" if q == p else "B") for q, _ in rows}))
            if len(with_own) == len(rows):
                plans.append(("mixed", {q: ("B" if q == p else "A") for q, _ in rows}))
    if len(with_own) == len(rows):
        plans.append(("own", {p: "A" for p, _ in rows}))
    out = []
    for kind, sides in plans:
        chosen = {p: (spec.own(w) if sides[p] == "A" else spec.values(w)[0]) for p, spec in rows}  # type: ignore[misc]
        out += [(kind, _reverse(route, {**kwargs, **chosen})) for kwargs in fixed]
    return list(dict.fromkeys(out))


def _reverse(route: Route, kwargs: dict[str, Any]) -> str:
    url = reverse(route.name, kwargs=kwargs or None)
    match = resolve(url)
    assert match.view_name == route.name, (route.test_id, url, match.view_name)
    return url


# --------------------------------------------------------------------------------------------
# the allowlist: routes that are not area-scoped, and why (every entry must match a route)

ALLOWLIST: dict[str, str] = {
    # not requested at all
    "logout": "ends the session of the visiting client (no rows; would log the test client out)",
    # public by design: checked for server errors and never-public text (ZQX-) only, for everyone
    "login": "the login form (anonymous)",
    "portal:*": "公开门户: published results, tasks and draws of every area are public by design "
                "(a portal route that anonymous visitors cannot read is checked like any other route)",
    "publication-list": "/api/publications/: the portal's published results as an API (public, documented)",
    "publication-detail": "/api/publications/{pk}/: one published result (public, documented)",
    "credit:public-list": "公示的信用信息: the public credit list (no login), every area",
    "draws:verifier": "the public SC-DRAW-1 verifier script (no rows)",
    # API plumbing: no rows; visited once per kind of visitor (generating the schema takes seconds)
    "api-schema": "OpenAPI schema (no rows)",
    "api-docs": "Swagger UI page (no rows)",
    # the Django admin: staff only (no role of the product is staff); visited by test_admin_is_staff_only
    "admin:*": "the Django admin: every URL must send a non-staff user to the admin login",
    "admin:login": "the admin login form (shown to a logged-in non-staff user too)",
    "admin:logout": "the admin logout (redirects)",
}
PUBLIC_NAMESPACES = {"portal"}
PUBLIC_ROUTES = {"login", "credit:public-list", "draws:verifier", "publication-list", "publication-detail"}
NOT_VISITED = {"logout"}
LIGHT = {"api-schema", "api-docs"}  # visited by one area-A user, the admin and anonymous only
ADMIN_NOT_STAFF_GATED = {"admin:login", "admin:logout"}

#: Object routes on which the 系统管理员 control legitimately gets a 404 (the ids are still area B's).
CONTROL_404: dict[str, str] = {}


def is_public(route: Route) -> bool:
    return route.namespace in PUBLIC_NAMESPACES or route.name in PUBLIC_ROUTES


# --------------------------------------------------------------------------------------------
# the check


@dataclass
class Visit:
    """One request and what its answer must satisfy."""

    url: str
    method: str
    who: str
    deny: bool = False  # must be 401/403/404/405 or a redirect to the login page
    forbidden: tuple[str, ...] = ()  # text that must not appear in the answer
    kind: str = ""  # list / foreign / mixed / own (for the report)


LOGIN_PATHS = (reverse(settings.LOGIN_URL), "/django-admin/login/")
DENIED = {401, 403, 404, 405}


def body_of(response: Any) -> bytes:
    """The answer's bytes; an xlsx/docx (zip) is searched through its members too (PDF text is not)."""
    if getattr(response, "streaming", False):
        # read to the end: the test client's wrapper then closes the response (closing it again here would
        # fire request_finished with close_old_connections connected: PostgreSQL's connection would close)
        data = b"".join(response.streaming_content)
    else:
        data = response.content
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                data += b"".join(z.read(n) for n in z.namelist())
        except zipfile.BadZipFile:
            pass
    return data


def redirects_to_login(response: Any) -> bool:
    return response.status_code in (301, 302, 303) and response["Location"].split("?")[0].endswith(LOGIN_PATHS)


def is_denial(response: Any) -> bool:
    return response.status_code in DENIED or redirects_to_login(response)


def _snippet(body: bytes, marker: bytes) -> str:
    i = body.find(marker)
    return re.sub(r"\s+", " ", body[max(0, i - 60): i + 60].decode("utf-8", "replace"))


def check(visit: Visit, response: Any) -> list[str]:
    """Problems of ``response`` for ``visit`` (empty: fine). Every visit of every test goes through here."""
    where = f"{visit.method.upper()} {visit.url} as {visit.who}" + (f" [{visit.kind}]" if visit.kind else "")
    status = response.status_code
    if status >= 500:
        exc = getattr(response, "exc_info", None)
        detail = "".join(traceback.format_exception_only(exc[0], exc[1])).strip() if exc else ""
        return [f"{where}: server error {status} {detail}"]
    problems = []
    if visit.deny and not is_denial(response):
        location = f" → {response['Location']}" if status in (301, 302, 303) else ""
        problems.append(f"{where}: {status}{location} (expected 403/404/405 or the login page for a row of area B)")
    if visit.forbidden:
        body = body_of(response)
        for marker in visit.forbidden:
            if marker.encode() in body:
                problems.append(f"{where}: {status} shows {marker!r}: …{_snippet(body, marker.encode())}…")
    return problems


def send(client: Client, method: str, url: str) -> Any:
    """One request in a savepoint that is rolled back: a leaking POST or DELETE changes nothing for the
    next request, and a database error cannot break the test's transaction (PostgreSQL)."""
    sid = transaction.savepoint()
    try:
        if method == "patch":
            return client.patch(url, data="{}", content_type="application/json")
        return getattr(client, method)(url)
    finally:
        transaction.savepoint_rollback(sid)
        transaction.set_rollback(False)


class Visitors:
    """Test clients logged in with the module's sessions (one per visitor and test)."""

    def __init__(self, w: dict[str, Any]) -> None:
        self.sessions = w["sessions"]
        self.clients: dict[str, Client] = {}

    def __getitem__(self, who: str) -> Client:
        if who not in self.clients:
            client = Client(raise_request_exception=False)
            if who != ANONYMOUS:
                client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[who]
            self.clients[who] = client
        return self.clients[who]


def plan_visits(route: Route, w: dict[str, Any], public_answer: bool) -> Iterator[Visit]:
    """The visits of ``route`` by the logged-in users (anonymous is visited first, by ``run_route``)."""
    public = is_public(route) and public_answer
    b_text, public_text = w["b_markers"], w["public_markers"]
    methods = ("get", "post", "patch", "delete") if route.is_api else ("get", "post")
    strict = list(STRICT_USERS)[:1] if route.name in LIGHT else list(STRICT_USERS)
    own_visitors = [who for who in strict if who in OWN_VISITORS]
    for kind, url in url_variants(route, w):
        if public and kind != "foreign" and kind != "list":
            continue  # a public page of area A's rows: nothing to learn
        for who in own_visitors if kind == "own" else strict:
            if public:
                yield from (Visit(url, m, who, forbidden=public_text, kind=kind) for m in ("get", "post"))
                if kind == "list":
                    yield Visit(f"{url}?{filter_query(w)}", "get", who, forbidden=(SECRET_MARK,), kind="filtered")
            elif kind == "list":
                yield from (Visit(url, m, who, forbidden=b_text, kind=kind) for m in ("get", "post"))
                # the list filtered by area B's rows: the filter must not fetch them unscoped (names only:
                # the page may echo the ids and codes of the query)
                yield Visit(f"{url}?{filter_query(w)}", "get", who, forbidden=(B_MARK, SECRET_MARK), kind="filtered")
            elif kind == "own":  # A's own rows: the page must not list B's rows (GET; writes are A's business)
                yield Visit(url, "get", who, forbidden=b_text, kind=kind)
            else:  # foreign, mixed
                yield from (Visit(url, m, who, deny=True, forbidden=b_text, kind=kind) for m in methods)
        if kind in ("list", "foreign"):
            yield Visit(url, "get", "admin", kind=kind)  # server errors; on object routes also the control
        if kind == "list" and route.name not in LIGHT:
            yield Visit(url, "get", "auditor", kind=kind)


def filter_query(w: dict[str, Any]) -> str:
    """Query parameters a list may filter by, naming area B's rows (unknown ones are ignored by a view)."""
    values = {
        "task": w["task"].pk, "plan": w["plan"].pk, "item_list": w["item_list"].pk, "draw": w["draw"].draw_id,
        "inspection": w["inspection"].pk, "institution": w["institution"].pk,
        "fixmedins_code": w["institution"].fixmedins_code, "inspector": w["inspector"].pk,
        "department": w["department"].pk, "subject": w["subject"].pk, "record": w["record"].pk,
        "batch": w["batch"].pk, "run": w["run"].pk, "finding": w["finding"].pk, "region": B_COUNTY,
        "area": B_COUNTY, "publication": w["publication"].pk, "job": w["job"].pk,
    }
    return "&".join(f"{k}={v}" for k, v in values.items())


def run_route(route: Route, w: dict[str, Any]) -> tuple[list[str], int]:
    """Visit ``route`` as everyone; returns (problems, number of requests)."""
    cache.clear()  # the portal's rate limits and page caches
    visitors = Visitors(w)
    problems: list[str] = []
    count = 0
    public_answer = False
    for kind, url in url_variants(route, w)[:1]:
        visit = Visit(url, "get", ANONYMOUS, deny=not is_public(route),
                      forbidden=w["public_markers"] if is_public(route) else w["b_markers"], kind=kind)
        response = send(visitors[ANONYMOUS], "get", url)
        count += 1
        problems += check(visit, response)
        public_answer = response.status_code < 400 and not redirects_to_login(response)
        if public_answer and not is_public(route):
            problems.append(f"GET {url} as anonymous: {response.status_code}: readable without login but not "
                            "declared public (ALLOWLIST, PUBLIC_ROUTES)")
    missing: dict[tuple[str, str, str], int] = {}
    for visit in plan_visits(route, w, public_answer):
        response = send(visitors[visit.who], visit.method, visit.url)
        count += 1
        problems += check(visit, response)
        if visit.deny and response.status_code == 403:
            # a 403 must not depend on the row existing (else it confirms an area-B row exists)
            other = missing_url(route, visit.url)
            key = (other, visit.who, visit.method)
            if key not in missing:
                missing[key] = send(visitors[visit.who], visit.method, other).status_code
                count += 1
            if missing[key] != 403:
                problems.append(f"{visit.method.upper()} {visit.url} as {visit.who} [{visit.kind}]: 403, but "
                                f"{missing[key]} for {other} (a row that does not exist): the answer tells that "
                                "the area-B row exists")
        if (visit.who == "admin" and visit.kind == "foreign" and response.status_code == 404
                and route.name not in CONTROL_404 and not (is_public(route) and not public_answer)):
            problems.append(f"GET {visit.url} as admin: 404: the control failed, the area-B ids of this route "
                            "reach no row, so its denials prove nothing (complete the world or fix PARAMS)")
    return problems, count


# --------------------------------------------------------------------------------------------
# the tests


def test_every_route_is_covered():
    """A route with a parameter the PARAMS table does not know fails here (add one line to PARAMS)."""
    missing = {r.test_id: unknown_params(r) for r in ROUTES if unknown_params(r)}
    assert not missing, (
        "routes with path parameters that tests/test_route_scope.py does not know how to fill with an area-B "
        f"row (add them to PARAMS or COUPLED): {missing}"
    )
    names = {r.name for r in ROUTES + ADMIN_ROUTES} | {f"{r.namespace}:*" for r in ROUTES + ADMIN_ROUTES}
    stale = sorted(set(ALLOWLIST) - names)
    assert not stale, f"ALLOWLIST entries that match no route any more: {stale}"
    assert len(ROUTES) > 100, "the resolver walk found too few routes"


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name not in NOT_VISITED], ids=lambda r: r.test_id)
def test_route_denies_other_areas(route, world):
    if unknown_params(route):
        pytest.fail(f"{route.test_id}: parameters {unknown_params(route)} are not in PARAMS "
                    "(see test_every_route_is_covered)")
    problems, _ = run_route(route, world)
    assert not problems, f"{route.test_id} ({route.view}):\n  " + "\n  ".join(problems)


def _admin_url(route: Route) -> str:
    """The admin gates every view before it reads a parameter: any value does (``1``, a registered app)."""

    def value(name: str) -> str:
        if name == "app_label":
            return re.search(r"\(\?P<app_label>(\w+)", route.pattern).group(1)  # type: ignore[union-attr]
        return "1"

    text = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: value(m.group(1)), route.pattern)
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), text)
    return "/" + text.replace("^", "").replace("$", "")


@pytest.mark.parametrize("route", ADMIN_ROUTES, ids=lambda r: r.test_id)
def test_admin_is_staff_only(route, world):
    """The Django admin: every role of the product (none is staff) is sent to the admin login."""
    url = _admin_url(route)
    visitors = Visitors(world)
    gated = route.name not in ADMIN_NOT_STAFF_GATED
    problems = []
    for who in [*world["users"], ANONYMOUS]:
        visit = Visit(url, "get", who, deny=gated, forbidden=world["b_markers"])
        problems += check(visit, send(visitors[who], "get", url))
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# the 回避登记 search boxes: what a visitor types is a search, so the list visits above (no ?q=) prove little


def test_directory_lookup_is_scoped(world):
    """Searching for area B's names and codes finds none of B's rows for any area-A visitor (the 县局 and 市局
    staff who may register 回避 get only area A's look-alikes; the others are refused), while the 系统管理员
    finds B's: the control that the searches reach real rows."""
    visitors = Visitors(world)
    searches = {"inspectors": [B_MARK, "医保检查员", world["inspector"].number],
                "institutions": [B_MARK, "医院", world["institution"].fixmedins_code,
                                 world["institution"].fixmedins_code[-5:]]}
    problems = []
    for kind, queries in searches.items():
        url = reverse("directory:lookup", args=[kind])
        for q in queries:
            for who in STRICT_USERS:
                response = send(visitors[who], "get", f"{url}?{urlencode({'q': q})}")
                problems += check(Visit(url, "get", who, forbidden=world["b_markers"], kind="filtered"), response)
                found = response.json()["results"] if response.status_code == 200 else []
                if any(not r["name"].startswith(A_MARK) for r in found):  # area A's own look-alikes are fine
                    problems.append(f"{who} found {found} for {kind} {q!r}")
            admin = send(visitors["admin"], "get", f"{url}?{urlencode({'q': q})}")
            if not admin.json()["results"]:
                problems.append(f"the 系统管理员 found nothing for {kind} {q!r}: the search reaches no row")
    own = send(visitors["county_staff@怀仁"], "get", reverse("directory:lookup", args=["inspectors"]) + "?q=ZQA-")
    names = [r["name"] for r in own.json()["results"]]
    assert "ZQA-检查员账号" in names and all(n.startswith(A_MARK) for n in names)
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------------------------
# the check can fail: one model and one API viewset made unscoped on purpose


def _route(name: str) -> Route:
    return next(r for r in ROUTES if r.name == name)


def test_the_check_reports_a_view_that_drops_restrict(world, monkeypatch):
    """Drop the area filter of one model (as a view that forgot ``restrict`` would) and of one API viewset:
    the same ``run_route``/``check`` the generated tests use must report both."""
    from spotcheck.base.scope import ScopedQuerySet
    from spotcheck.directory.models import Institution
    from spotcheck.planning import api as planning_api
    from spotcheck.planning.models import Plan

    restrict = ScopedQuerySet.restrict

    def leaky(self, user, action="view"):
        return self.all() if self.model is Institution else restrict(self, user, action)

    monkeypatch.setattr(ScopedQuerySet, "restrict", leaky)
    monkeypatch.setattr(planning_api.PlanViewSet, "get_queryset", lambda self: Plan.objects.all())
    page, _ = run_route(_route("directory:institution-detail"), world)
    api, _ = run_route(_route("planning-plan-detail"), world)
    pk = world["institution"].pk
    assert f"GET /directory/institutions/{pk}/ as county_staff@怀仁 [foreign]: 200 (expected" in "\n".join(page), page
    assert any("county_staff@怀仁" in p and "shows 'ZQB-'" in p for p in page), page
    assert any(p.startswith(f"GET /api/planning/plans/{world['plan'].pk}/ as city_admin@朔州 [foreign]: 200")
               for p in api), api
    # and without the sabotage the same routes pass
    monkeypatch.undo()
    assert run_route(_route("directory:institution-detail"), world)[0] == []
    assert run_route(_route("planning-plan-detail"), world)[0] == []


# --------------------------------------------------------------------------------------------
# no 500 on any filter (issue 13 §8): every GET form of every list page, with hostile values

#: Values a visitor can type or put in a link: out of range, not a number, malformed dates, quotes,
#: markup, NUL, full-width digits, a very long text, a rare character.
HOSTILE = ["-1", "99999999999999999999", "abc", "2023-13-45", "' OR 1=1 --", "<script>x</script>",
           "%00\x00", "２０２３", "x" * 3000, "𠀀", "1.5e400", "[]"]
#: Parameters most list pages take besides their forms' fields.
COMMON_PARAMS = ("page", "sort", "q", "region", "year", "status", "kind", "format", "area")
_FORM = re.compile(r"<form\b[^>]*>(.*?)</form>", re.S | re.I)
_NAME = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"", re.I)


def get_form_fields(html: str) -> list[str]:
    """Names of the fields of the page's GET forms (search and filter forms)."""
    names: list[str] = []
    for match in _FORM.finditer(html):
        tag = match.group(0)[: match.group(0).find(">") + 1].lower()
        if 'method="post"' in tag or "method='post'" in tag:
            continue
        names += [n for n in _NAME.findall(match.group(1)) if n != "csrfmiddlewaretoken" and n not in names]
    return names


FUZZED = [r for r in ROUTES if not r.params and not r.is_api and r.name not in NOT_VISITED | LIGHT
          and r.namespace != "admin" and r.name not in {"login", "draws:verifier"}]


@pytest.mark.parametrize("route", FUZZED, ids=lambda r: r.test_id)
def test_list_filters_survive_hostile_values(route, world):
    """As the 系统管理员 (sees every row) and, on public pages, anonymously: each hostile value in every
    field at once, and the first three in each field alone — never a server error."""
    url = "/" + route.pattern
    visitors = Visitors(world)
    problems = []
    for who in (["admin", ANONYMOUS] if is_public(route) else ["admin"]):
        client = visitors[who]
        first = send(client, "get", url)
        if first.status_code != 200 or not first.get("Content-Type", "").startswith("text/html"):
            continue
        fields = get_form_fields(first.content.decode("utf-8", "replace"))
        fields += [p for p in COMMON_PARAMS if p not in fields]
        queries = [{name: value for name in fields} for value in HOSTILE]
        queries += [{name: value} for name in fields for value in HOSTILE[:3]]
        for query in queries:
            response = send(client, "get", url + "?" + urlencode(query))
            if response.status_code >= 500:
                problems.append(f"GET {url}?{urlencode(query)[:200]} as {who}: {response.status_code}")
    assert not problems, "\n".join(problems[:20])
