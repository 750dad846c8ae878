"""Imports report every error of every row (a wrong cell does not hide the row's other problems), up to a cap
with the rest counted (“还有 N 个错误未列出”), and phone numbers are validated — in imports and on the forms
(issue 14 §4). Phones are encrypted at rest: the plaintext is checked before it is stored."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from spotcheck.core.codes import make_id_number
from spotcheck.directory import io
from spotcheck.directory.models import Inspector, Institution
from spotcheck.jobs.models import Job
from tests import factories as f

from .test_io import inst_file, inst_row, xlsx
from .test_io_views import upload
from .test_views_forms import inspector_data, institution_data

pytestmark = pytest.mark.django_db

PHONE_HELP = "联系电话只能包含数字"


def errors_of(result):
    return [(e.row, e.column) for e in result.errors]


def test_every_error_of_every_row(admin_user):
    rows = [
        # a bad cell (date), a bad code (the model's check digit), a bad phone and an unknown region: all four
        inst_row(1, 定点协议签订日期="2023-02-30", 统一社会信用代码="12140522000000019X", 联系电话="abc",
                 区划代码="149999"),
        inst_row(2),  # fine
        inst_row(3, 机构名称="", 联系电话="12345"),  # an empty required cell and a short mobile number
    ]
    result = io.import_file("institutions", inst_file(rows), "x.xlsx", actor=admin_user)
    assert errors_of(result) == [
        (2, "定点协议签订日期"), (2, "区划代码"), (2, "统一社会信用代码"), (2, "联系电话"),
        (4, "机构名称"), (4, "联系电话"),
    ]
    messages = [str(e) for e in result.errors]
    assert messages[3] == ("第 2 行「联系电话」：联系电话只能包含数字、空格、“-”和括号，不能有文字或字母；"
                           "多个号码用“、”分隔")
    assert messages[5] == "第 4 行「联系电话」：联系电话格式不正确：手机号应为 11 位数字，实为 5 位"
    assert result.error_count == 6 and result.unlisted == 0
    assert Institution.objects.count() == 0


def test_a_wrong_cell_is_reported_once(admin_user):
    """The model's own complaint about a cell that could not be read is not repeated."""
    result = io.import_file("institutions", inst_file([inst_row(1, 统一社会信用代码="")]), "x.xlsx", actor=admin_user)
    assert [str(e) for e in result.errors] == ["第 2 行「统一社会信用代码」：不能为空"]


def test_inspector_row_with_unknown_department_still_checks_the_rest(admin_user):
    f.department(f.YANGCHENG)
    headers = ["人员编号", "姓名", "所属部门", "区划代码", "身份证号", "联系电话"]
    data = xlsx(headers, [["YC-9", "张三", "不存在的局", f.YANGCHENG, "140522198505050000", "０３５６４２２２０００x"]])
    result = io.import_file("inspectors", data, "x.xlsx", actor=admin_user)
    assert errors_of(result) == [(2, "所属部门"), (2, "身份证号"), (2, "联系电话")]


def test_out_of_area_row_is_checked_without_telling_the_stored_row(county_user):
    other = f.institution(f.HUAIREN, contact_phone="13900001111", credit_grade="良好")
    row = inst_row(1, f.HUAIREN, 定点医药机构编码=other.fixmedins_code, 信用等级="差", 联系电话="abc")
    result = io.import_file("institutions", inst_file([row]), "x.xlsx", actor=county_user)
    messages = [str(e) for e in result.errors]
    assert any("不在您的管辖范围内" in m for m in messages) and any("「联系电话」" in m for m in messages)
    assert not any("良好" in m for m in messages)  # the stored grade of another area's row is not disclosed


def test_phone_numbers_that_import(admin_user):
    phones = ["１３９１２３４５６７８", "139 1234 5678", "0356-4222000", "(0356)4222000", "0356—4222000转12",
              "010 8765 4321", "0356-4222000、13912345678"]
    rows = [inst_row(n, 联系电话=phone) for n, phone in enumerate(phones, start=1)]
    result = io.import_file("institutions", inst_file(rows), "x.xlsx", actor=admin_user)
    assert result.ok, [str(e) for e in result.errors]
    stored = dict(Institution.objects.values_list("name", "contact_phone"))
    assert stored["导入医院1"] == "13912345678"  # full-width digits folded before encryption
    assert stored["导入医院2"] == "139 1234 5678"
    assert Institution.objects.get(name="导入医院1").contact_phone_digest  # encrypted with its digest


