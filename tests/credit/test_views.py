"""Pages: lists with filters, manual entry with evidence, measures, repair, the public list."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from spotcheck.credit import actions
from spotcheck.credit.models import AppliedMeasure, CreditRecord, Measure, RepairApplication
from tests import factories as f


@pytest.fixture
def subject(db):
    return actions.ensure_subject("t", f.institution(f.YANGCHENG, "H", name="阳城县测试医院"))


def test_index_filters_and_pages(subject, client_for, county_user):
    client = client_for(county_user)
    other = actions.ensure_subject("t", f.institution(f.YANGCHENG, "P", name="阳城县测试药店"))
    page = client.get(reverse("credit:index"), {"category": "pharmacy"}).content.decode()
    assert other.name in page and subject.name not in page
    page = client.get(reverse("credit:index"), {"q": subject.institution.fixmedins_code}).content.decode()
    assert subject.name in page and other.name not in page
    assert client.get(reverse("credit:index"), {"grade": "none"}).status_code == 200
    for name in ("credit:objections", "credit:repairs", "credit:subject-create"):
        assert client.get(reverse(name)).status_code == 200


def test_manual_record_with_evidence_and_evaluation(subject, client_for, county_user):
    client = client_for(county_user)
    content = b"%PDF-1.4 commendation"
    response = client.post(reverse("credit:record-create", args=[subject.pk]), {
        "record_type": "award", "severity": "", "title": "县级先进集体", "source": "shared",
        "provider": "阳城县人民政府", "occurred_on": "2026-01-05",
        "evidence": SimpleUploadedFile("决定.pdf", content, content_type="application/pdf"),
    })
    assert response.status_code == 302
    rec = CreditRecord.objects.get(subject=subject)
    assert rec.evidence_sha256 == hashlib.sha256(content).hexdigest()
    download = client.get(reverse("credit:evidence", args=["record", rec.pk]))
    assert b"".join(download.streaming_content) == content
    # an invalid entry names the field
    response = client.post(reverse("credit:record-create", args=[subject.pk]), {
        "record_type": "finding", "title": "x", "source": "manual", "occurred_on": "2026-01-05"}, follow=True)
    assert "须选择严重程度" in response.content.decode()
    client.post(reverse("credit:evaluate", args=[subject.pk]))
    page = client.get(reverse("credit:subject", args=[subject.pk])).content.decode()
    assert "105 分" in page and "县级先进集体" in page and "+5" in page


def test_measures_for_the_grade_and_their_record(subject, client_for, county_user):
    actions.add_record(county_user, subject, record_type="severe_dishonesty", title="严重失信",
                       occurred_on=timezone.localdate())
    actions.evaluate_subject(county_user, subject)
    if not Measure.objects.exists():  # flushed by a browser test on this worker
        Measure.objects.create(kind="measure", article="第十三条（一）", text="警示约谈，要求限期整改", grades=["较差", "差"])
    client = client_for(county_user)
    page = client.get(reverse("credit:subject", args=[subject.pk])).content.decode()
    assert "警示约谈" in page and "公示宣传" not in page
    measure = Measure.objects.get(text__startswith="警示约谈")
    client.post(reverse("credit:measure-apply", args=[subject.pk]),
                {"measure": measure.pk, "note": "已约谈法定代表人", "applied_on": timezone.localdate().isoformat()})
    applied = AppliedMeasure.objects.get()
    assert applied.applied_by == county_user and applied.evaluation is not None
    assert "已约谈法定代表人" in client.get(reverse("credit:subject", args=[subject.pk])).content.decode()


def test_repair_pages(subject, client_for, county_user):
    day = timezone.localdate() - dt.timedelta(days=250)
    rec = actions.add_record(county_user, subject, record_type="penalty", severity="minor", title="处罚",
                             occurred_on=day, recorded_on=day)
    client = client_for(county_user)
    response = client.post(reverse("credit:repair-create", args=[subject.pk]),
                           {"record": rec.pk, "rectification": "已整改"})
    app = RepairApplication.objects.get()
    assert response.url == reverse("credit:repair", args=[app.pk])
    client.post(reverse("credit:repair-decide", args=[app.pk]), {"approve": "yes", "reason": "整改到位"})
    rec.refresh_from_db()
    assert rec.repaired_on == timezone.localdate()
    assert "准予修复" in client.get(reverse("credit:repair", args=[app.pk])).content.decode()


def test_public_list_without_login(subject, client, county_user):
    person = actions.create_subject(county_user, kind="person", category="insured", name="李参保", region_code=f.YANGCHENG,
                                    id_number=_id())
    poor = actions.ensure_subject("t", f.institution(f.YANGCHENG, "H", name="阳城县较差医院"))
    actions.add_record(county_user, poor, record_type="unexecuted_penalty", title="x", occurred_on=timezone.localdate())
    actions.add_record(county_user, poor, record_type="finding", severity="major", title="x", occurred_on=timezone.localdate())
    for s in (subject, person, poor):
        actions.evaluate_subject(county_user, s)
    page = client.get(reverse("credit:public-list")).content.decode()
    assert subject.name in page and person.name not in page and poor.name not in page
    assert f"/portal/institutions/{subject.institution.fixmedins_code}/" in page
    assert client.post(reverse("credit:public-list")).status_code == 405


def _id() -> str:
    from spotcheck.core.codes import make_id_number

    return make_id_number(f.YANGCHENG, dt.date(1990, 1, 1), 3, False)


def test_evaluate_cycle_button(subject, client_for, county_user):
    response = client_for(county_user).post(reverse("credit:evaluate-cycle"), {"year": 2023}, follow=True)
    assert "2023 年度信用评价已完成" in response.content.decode()
    assert subject.evaluations.filter(cycle="2023").exists()
