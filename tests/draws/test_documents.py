"""The draw record (抽取记录) as PDF and DOCX: content at each stage and who may download what."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from spotcheck.audit.models import AuditEvent
from spotcheck.draws import actions
from spotcheck.draws.documents import CONFIDENTIAL_NOTE, draw_record_docx, record_number
from spotcheck.draws.models import DrawStatus
from tests.documents.helpers import docx_text, pdf_info, pdf_text, save_first_page_png, squeeze
from tests.factories import commit, full_run, make_task, reveal

from .test_workflow import unstaffable_task


def url(draw, fmt: str) -> str:
    return f"/draws/{draw.draw_id}/record.{fmt}"


def sections(text: str) -> list[str]:
    """Section headings without their numbers: "二、公开承诺" → "公开承诺"."""
    return [m.group(1) for m in re.finditer(r"^[一二三四五六七八九十]+、(.+)$", text, re.MULTILINE)]


@pytest.fixture
def revealed(world, staffed, county_user, approver):
    return full_run(make_task(world), county_user, approver)


def test_record_number():
    assert record_number("2023-140522-001") == "抽取记录〔2023〕140522-001号"
    assert record_number("X-1") == "抽取记录（X-1）"


def test_revealed_record_as_pdf(revealed, county_user, client_for):
    draw = revealed
    response = client_for(county_user).get(url(draw, "pdf"))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert f"filename*=UTF-8''{quote(f'抽取记录-{draw.draw_id}.pdf')}" in response["Content-Disposition"]
    data = response.content
    save_first_page_png(data, "draw-record")
    text = squeeze(pdf_text(data))
    first = draw.assignments.get(active=True, position=0)
    team = first.members.filter(active=True).select_related("inspector").first().inspector
    for expected in (
        "抽取记录", record_number(draw.draw_id), draw.draw_id, draw.task.name, "SC-DRAW-1",
        draw.snapshot_digest, draw.params_digest, draw.commit, draw.package["seed"], draw.public_randomness,
        first.institution.fixmedins_code, first.institution.name, team.name, "阳城县 · 医疗机构 · 中等",
        "一、抽查任务", "抽取结果", "候补名单", "pythondraw.pyverifypackage.json", "经办人：", "审批人：",
    ):
        assert squeeze(expected) in text, expected
    pages = int(pdf_info(data)["Pages"])
    assert f"第1页共{pages}页" in text
    event = AuditEvent.objects.get(action="draw.record_download", object_id=str(draw.pk))
    assert event.actor_name == county_user.username and event.after == {"file": f"抽取记录-{draw.draw_id}.pdf",
                                                                         "full": True}


def test_revealed_record_as_docx_with_steps_and_events(revealed, county_user, approver, client_for):
    draw = revealed
    first = draw.assignments.get(active=True, position=0)
    event = actions.request_event(county_user, draw, type="replace_unit", institution=first.institution,
                                  reason_kind="closed", reason="机构已注销")
    actions.approve_event(approver, event)
    response = client_for(county_user).get(url(draw, "docx"))
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="draw-record-{draw.draw_id}.docx"' in disposition
    assert f"filename*=UTF-8''{quote(f'抽取记录-{draw.draw_id}.docx')}" in disposition
    text = docx_text(response.content)
    draw.refresh_from_db()
    assert sections(text) == ["抽查任务", "抽取范围与分层", "上次抽取以来影响抽取概率的变更", "公开承诺", "办理过程",
                              "揭示", "抽取结果", "变更事件", "验证方法"]
    for expected in (
        record_number(draw.draw_id), draw.commit, draw.params_digest, draw.snapshot_digest,
        draw.package["seed"], draw.package["secret"], "冻结抽取范围", "审批并生成承诺", "审批并揭示结果", county_user.username,
        approver.username, "变更事件", "替换检查对象", "机构已注销", "因变更事件被替换的机构 1 家",
        draw.assignments.get(active=True, position=0).institution.fixmedins_code,
    ):
        assert expected in text, expected
    assert CONFIDENTIAL_NOTE not in text


def test_before_the_reveal_only_the_commitment(world, staffed, county_user, approver):
    draw = actions.freeze(county_user, make_task(world))
    frozen = docx_text(draw_record_docx(draw))
    assert sections(frozen) == ["抽查任务", "抽取范围与分层", "上次抽取以来影响抽取概率的变更", "办理过程", "验证方法"]
    draw = commit(draw, county_user, approver)
    text = docx_text(draw_record_docx(draw))
    assert sections(text) == ["抽查任务", "抽取范围与分层", "上次抽取以来影响抽取概率的变更", "公开承诺", "办理过程", "验证方法"]
    for expected in (draw.commit, draw.params_digest, draw.snapshot_digest, "中国福利彩票双色球第2026135期开奖号码",
                     "发起提交承诺", "审批并生成承诺", "阳城县市场监督管理局"):
        assert expected in text, expected
    assert "种子" not in text


def test_failed_draw_shows_the_failure(world, county_user, approver, auditor_user, client_for):
    draw = actions.freeze(county_user, unstaffable_task(world))
    actions.check_staffing(county_user, draw)
    actions.override_staffing(approver, draw, "坚持抽取")
    commit(draw, county_user, approver)
    draw = reveal(draw, county_user, approver)
    assert draw.status == DrawStatus.FAILED
    text = docx_text(client_for(auditor_user).get(url(draw, "docx")).content)
    assert "抽取失败" in sections(text) and "抽取结果" not in sections(text)
    for expected in ("抽取失败", "unstaffable（无法配齐检查人员）", draw.error_message, draw.error_unit,
                     draw.error_department, "坚持抽取", "python draw.py compute input.json"):
        assert expected in text, expected


def test_inspector_gets_the_public_part_only(revealed, inspector_user, client_for):
    draw = revealed
    response = client_for(inspector_user).get(url(draw, "docx"))
    assert response.status_code == 200
    text = docx_text(response.content)
    assert sections(text) == ["抽查任务", "公开承诺", "办理过程", "揭示", "验证方法"]
    assert draw.commit in text and draw.public_randomness in text and CONFIDENTIAL_NOTE in text
    assert draw.package["seed"] not in text and draw.package["secret"] not in text
    assert not any(code in text for code in draw.package["result"]["order"])
    event = AuditEvent.objects.get(action="draw.record_download", object_id=str(draw.pk))
    assert event.after["full"] is False


def test_access(revealed, huairen_user, client_for, client):
    draw = revealed
    for fmt in ("pdf", "docx"):
        anonymous = client.get(url(draw, fmt))
        assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    other = client_for(huairen_user)
    assert other.get(url(draw, "pdf")).status_code == 404
    assert other.get(url(draw, "docx")).status_code == 404
    assert not AuditEvent.objects.filter(action="draw.record_download").exists()


def test_unknown_format_is_404(revealed, county_user, client_for):
    assert client_for(county_user).get(url(revealed, "txt")).status_code == 404


def test_cancelled_draw_shows_the_reason(world, staffed, county_user):
    draw = actions.freeze(county_user, make_task(world))
    draw = actions.cancel(county_user, draw, "任务范围有误，重新冻结")
    text = docx_text(draw_record_docx(draw))
    assert sections(text) == ["抽查任务", "抽取范围与分层", "上次抽取以来影响抽取概率的变更", "办理过程", "作废情况", "验证方法"]
    assert "任务范围有误，重新冻结" in text and "作废" in text and "错误代码" not in text
