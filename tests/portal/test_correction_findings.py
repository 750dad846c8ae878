"""Corrections after publication may change findings and amounts (issue 11 §4): the portal showed 2 problems
and 1,600 元 next to a correction reason saying 800 元. Now the new version shows 1 and 800 元 and lists what
changed, the old version stays exactly as published, the finding keeps its values before the change, and the
credit records follow the corrected version."""

from __future__ import annotations

import copy
import csv
import io
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck.audit.models import AuditEvent
from spotcheck.audit.verify import verify_data
from spotcheck.credit.models import CreditRecord, RecordStatus
from spotcheck.inspections import actions as inspection_actions
from spotcheck.inspections.models import Finding, FindingCorrection, Inspection
from spotcheck.portal import actions
from spotcheck.portal.models import Publication
from tests.factories import fill_checklist, upload, violation

pytestmark = pytest.mark.django_db
TOUCHED = ["inspections.finding", "inspections.findingcorrection", "credit.creditrecord", "portal.publication"]

REASON = "同一问题重复登记，涉及金额应为 800 元"


def published_twice_entered(insp: Inspection, team, reviewer  # noqa: F811
                            ) -> tuple[Publication, Finding, Finding]:
    """A published result with the same 800 元 problem entered twice (2 problems, 1,600 元), each decided
    with an unexecuted fine, so each has a 检查发现 and a 拒不履行 credit record."""
    inspection_actions.notify(team, insp)
    vt = violation(insp.institution.kind)
    first = inspection_actions.add_finding(team, insp, vt, "重复收取床位费", Decimal("800"), False)
    second = inspection_actions.add_finding(team, insp, vt, "重复收取床位费", Decimal("800"), False)
    fill_checklist(team, insp)
    inspection_actions.add_evidence(team, insp, upload(name="sign.jpg"), "signature")
    inspection_actions.record_result(team, insp, "corrected", "发现重复收费", "责令退回并处罚款",
                                     timezone.localdate(), "张院长")
    for finding in (first, second):
        inspection_actions.decide_finding(reviewer, finding, "依法处罚", "按裁量基准依法处罚",
                                          refund_amount="800", penalty_amount="1000",
                                          penalty_decision_number="阳医保罚〔2026〕1号")
    inspection_actions.review(reviewer, insp, True)
    return actions.publish(reviewer, insp), first, second


