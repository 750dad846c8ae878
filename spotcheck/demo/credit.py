"""Demo credit files: ``load_demo(seed)`` is called by ``spotcheck demo-data`` after the directory.

Every demo institution gets a credit file. Institutions designated by the end of 2023 get 2023
records chosen (deterministically from ``seed``) so that the 2023 evaluation reproduces the grade
the directory generator gave them — the draw's strata stay as the demo describes them — unless
they already have records (made by the signal receivers from inspections the demo replays); then
the 2023 cycle is evaluated. One 阳城县 hospital (:data:`SHOWCASE` picks the first by code) has an 800 元
finding and an unexecuted penalty and ends 较差; its institution account is ``demo-institution``
(password ``spotcheck-demo``). Idempotent per database: a second call adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

from spotcheck.accounts.models import User
from spotcheck.audit.actions import Pending, record_deletions, record_many
from spotcheck.base.transactions import atomic_action
from spotcheck.credit import actions
from spotcheck.credit.models import (
    AppliedMeasure,
    CreditRecord,
    CreditSubject,
    Evaluation,
    Measure,
    Objection,
    RecordSource,
    RepairApplication,
)
from spotcheck.directory.models import Institution, InstitutionKind

ACTOR = "spotcheck demo-data"
YEAR = 2023
YANGCHENG = "140522"
ACCOUNT = "demo-institution"
PASSWORD = "spotcheck-demo"

#: (record_type, severity, title) per grade: each list's records give that grade under the default model.
RECIPES: dict[str, list[list[tuple[str, str, str]]]] = {
    "优秀": [[], [("award", "", "县级医疗保障工作先进集体")], [("commitment", "", "签署医保基金使用守信承诺书")]],
    "良好": [[("finding", "moderate", "检查发现：超标准收费（涉及金额 3,200.00 元）")],
             [("finding", "moderate", "检查发现：重复收费（涉及金额 1,850.00 元）"),
              ("commitment", "", "签署医保基金使用守信承诺书")]],
    "中等": [[("penalty", "moderate", "行政处罚：串换诊疗项目，罚款 6,000.00 元（已执行）")],
             [("finding", "major", "检查发现：虚记多记药品费用（涉及金额 12,600.00 元）"),
              ("other_bad", "", "市场监管部门认定的价格违法行为")]],
    "较差": [[("finding", "minor", "检查发现：分解收费（涉及金额 900.00 元）"),
              ("unexecuted_penalty", "", "拒不履行行政处罚决定（罚款 2,000.00 元）")],
             [("penalty", "major", "行政处罚：挂床住院，罚款 30,000.00 元（已执行）")]],
    "差": [[("severe_dishonesty", "", "列入医疗保障领域严重失信名单")],
           [("penalty", "major", "行政处罚：虚构医疗服务，罚款 45,000.00 元"),
            ("unexecuted_penalty", "", "拒不履行行政处罚决定（罚款 45,000.00 元）")]],
}

SHOWCASE_RECORDS = [
    ("finding", "minor", "检查发现：重复收费（涉及金额 800.00 元）"),
    ("unexecuted_penalty", "", "拒不履行行政处罚决定（罚款 2,000.00 元，阳医保罚〔2023〕7号）"),
]


def _day(rng: random.Random) -> dt.date:
    return dt.date(YEAR, 1, 1) + dt.timedelta(days=rng.randrange(0, 330))


def showcase() -> Institution | None:
    """The 阳城县 hospital of the demo scenario (first by code, designated by the end of the cycle)."""
    return (Institution.objects.filter(region_id=YANGCHENG, kind=InstitutionKind.MEDICAL)
            .exclude(contract_date__gt=dt.date(YEAR, 12, 31))
            .exclude(credit_subject__records__isnull=False)  # no records from replayed inspections
            .order_by("fixmedins_code").first())


def _records(seed: int, subjects: list[CreditSubject], star: Institution | None) -> list[CreditRecord]:
    """Recipe records for institutions without records of their own (replayed inspections make some)."""
    with_records = set(CreditRecord.objects.values_list("subject_id", flat=True).distinct())
    rows = []
    for s in subjects:
        inst = s.institution
        if inst is None or (inst.contract_date and inst.contract_date > dt.date(YEAR, 12, 31)):
            continue
        if s.pk in with_records:
            continue
        rng = random.Random(f"{seed}:credit:{inst.fixmedins_code}")
        if star is not None and inst.pk == star.pk:
            recipe = SHOWCASE_RECORDS
        elif inst.credit_grade in RECIPES:
            recipe = rng.choice(RECIPES[inst.credit_grade])
        else:
            continue
        for record_type, severity, title in recipe:
            day = _day(rng)
            rows.append(CreditRecord(
                subject=s, kind=actions.kind_of(record_type), record_type=record_type, severity=severity,
                title=title, source=RecordSource.MANUAL, provider=f"{inst.region.name}医疗保障局",
                occurred_on=day, recorded_on=day, entered_by_name=ACTOR,
                description="演示数据",
            ))
    return rows


def load_demo(seed: int) -> dict[str, Any]:
    """Credit files, 2023 records, the 2023 evaluation and the ``demo-institution`` account."""
    if Evaluation.objects.filter(cycle=str(YEAR), evaluated_by_name=ACTOR).exists():
        return {"skipped": True}
    with atomic_action():
        actions.ensure_subjects(ACTOR)
        star = showcase()
        subjects = list(CreditSubject.objects.filter(institution__isnull=False).select_related(
            "institution", "institution__region").order_by("pk"))
        rows = _records(seed, subjects, star)
        CreditRecord.objects.bulk_create(rows, batch_size=1000)
        created = CreditRecord.objects.filter(entered_by_name=ACTOR, description="演示数据").select_related("subject")
        record_many(ACTOR, [Pending.of(r, "credit.record.create", region_code=r.subject.region_id,
                                       after={"record_type": r.record_type, "severity": r.severity,
                                              "recorded_on": r.recorded_on})
                            for r in created])
        counts: Counter[str] = actions.evaluate_cycle(ACTOR, YEAR)
        account = None
        if star is not None and not User.objects.filter(username=ACCOUNT).exists():
            account = actions.create_institution_account(ACTOR, star.fixmedins_code, ACCOUNT, PASSWORD)
        county = User.objects.filter(username="demo-county").first()
        if star is not None and county is not None:
            subject = CreditSubject.objects.get(institution=star)
            measure = Measure.objects.filter(kind="measure", active=True).order_by("seq").first()
            if measure is not None and subject.grade in (measure.grades or []):
                actions.apply_measure(county, subject, measure, "已对法定代表人进行警示约谈，责令 30 日内整改",
                                      dt.date(2024, 1, 15))
    return {"records": len(rows), "grades": dict(counts), "showcase": star.fixmedins_code if star else None,
            "account": account.username if account else None}


def purge() -> dict[str, int]:
    """Delete every credit row (for ``demo-data --reset``, before institutions are deleted).

    Credit tables are append-only for the product; only the demo generator's reset removes them."""
    deleted: dict[str, int] = {}
    for model in (AppliedMeasure, Objection, RepairApplication, Evaluation, CreditRecord, CreditSubject):
        record_deletions(ACTOR, "demo_data.reset", model.objects.all(), reason="demo-data --reset")
    for model in (AppliedMeasure, Objection, RepairApplication, Evaluation):
        deleted[model._meta.label_lower] = model.objects.all()._raw_delete(model.objects.db)
    # records point to each other (supersedes): clear the links first
    CreditRecord.objects.update(supersedes=None)
    deleted["credit.creditrecord"] = CreditRecord.objects.all()._raw_delete(CreditRecord.objects.db)
    deleted["credit.creditsubject"] = CreditSubject.objects.all()._raw_delete(CreditSubject.objects.db)
    return deleted
