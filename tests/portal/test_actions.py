"""Publication workflow: publish, bulk, scope, immutability, correction versioning, snapshot privacy."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.audit.models import AuditEvent
from spotcheck.core.masking import ID_NUMBER_PATTERN, MOBILE_PATTERN
from spotcheck.inspections.models import InspectionStatus
from spotcheck.inspections.signals import inspection_published
from spotcheck.policy.models import PolicySetting
from spotcheck.portal import actions
from spotcheck.portal.models import ImmutableError, Publication
from tests import factories as f
from tests.factories import add_finding

pytestmark = pytest.mark.django_db


def test_publish_sets_status_snapshot_audit_and_signal(inspections, county_user):
    insp = inspections[0]
    add_finding(insp, "1000.00")
    add_finding(insp, "200.50")
    got = []

    def listener(sender, inspection, publication, user, **kw):
        got.append((inspection.pk, publication.pk, user.pk))

    inspection_published.connect(listener)
    try:
        pub = actions.publish(county_user, insp)
    finally:
        inspection_published.disconnect(listener)
    insp.refresh_from_db()
    assert insp.status == InspectionStatus.PUBLISHED and insp.published_at is not None
    assert pub.version == 1 and pub.supersedes is None and pub.met_deadline is True
    assert pub.deadline == insp.due_date and pub.region_id == insp.region_id
    assert got == [(insp.pk, pub.pk, county_user.pk)]
    s = pub.snapshot
    assert s["institution"]["fixmedins_code"] == insp.institution.fixmedins_code
    assert s["result_label"] == "发现问题已责令改正"
    assert s["findings_count"] == 2 and s["findings_amount"] == "1200.50"
    assert s["findings"][0]["count"] == 2
    assert [m["name"] for m in s["team"]] == [i.name for i in insp.team_inspectors()]
    assert AuditEvent.objects.filter(action="portal.publish", object_id=str(pub.pk)).exists()


def test_snapshot_never_holds_personal_data(inspections, county_user):
    insp = inspections[0]
    insp.handling = "责令改正，联系人 13812345678，身份证 110101199003077777"
    insp.save()
    insp.institution.contact_phone = "13900001111"
    insp.institution.legal_representative = "张法人"
    insp.institution.save()
    add_finding(insp)
    pub = actions.publish(county_user, insp)
    text = json.dumps(pub.snapshot, ensure_ascii=False)
    assert "13812345678" not in text and "110101199003077777" not in text
    # 执法证号 are public by policy (and the factory's 晋1405220004x looks like a mobile number): scan the rest
    rest = json.dumps({k: v for k, v in pub.snapshot.items() if k != "team"}, ensure_ascii=False)
    assert not ID_NUMBER_PATTERN.search(rest) and not MOBILE_PATTERN.search(rest)
    assert "13900001111" not in text and "张法人" not in text
    for person in insp.team_inspectors():
        assert person.id_number not in text


def test_privacy_policies_hide_names_and_certificates(inspections, county_user):
    for key in ("portal.show_inspector_names", "portal.show_certificate_numbers"):
        PolicySetting.objects.create(key=key, value=False, effective_from=dt.date(2000, 1, 1), note="测试")
    pub = actions.publish(county_user, inspections[0])
    assert pub.snapshot["team"] and all(set(m) == {"department"} for m in pub.snapshot["team"])


def test_only_reviewed_results_are_published_once(inspections, county_user):
    insp = inspections[0]
    insp.status = InspectionStatus.RECORDED
    insp.save()
    with pytest.raises(actions.ActionRefused, match="已审核"):
        actions.publish(county_user, insp)
    other = inspections[1]
    actions.publish(county_user, other)
    other.refresh_from_db()
    with pytest.raises(actions.ActionRefused):
        actions.publish(county_user, other)
    assert Publication.objects.count() == 1


def test_publish_scope_follows_the_inspecting_area(inspections, huairen_user, inspector_user, auditor_user, approver):
    insp = inspections[0]
    for outsider in (huairen_user, inspector_user, auditor_user):
        with pytest.raises(PermissionDenied):
            actions.publish(outsider, insp)
    assert not Publication.objects.exists()
    pub = actions.publish(approver, insp)  # 晋城市局 (the city above 阳城) may publish
    assert pub.published_by == approver


def test_publish_many_is_all_or_nothing(inspections, county_user):
    assert len(inspections) >= 2
    bad = inspections[-1]
    bad.status = InspectionStatus.NOTIFIED
    bad.save()
    with pytest.raises(actions.ActionRefused):
        actions.publish_many(county_user, inspections)
    assert not Publication.objects.exists()
    assert all(i.status == InspectionStatus.REVIEWED for i in type(bad).objects.filter(pk__in=[x.pk for x in inspections[:-1]]))
    pubs = actions.publish_many(county_user, inspections[:-1])
    assert len(pubs) == len(inspections) - 1


def test_late_publication_is_marked(started, county_user):
    from tests.factories import make_inspections

    insp = make_inspections(started, due_in=-3)[0]
    pub = actions.publish(county_user, insp)
    assert pub.met_deadline is False


def test_publications_cannot_be_edited_or_deleted(inspections, county_user):
    pub = actions.publish(county_user, inspections[0])
    pub.correction_reason = "偷偷改"
    with pytest.raises(ImmutableError):
        pub.save()
    with pytest.raises(ImmutableError):
        pub.delete()
    with pytest.raises(ImmutableError):
        Publication.objects.filter(pk=pub.pk).update(result_type="no_problem")
    with pytest.raises(ImmutableError):
        Publication.objects.all().delete()
    pub.refresh_from_db()
    assert pub.correction_reason == "" and pub.result_type == "corrected"


def test_correction_is_a_new_version_and_keeps_the_old_one(inspections, county_user, huairen_user):
    v1 = actions.publish(county_user, inspections[0])
    with pytest.raises(actions.ActionRefused, match="更正原因"):
        actions.correct(county_user, v1, "  ", {"result_type": "no_problem"})
    with pytest.raises(PermissionDenied):
        actions.correct(huairen_user, v1, "录入错误", {"result_type": "no_problem"})
    with pytest.raises(actions.ActionRefused, match="相同"):
        actions.correct(county_user, v1, "无变化", {"result_type": "corrected"})
    with pytest.raises(actions.ActionRefused):
        actions.correct(county_user, v1, "录入错误", {"institution": "别的机构"})
    v2 = actions.correct(county_user, v1, "检查结果类型录入错误", {"result_type": "no_problem", "handling": ""})
    v1.refresh_from_db()
    assert v2.version == 2 and v2.supersedes == v1 and v2.correction_reason == "检查结果类型录入错误"
    assert v1.is_corrected and not v2.is_corrected
    assert v1.snapshot["result_type"] == "corrected" and v2.snapshot["result_label"] == "未发现问题"
    assert list(Publication.objects.current()) == [v2]
    with pytest.raises(actions.ActionRefused, match="已被更正"):
        actions.correct(county_user, v1, "再改", {"result_type": "pending"})
    event = AuditEvent.objects.get(action="portal.correct")
    assert event.reason == "检查结果类型录入错误"


def test_correction_without_changes_rebuilds_from_the_record(inspections, county_user):
    v1 = actions.publish(county_user, inspections[0])
    add_finding(inspections[0], "88.00")
    v2 = actions.correct(county_user, v1, "补录遗漏的问题", None)
    assert v2.snapshot["findings_amount"] == "88.00" and v1.snapshot["findings_amount"] == "0.00"


def test_institution_user_cannot_publish(inspections):
    inst_user = f.user("t-inst", Role.INSTITUTION, f.YANGCHENG)
    with pytest.raises(PermissionDenied):
        actions.publish(inst_user, inspections[0])
    assert timezone.now()


def test_task_is_done_once_every_result_is_published(inspections, county_user):
    from spotcheck.planning.models import TaskStatus

    task = inspections[0].task
    for insp in inspections[:-1]:
        actions.publish(county_user, insp)
    task.refresh_from_db()
    assert task.status != TaskStatus.DONE
    actions.publish(county_user, inspections[-1])
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
