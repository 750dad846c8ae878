"""A reviewed 阳城 inspection with findings built through the ORM, and credit users."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.credit import actions
from spotcheck.inspections.models import Finding, Inspection, InspectionStatus
from spotcheck.inspections.signals import finding_decided, inspection_reviewed
from tests import factories as f
from tests.draws.conftest import approver, approver2, make_task, staffed, world  # noqa: F401
from tests.inspections.conftest import hospital_inspection, insp_world, violation  # noqa: F401


def reviewed(inspection: Inspection, user) -> Inspection:
    inspection.status = InspectionStatus.REVIEWED
    inspection.ended_on = timezone.localdate() - dt.timedelta(days=3)
    inspection.reviewed_by, inspection.reviewed_at = user, timezone.now()
    inspection.save()
    return inspection


def finding(inspection: Inspection, user, amount: str = "800.00", **extra) -> Finding:
    vt = violation("H")
    data = {
        "inspection": inspection, "violation_type": vt, "act_code": vt.act_code, "article": vt.article,
        "description": "重复收取诊查费", "amount": Decimal(amount), "created_by": user,
    }
    data.update(extra)
    return Finding.objects.create(**data)


def penalise(fnd: Finding, user, *, executed: bool = False, amount: str = "2000.00") -> Finding:
    fnd.decided_treatment = "依法处罚"
    fnd.penalty_amount = Decimal(amount)
    fnd.refund_amount = fnd.amount
    fnd.penalty_executed = executed
    fnd.penalty_decision_number = "阳医保罚〔2026〕1号"
    fnd.decided_by, fnd.decided_at = user, timezone.now()
    fnd.save()
    return fnd


def send_reviewed(inspection: Inspection, user) -> None:
    inspection_reviewed.send(sender=Inspection, inspection=inspection, user=user)


def send_decided(fnd: Finding, user) -> None:
    finding_decided.send(sender=Finding, finding=fnd, user=user)


@pytest.fixture
def reviewer(db):
    return f.user("t-reviewer", Role.COUNTY_STAFF, f.YANGCHENG)


@pytest.fixture
def poor(hospital_inspection, reviewer):  # noqa: F811
    """The "done when" file: an 800 元 finding and an unexecuted penalty, reviewed and evaluated (较差)."""
    insp = reviewed(hospital_inspection, reviewer)
    fnd = finding(insp, reviewer)
    send_reviewed(insp, reviewer)
    send_decided(penalise(fnd, reviewer), reviewer)
    subject = insp.institution.credit_subject
    evaluation = actions.evaluate_subject(reviewer, subject)
    return {"inspection": insp, "finding": fnd, "subject": subject, "evaluation": evaluation,
            "institution": insp.institution}


@pytest.fixture
def inst_user(poor):
    inst = poor["institution"]
    return actions.create_institution_account("admin-cli", inst.fixmedins_code, "t-inst", f.PASSWORD)
