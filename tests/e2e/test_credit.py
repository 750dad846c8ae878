"""Browser test of the credit "done when": a 阳城 hospital with an 800 元 finding and an unexecuted
penalty is graded 较差 with an explanation; its institution account logs in, sees only its own file
and files an objection; a 阳城县 staff member resolves it within the working-day deadline.

Data are built through the ORM and the signals (``tests/factories.py``), as the inspection
workflow would send them.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from spotcheck.credit.models import Objection, ObjectionStatus
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # regions and measures: migrations


def test_institution_objects_and_county_resolves(page, live_server, login, shot, poor, inst_user):  # noqa: F811
    subject, inst = poor["subject"], poor["institution"]

    login("t-inst", f.PASSWORD)
    page.goto(f"{live_server.url}{reverse('credit:index')}")
    assert page.url.endswith(reverse("credit:subject", args=[subject.pk]))
    heading = page.locator("h1").inner_text()
    assert inst.name in heading and "较差" in heading
    explanation = page.locator("table.explanation").inner_text()
    assert "拒不履行" in explanation and "-25" in explanation and "70" in explanation
    assert page.get_by_role("link", name="已公示的检查结果").get_attribute("href") == \
        f"/portal/institutions/{inst.fixmedins_code}/"
    assert page.get_by_text("录入信用信息").count() == 0
    shot("1-own-file")

    record = subject.records.get(record_type="unexecuted_penalty")
    form = page.locator("#objection-form")
    form.get_by_label("异议的信用信息").select_option(str(record.pk))
    form.get_by_label("异议理由").fill("罚款已于决定次日缴清，附缴款凭证")
    form.get_by_role("button", name="提交异议").click()
    page.wait_for_load_state()
    objection = Objection.objects.get()
    assert page.url.endswith(reverse("credit:objection", args=[objection.pk]))
    assert objection.due_date.strftime("%Y-%m-%d") in page.locator("main").inner_text()
    shot("2-objection-filed")

    # another institution's file is not there
    other_subject_url = f"{live_server.url}/credit/subjects/{subject.pk + 1000}/"
    assert page.goto(other_subject_url).status == 404

    page.get_by_role("button", name="退出").click()
    page.wait_for_load_state()
    login("t-reviewer", f.PASSWORD)
    page.goto(f"{live_server.url}{reverse('credit:objections')}?status=open")
    page.get_by_role("link", name=f"#{objection.pk}").click()
    page.wait_for_load_state()
    resolve = page.locator("#resolve-form")
    resolve.get_by_label("处理结果").select_option("correct")
    resolve.get_by_label("处理意见").fill("经核实罚款已缴清，更正为已执行的行政处罚")
    resolve.get_by_label("更正后的信息类型").select_option("penalty")
    resolve.get_by_label("更正后的严重程度").select_option("moderate")
    resolve.get_by_label("更正后的事项").fill("行政处罚（罚款 2000.00 元），已执行")
    resolve.get_by_role("button", name="提交处理结果").click()
    page.wait_for_load_state()
    outcome = page.locator("#outcome").inner_text()
    assert "异议成立" in outcome and "按期处理" in outcome
    shot("3-resolved")

    objection.refresh_from_db()
    record.refresh_from_db()
    assert objection.status == ObjectionStatus.CORRECTED and objection.decided_in_time
    assert record.status == "superseded" and objection.corrected_record.record_type == "penalty"