def plain(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def published(hospital_inspection, team_user, reviewer):  # noqa: F811
    return published_twice_entered(hospital_inspection, team_user, reviewer)


def test_voiding_a_published_duplicate(client, published, reviewer):  # noqa: F811
    v1, first, second = published
    assert v1.snapshot["findings_count"] == 2 and v1.snapshot["findings_amount"] == "1600.00"
    as_published = copy.deepcopy(v1.snapshot)
    bad = {r.link_key: r for r in CreditRecord.objects.filter(finding=second)}
    assert set(bad) == {f"finding:{second.pk}", f"penalty:{second.pk}"}

    v2 = actions.correct(reviewer, v1, REASON, {}, {second.pk: {"void": True}})

    # the new version: 1 problem, 800 元, and what changed next to the reason
    assert v2.version == 2 and v2.supersedes_id == v1.pk and v2.correction_reason == REASON
    assert v2.snapshot["findings_count"] == 1 and v2.snapshot["findings_amount"] == "800.00"
    changes = {c["item"]: (c["before"], c["after"]) for c in v2.snapshot["changes"]}
    assert changes["问题数"] == ("2", "1") and changes["涉及金额"] == ("1,600.00 元", "800.00 元")
    assert any(after == "已作废" and "第 2 个问题" in item for item, (_b, after) in changes.items())
    # the old version exactly as published
    v1 = Publication.objects.get(pk=v1.pk)
    assert v1.snapshot == as_published and v1.is_corrected

    # the finding: kept, voided with the correction's reason, its values before kept in a correction row
    second.refresh_from_db()
    assert second.voided_at is not None and second.void_reason == REASON and second.amount == Decimal("800")
    fc = FindingCorrection.objects.get(finding=second)
    assert fc.voided and fc.version == 2 and fc.reason == REASON and fc.lines == ["已作废"]
    assert AuditEvent.objects.filter(action="finding.correct", object_id=str(second.pk),
                                     reason=REASON).exists()
    assert AuditEvent.objects.filter(action="finding.correction.create", object_id=str(fc.pk)).exists()

    # public page of the current version, and the old one unchanged
    page = plain(client.get(reverse("portal:result", args=[v2.pk])))
    assert REASON in page and "问题数：2 → 1" in page and "涉及金额：1,600.00 元 → 800.00 元" in page
    assert "已作废" in page
    old_page = plain(client.get(reverse("portal:result", args=[v1.pk])))
    assert "1600.00" in old_page and "已更正" in old_page

    # open data: the current version says 1 and 800
    table = rows(client.get(reverse("portal:results-csv")))
    head = table[0]
    current = [r for r in table[1:] if r[0] == str(v2.pk)]
    assert len(current) == 1 and not [r for r in table[1:] if r[0] == str(v1.pk)]
    row = dict(zip(head, current[0], strict=True))
    assert row["问题数"] == "1" and row["涉及金额（元）"] == "800.00" and "问题数：2 → 1" in row["更正内容"]
    data = client.get(reverse("portal:results-json") + "?all=1").json()
    by_id = {r["id"]: r for r in data["rows"]}
    assert (by_id[v2.pk]["findings_count"], by_id[v2.pk]["findings_amount"]) == (1, "800.00")
    assert (by_id[v1.pk]["findings_count"], by_id[v1.pk]["findings_amount"]) == (2, "1600.00")

    # credit follows: the voided finding's records are withdrawn from their start; the other ones stay
    for key, rec in bad.items():
        rec.refresh_from_db()
        assert rec.status == RecordStatus.CLOSED and rec.withdrawn_on == rec.recorded_on, key
        assert "作废" in rec.status_reason and REASON in rec.status_reason
    assert not CreditRecord.objects.filter(finding=second, status=RecordStatus.ACTIVE).exists()
    assert CreditRecord.objects.filter(finding=first, status=RecordStatus.ACTIVE).count() == 2

    # every row written here is in the state its newest audit event recorded
    report = verify_data(labels=TOUCHED)
    assert report.ok, [d.describe() for d in report.differences]


def test_adjusting_amounts_supersedes_the_credit_records(client, published, reviewer):  # noqa: F811
    v1, first, _second = published
    old = {r.link_key: r for r in CreditRecord.objects.filter(finding=first, status=RecordStatus.ACTIVE)}
    v2 = actions.correct(reviewer, v1, "涉及金额核减为 500 元，罚款改为 600 元", {},
                         {first.pk: {"amount": "500", "penalty_amount": "600.00",
                                     "description": "重复收取床位费 5 天"}})
    assert v2.snapshot["findings_count"] == 2 and v2.snapshot["findings_amount"] == "1300.00"
    changes = [(c["item"], c["before"], c["after"]) for c in v2.snapshot["changes"]]
    assert ("涉及金额", "1,600.00 元", "1,300.00 元") in changes
    assert any(b == "涉及金额 800.00 元" and a.startswith("涉及金额 500.00 元") for _i, b, a in changes)
    assert any("罚款金额" in a and "问题描述" in a for _i, _b, a in changes)
    assert "床位费 5 天" not in str(v2.snapshot)  # descriptions are not public

    first.refresh_from_db()
    assert (first.amount, first.penalty_amount) == (Decimal("500.00"), Decimal("600.00"))
    fc = FindingCorrection.objects.get(finding=first)
    assert fc.before == {"description": "重复收取床位费", "amount": "800.00", "penalty_amount": "1000.00"}
    assert "涉及金额：800.00 元 → 500.00 元" in fc.lines

    for key, rec in old.items():
        rec.refresh_from_db()
        new = CreditRecord.objects.get(link_key=key, status=RecordStatus.ACTIVE)
        assert rec.status == RecordStatus.SUPERSEDED and new.supersedes_id == rec.pk
        assert rec.withdrawn_on == rec.recorded_on == new.recorded_on and new.occurred_on == rec.occurred_on
    assert CreditRecord.objects.get(link_key=f"finding:{first.pk}", status=RecordStatus.ACTIVE).state == {
        "amount": "500.00"}
    penalty = CreditRecord.objects.get(link_key=f"penalty:{first.pk}", status=RecordStatus.ACTIVE)
    assert penalty.state["penalty"] == "600.00"

    page = plain(client.get(reverse("portal:result", args=[v2.pk])))
    assert "涉及金额 800.00 元 → 涉及金额 500.00 元（金额调整）" in page
    report = verify_data(labels=TOUCHED)
    assert report.ok, [d.describe() for d in report.differences]


def test_refusals_leave_everything_as_it_was(published, reviewer):  # noqa: F811
    v1, first, second = published
    with pytest.raises(actions.ActionRefused, match="不能仍为"):  # no problem left but still 发现问题已责令改正
        actions.correct(reviewer, v1, "两个都是误录", {}, {first.pk: {"void": True}, second.pk: {"void": True}})
    with pytest.raises(actions.ActionRefused, match="不属于该检查"):
        actions.correct(reviewer, v1, "更正", {}, {999999: {"void": True}})
    with pytest.raises(actions.ActionRefused, match="不是有效的金额"):
        actions.correct(reviewer, v1, "更正", {}, {first.pk: {"amount": "八百"}})
    assert not Finding.objects.filter(voided_at__isnull=False).exists()
    assert not FindingCorrection.objects.exists() and Publication.objects.count() == 1
    # voiding both together with the result type is fine
    v2 = actions.correct(reviewer, v1, "核实后未发现问题", {"result_type": "no_problem"},
                         {first.pk: {"void": True}, second.pk: {"void": True}})
    assert v2.snapshot["findings_count"] == 0 and v2.snapshot["findings"] == []
    with pytest.raises(actions.ActionRefused, match="已作废"):
        actions.correct(reviewer, v2, "再改", {}, {first.pk: {"amount": "1"}})
    with pytest.raises(inspection_actions.ActionRefused, match="检查结果已审核"):
        inspection_actions.void_finding(reviewer, first, "重复登记")


def test_correction_page_voids_a_finding(client_for, published, reviewer):  # noqa: F811
    v1, first, second = published
    c = client_for(reviewer)
    url = reverse("portal:correct", args=[v1.pk])
    page = c.get(url).content.decode()
    assert f"f{second.pk}-void" in page and "第 2 个问题" in page
    form = {"result_type": "corrected", "handling": v1.snapshot["handling"], "result_notice_number":
            v1.snapshot["inspection"]["result_notice_number"], "reason": REASON}
    for fnd in (first, second):
        form.update({f"f{fnd.pk}-amount": "800.00", f"f{fnd.pk}-refund_amount": "800.00",
                     f"f{fnd.pk}-penalty_amount": "1000.00", f"f{fnd.pk}-description": fnd.description})
    form[f"f{second.pk}-void"] = "on"
    response = c.post(url, form)
    assert response.status_code == 302, plain(response)
    v2 = Publication.objects.get(supersedes=v1)
    assert response["Location"] == reverse("portal:result", args=[v2.pk])
    assert v2.snapshot["findings_count"] == 1 and v2.snapshot["findings_amount"] == "800.00"
    assert list(FindingCorrection.objects.values_list("finding_id", "voided")) == [(second.pk, True)]