def test_the_report_is_capped_and_counts_the_rest(admin_user, monkeypatch, tmp_path):
    monkeypatch.setattr(io, "MAX_REPORTED_ERRORS", 5)
    rows = [inst_row(n, 联系电话="abc", 重点监控="也许") for n in range(1, 8)]  # 14 errors, rows 2..8
    result = io.import_file("institutions", inst_file(rows), "x.xlsx", actor=admin_user)
    assert result.error_count == 14 and result.unlisted == 9 and len(result.errors) == 5
    assert [e.row for e in result.errors] == [2, 2, 3, 3, 4]  # the first rows, every error of each
    summary = result.as_dict()
    assert summary["error_count"] == 14 and len(summary["errors"]) == 5
    path = tmp_path / "名录.xlsx"
    path.write_bytes(inst_file(rows))
    with pytest.raises(CommandError, match="共 14 处错误"):
        call_command("import_data", "institutions", str(path))


def test_the_cap_keeps_memory_bounded_and_the_lowest_rows():
    errors = io._Errors(cap=3)
    for row in (9, 8, 7, 6, 5, 4, 3, 2, 1, 2):
        errors.append(io.RowError(row, "x", str(row)))
    assert len(errors) < 6
    errors.trim()
    assert [e.row for e in errors] == [1, 2, 2] and errors.total == 10 and errors.dropped == 7


def test_status_page_and_report_say_how_many_are_not_listed(client_for, county_user, monkeypatch):
    monkeypatch.setattr(io, "MAX_REPORTED_ERRORS", 3)
    client = client_for(county_user)
    rows = [inst_row(n, 联系电话="abc") for n in range(1, 6)]
    response = upload(client, inst_file(rows))
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED and job.result["error_count"] == 5
    body = client.get(response["Location"]).content.decode()
    assert "还有 2 个错误未列出" in body and "<td>2</td><td>联系电话</td>" in body
    report = client.get(response["Location"], {"download": "report"})
    import io as stdio

    cells = list(openpyxl.load_workbook(stdio.BytesIO(report.content)).worksheets[0].iter_rows(values_only=True))
    assert cells[-1][2] == "还有 2 个错误未列出" and len(cells) == 1 + 3 + 1


# --------------------------------------------------------------------------------------------
# the forms


def test_institution_form_validates_the_phone(client_for, county_user):
    client = client_for(county_user)
    response = client.post(reverse("directory:institution-create"), institution_data(contact_phone="abc"))
    assert response.status_code == 200
    assert response.context["form"].errors["contact_phone"][0].startswith(PHONE_HELP)
    assert not Institution.objects.exists()
    response = client.post(reverse("directory:institution-create"), institution_data(contact_phone="4222000"))
    assert response.context["form"].errors["contact_phone"] == ["联系电话格式不正确：固定电话须带区号，如 0356-4222000"]
    response = client.post(reverse("directory:institution-create"), institution_data(contact_phone="０３５６－４２２２０００"))
    assert response.status_code == 302
    assert Institution.objects.get().contact_phone == "0356-4222000"


def test_inspector_form_validates_the_phone(client_for, county_user):
    dept = f.department()
    client = client_for(county_user)
    response = client.post(reverse("directory:inspector-create"), inspector_data(dept, phone="abc"))
    assert response.context["form"].errors["phone"][0].startswith(PHONE_HELP)
    assert not Inspector.objects.exists()
    assert client.post(reverse("directory:inspector-create"), inspector_data(dept, phone="139-0000-1111")).status_code == 302
    assert Inspector.objects.get().phone == "139-0000-1111"


def test_an_unchanged_phone_keeps_its_token(county_user):
    """Normalising writes only when it changes the value: an untouched phone keeps its ciphertext."""
    insp = f.inspector(phone="13900001111", id_number=make_id_number(f.YANGCHENG, dt.date(1980, 1, 1), 3, True))
    insp = Inspector.objects.get(pk=insp.pk)
    token = insp.phone.token
    insp.full_clean(exclude=["department", "region"], validate_unique=False)
    assert insp.phone.token == token
