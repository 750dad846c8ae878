"""A revealed 阳城 draw whose inspection period has started, its inspections, and the people around them.

``spotcheck.inspections.lenience`` (the lenience recommendation) is written by another helper; until it
exists a stub that recommends nothing is installed so the workflow tests run. Tests of the
recommendation itself are skipped while the stub is in use (``real_lenience``).
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
import types
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.inspections import actions
from spotcheck.inspections.models import CatalogueKind, Inspection, ViolationType
from spotcheck.policy.models import PolicySetting
from tests import factories as f
from tests.draws.conftest import approver, approver2, full_run, make_task, staffed, world  # noqa: F401

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


@pytest.fixture
def insp_world(world, staffed, approver):  # noqa: F811
    """Task period started 5 days ago; draw revealed; inspections generated."""
    today = timezone.localdate()
    task = make_task(world, period_start=today - dt.timedelta(days=5), period_end=today + dt.timedelta(days=60))
    proposer = f.user("t-proposer", Role.COUNTY_STAFF, f.YANGCHENG)
    PolicySetting.objects.create(key="draw.staffing_simulation_runs", value=3, effective_from=dt.date(2000, 1, 1),
                                 note="tests: the staffing simulation is not under test here")
    draw = full_run(task, proposer, approver)
    assert draw.is_revealed
    created = list(Inspection.objects.filter(assignment__draw=draw))  # made by approve_reveal
    return {"task": task, "draw": draw, "proposer": proposer, "approver": approver, "created": created,
            "world": world, "staffed": staffed}


@pytest.fixture
def hospital_inspection(insp_world) -> Inspection:
    insp = Inspection.objects.filter(institution__kind=CatalogueKind.HOSPITAL).order_by("id").first()
    assert insp is not None
    return insp


@pytest.fixture
def team_user(hospital_inspection):
    """An inspector-role account of the first member of the hospital's team."""
    member = hospital_inspection.active_members().first()
    return f.user("t-team", Role.INSPECTOR, f.YANGCHENG, inspector_number=member.inspector.number)


@pytest.fixture
def other_inspector_user(hospital_inspection):
    """An inspector-role account of an inspector on no team of the hospital."""
    team = {m.inspector_id for m in hospital_inspection.active_members()}
    from spotcheck.directory.models import Inspector

    other = Inspector.objects.exclude(pk__in=team).filter(region_id=f.YANGCHENG).first()
    return f.user("t-other-insp", Role.INSPECTOR, f.YANGCHENG, inspector_number=other.number)


@pytest.fixture
def reviewer(db):
    return f.user("t-reviewer", Role.COUNTY_STAFF, f.YANGCHENG)


def fill_checklist(user, insp, outcome: str = "compliant") -> None:
    actions.set_checklist(user, insp, {e.pk: (outcome, "") for e in insp.checklist.filter(outcome="")})


def recorded(user, insp, *, with_finding: bool = True) -> Inspection:
    """Walk ``insp`` to ``recorded`` as ``user`` (an 800 元 duplicate charge corrected on site)."""
    actions.notify(user, insp)
    if with_finding:
        actions.add_finding(user, insp, violation(insp.institution.kind), "重复收取床位费", Decimal("800"), True)
    fill_checklist(user, insp)
    actions.add_evidence(user, insp, upload(name="sign.jpg"), "signature")
    return actions.record_result(
        user, insp, "corrected" if with_finding else "no_problem", "发现重复收费，已当场退回" if with_finding else "",
        "责令改正" if with_finding else "", timezone.localdate(), "张院长",
    )
