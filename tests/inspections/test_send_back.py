"""退回修改 keeps everything the team entered (issue 14 §4): the phone page shows the previous result type,
结果说明, 处理情况, end date and 确认人, and re-submitting them unchanged records the result again."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck.inspections import actions
from spotcheck.inspections.models import InspectionStatus
from tests.factories import fill_checklist, upload, violation

pytestmark = pytest.mark.django_db


def _form_values(page: str) -> dict[str, str]:
    """The values a browser would submit from the result form (no JavaScript)."""
    form = page[page.index('id="f-result"'):]
    form = form[:form.index("</form>")]
    checked = re.findall(r'<input type="radio" name="result_type" value="([a-z_]+)" checked>', form)
    values = {"result_type": checked[0] if checked else ""}
    for name in ("summary", "handling"):
        m = re.search(rf'<textarea name="{name}"[^>]*>\n?(.*?)</textarea>', form, re.S)
        values[name] = m.group(1) if m else ""
    for name in ("ended_on", "confirmed_by_name"):
        m = re.search(rf'<input type="[a-z]+" name="{name}"(?: value="([^"]*)")?', form)
        values[name] = (m.group(1) or "") if m else ""
    return values


def test_sent_back_record_keeps_the_entries(client_for, team_user, reviewer, hospital_inspection):
    today = timezone.localdate()
    ended = today - dt.timedelta(days=1)  # not today, so the page must show the stored date, not the default
    actions.notify(team_user, hospital_inspection, today - dt.timedelta(days=2))
    actions.add_finding(team_user, hospital_inspection, violation("H"), "重复收取床位费", Decimal("800"), True)
    fill_checklist(team_user, hospital_inspection)
    actions.add_evidence(team_user, hospital_inspection, upload(name="sign.jpg"), "signature")
    actions.record_result(team_user, hospital_inspection, "corrected", "发现重复收费，已当场退回", "责令改正",
                          ended, "张院长")
    actions.review(reviewer, hospital_inspection, approve=False, note="请补充处理依据")
    hospital_inspection.refresh_from_db()
    assert hospital_inspection.status == InspectionStatus.NOTIFIED

    c = client_for(team_user)
    page = c.get(reverse("inspections:record", args=[hospital_inspection.pk])).content.decode()
    assert "审核退回意见：请补充处理依据" in page
    values = _form_values(page)
    assert values == {"result_type": "corrected", "summary": "发现重复收费，已当场退回", "handling": "责令改正",
                      "ended_on": ended.isoformat(), "confirmed_by_name": "张院长"}

    # re-submitting what the page shows, without retyping and without a new signature photo, works
    r = c.post(reverse("inspections:result", args=[hospital_inspection.pk]), values)
    assert r.status_code == 302
    hospital_inspection.refresh_from_db()
    assert hospital_inspection.status == InspectionStatus.RECORDED
    assert (hospital_inspection.result_type, hospital_inspection.result_summary, hospital_inspection.handling,
            hospital_inspection.ended_on) == ("corrected", "发现重复收费，已当场退回", "责令改正", ended)


def test_new_record_page_has_no_result_chosen(client_for, team_user, hospital_inspection):
    actions.notify(team_user, hospital_inspection)
    page = client_for(team_user).get(reverse("inspections:record", args=[hospital_inspection.pk])).content.decode()
    values = _form_values(page)
    assert values["result_type"] == "" and values["summary"] == "" and values["handling"] == ""
    assert values["ended_on"] == timezone.localdate().isoformat()
