"""Evaluations: stored explanation and model version, cycles, versioned model changes, audited grades."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from spotcheck.audit.models import AuditEvent
from spotcheck.core.credit import DEFAULT_MODEL, model_to_dict
from spotcheck.credit import actions
from spotcheck.credit.models import CreditSubject, Evaluation
from spotcheck.policy.models import PolicySetting
from tests import factories as f


@pytest.fixture
def files(db, county_user):
    clean = actions.ensure_subject("t", f.institution(f.YANGCHENG, "H", credit_grade="中等"))
    awarded = actions.ensure_subject("t", f.institution(f.YANGCHENG, "P"))
    actions.add_record(county_user, awarded, record_type="award", title="先进集体", occurred_on=dt.date(2023, 5, 1),
                       recorded_on=dt.date(2023, 5, 2))
    penalised = actions.ensure_subject("t", f.institution(f.YANGCHENG, "H"))
    actions.add_record(county_user, penalised, record_type="penalty", severity="moderate", title="处罚",
                       occurred_on=dt.date(2023, 6, 1), recorded_on=dt.date(2023, 6, 1))
    late = actions.ensure_subject("t", f.institution(f.YANGCHENG, "H", contract_date=dt.date(2024, 3, 1)))
    return {"clean": clean, "awarded": awarded, "penalised": penalised, "late": late}


def test_cycle_evaluation_counts_grades_and_sets_institution_grades(files, county_user):
    counts = actions.evaluate_cycle(county_user, 2023)
    assert counts == {"优秀": 2, "中等": 1}
    penalised = CreditSubject.objects.get(pk=files["penalised"].pk)
    assert penalised.grade == "中等" and penalised.institution.credit_grade == "中等"
    ev = Evaluation.objects.get(subject=penalised)
    assert (ev.cycle, ev.as_of, ev.score, ev.model_version) == ("2023", dt.date(2023, 12, 31), 80, DEFAULT_MODEL.version)
    assert [line["points"] for line in ev.explanation] == [100, -20]
    assert files["late"].evaluations.count() == 0  # designated after the cycle: stays ungraded
    clean = files["clean"].institution
    clean.refresh_from_db()
    assert clean.credit_grade == "优秀"
    assert AuditEvent.objects.filter(action="directory.institution.credit_grade", object_id=str(clean.pk),
                                     before={"credit_grade": "中等"}).exists()
    assert AuditEvent.objects.filter(action="credit.evaluate_cycle", object_id="2023").exists()


def test_records_after_the_cycle_do_not_count(files, county_user):
    actions.add_record(county_user, files["clean"], record_type="severe_dishonesty", title="严重失信",
                       occurred_on=timezone.localdate())
    actions.evaluate_cycle(county_user, 2023)
    assert Evaluation.objects.get(subject=files["clean"], cycle="2023").grade == "优秀"
    assert actions.evaluate_subject(county_user, files["clean"]).grade == "差"


def test_a_new_model_version_is_used_and_old_evaluations_keep_theirs(files, county_user, admin_user):
    actions.evaluate_cycle(county_user, 2023)
    data = model_to_dict(DEFAULT_MODEL) | {"version": "province-2024-1"}
    data["rules"] = [r | {"points": -40} if r["record_type"] == "penalty" else r for r in data["rules"]]
    with pytest.raises(actions.ActionRefused, match="已存在"):
        actions.add_model(admin_user, model_to_dict(DEFAULT_MODEL))
    actions.add_model(admin_user, data, "省局统一模型")
    PolicySetting.objects.create(key="credit.model_version", value="province-2024-1",
                                 effective_from=dt.date(2024, 1, 1), note="省局统一模型")
    ev = actions.evaluate_subject(county_user, files["penalised"])
    assert (ev.model_version, ev.score, ev.grade) == ("province-2024-1", 60, "较差")
    old = Evaluation.objects.get(subject=files["penalised"], cycle="2023")
    assert (old.model_version, old.score) == (DEFAULT_MODEL.version, 80)
    # the 2023 cycle re-run still uses the model in force on its day
    actions.evaluate_cycle(county_user, 2023)
    assert Evaluation.objects.filter(cycle="2023", model_version=DEFAULT_MODEL.version).count() == 6


def test_manual_records_validate_and_hash_evidence(files, county_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    s = files["clean"]
    with pytest.raises(actions.ActionRefused, match="严重程度"):
        actions.add_record(county_user, s, record_type="finding", title="x", occurred_on=dt.date(2023, 1, 1))
    with pytest.raises(actions.ActionRefused, match="提供单位"):
        actions.add_record(county_user, s, record_type="other_bad", title="x", occurred_on=dt.date(2023, 1, 1),
                           source="shared")
    upload = SimpleUploadedFile("表彰决定.pdf", b"%PDF-1.4 demo", content_type="application/pdf")
    rec = actions.add_record(county_user, s, record_type="award", title="表彰", occurred_on=dt.date(2023, 1, 1),
                             source="shared", provider="阳城县人民政府", evidence=upload)
    import hashlib

    assert rec.evidence_sha256 == hashlib.sha256(b"%PDF-1.4 demo").hexdigest()
    assert rec.evidence_name == "表彰决定.pdf" and rec.entered_by_name == county_user.username
    with pytest.raises(Exception, match="不能删除"):
        rec.delete()


def test_other_county_staff_cannot_write(files, huairen_user):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        actions.add_record(huairen_user, files["clean"], record_type="award", title="x",
                           occurred_on=dt.date(2023, 1, 1))
    with pytest.raises(PermissionDenied):
        actions.evaluate_subject(huairen_user, files["clean"])
