"""The issue's "done when": a 阳城 institution with an 800 元 finding and an unexecuted penalty drops to
较差 with an explanation, its next draw stratum uses 120 %, it logs in, sees its file and files an
objection that a county user resolves within the deadline."""

from __future__ import annotations

from fractions import Fraction

from django.urls import reverse
from django.utils import timezone

from spotcheck.audit.models import AuditEvent
from spotcheck.credit.models import Objection, ObjectionStatus
from spotcheck.draws import actions as draw_actions
from spotcheck.policy.calendar import due_date
from tests import factories as f
from tests.factories import make_task


def test_poor_grade_with_explanation(poor):
    ev, inst = poor["evaluation"], poor["institution"]
    assert (ev.score, ev.grade, ev.model_version) == (70, "较差", "default-2023-1")
    labels = [line["label"] for line in ev.explanation]
    assert labels[0] == "基础分"
    assert any("检查发现违规问题（轻微）" in label for label in labels)
    assert any("拒不履行" in label for label in labels)
    assert sum(line["points"] for line in ev.explanation) == 70
    assert any("800.00 元" in line["title"] for line in ev.explanation)
    inst.refresh_from_db()
    assert inst.credit_grade == "较差"
    event = AuditEvent.objects.get(action="directory.institution.credit_grade", object_id=str(inst.pk))
    assert event.before == {"credit_grade": "中等"} and event.after == {"credit_grade": "较差"}


def test_next_draw_uses_the_poor_stratum(poor, insp_world, reviewer):
    inst = poor["institution"]
    world = insp_world["world"]
    task = make_task(world, items=[world.key_h], name="信用复查任务", ratio_num=5, ratio_den=100)
    draw = draw_actions.freeze(reviewer, task)
    stratum = f"{f.YANGCHENG}|H|较差"
    assert [inst.fixmedins_code, stratum] in draw.units
    assert Fraction(*draw.strata[stratum]["ratio"]) == Fraction(5, 100) * Fraction(6, 5)
    assert Fraction(*draw.strata[f"{f.YANGCHENG}|H|中等"]["ratio"]) == Fraction(5, 100)


def test_institution_sees_its_file_and_objects_county_resolves_in_time(poor, inst_user, client, reviewer):
    subject = poor["subject"]
    client.force_login(inst_user)
    response = client.get(reverse("credit:mine"))
    assert response.status_code == 302 and response.url == reverse("credit:subject", args=[subject.pk])
    page = client.get(response.url).content.decode()
    assert "较差" in page and "拒不履行" in page and f"/portal/institutions/{poor['institution'].fixmedins_code}/" in page
    record = subject.records.get(record_type="unexecuted_penalty")
    response = client.post(reverse("credit:objection-create", args=[subject.pk]),
                           {"record": record.pk, "reason": "罚款已于决定次日缴清，附缴款凭证"})
    objection = Objection.objects.get()
    assert response.url == reverse("credit:objection", args=[objection.pk])
    assert objection.due_date == due_date(timezone.localdate(), 15)[0]
    # the institution cannot resolve its own objection
    client.post(reverse("credit:objection-resolve", args=[objection.pk]), {"outcome": "withdraw", "reason": "x"})
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.OPEN

    client.force_login(reviewer)  # 阳城县 staff
    client.post(reverse("credit:objection-resolve", args=[objection.pk]),
                {"outcome": "correct", "reason": "经核实罚款已缴清", "record_type": "penalty", "severity": "moderate",
                 "title": "行政处罚（罚款 2000.00 元），已执行"})
    objection.refresh_from_db()
    record.refresh_from_db()
    assert objection.status == ObjectionStatus.CORRECTED and objection.decided_in_time
    assert record.status == "superseded"
    assert objection.corrected_record.record_type == "penalty"
    assert objection.corrected_record.supersedes == record
    assert AuditEvent.objects.filter(action="credit.objection.resolve", object_id=str(objection.pk)).exists()
