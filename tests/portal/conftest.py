"""Portal test data: a revealed 阳城 draw whose inspections have started, reviewed inspections, and
helpers to publish them (``portal.actions``). The rate-limit counters live in the cache: cleared per test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from spotcheck.draws.models import Draw
from spotcheck.inspections.models import CatalogueKind, Finding, Inspection, InspectionStatus, ViolationType
from spotcheck.planning.models import Task
from tests.draws.conftest import approver, full_run, make_task, staffed, world  # noqa: F401

__all__ = ["approver", "staffed", "world"]


@pytest.fixture(autouse=True)
def _fresh_cache():
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


@pytest.fixture
def started(world, staffed, county_user, approver):  # noqa: F811
    """A revealed draw of a 阳城 task whose inspections have started."""
    task = make_task(world, name="2026年阳城县医保基金专项检查")
    draw = full_run(task, county_user, approver)
    start_inspections(draw.task)
    draw.refresh_from_db()
    return draw


@pytest.fixture
def inspections(started):
    return make_inspections(started)
