"""The Excel/CSV engine (spotcheck.directory.io) and the import/export management commands."""

from __future__ import annotations

import csv
import datetime as dt
import io as stdio

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from spotcheck.audit.actions import verify_chain
from spotcheck.audit.models import AuditEvent
from spotcheck.core.codes import make_fixmedins_code, make_id_number, make_uscc
from spotcheck.directory import io
from spotcheck.directory.models import Conflict, Inspector, Institution, Region
from tests import factories as f

INST_HEADERS = [c.header for c in io.get_spec("institutions").columns]


def xlsx(headers, rows):
    """An .xlsx file with ``headers`` and ``rows`` on its first sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for cell in (c for r in ws.iter_rows() for c in r if c.data_type == "f"):
        cell.data_type = "s"  # text that starts with "=", as our export writes it
    buf = stdio.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def inst_row(seq, region=f.YANGCHENG, **overrides):
    """A valid 检查对象 row (dict by header) for a new institution."""
    row = {
        "定点医药机构编码": make_fixmedins_code("H", region, seq),
        "机构名称": f"导入医院{seq}",
        "统一社会信用代码": make_uscc(region, 9000 + seq),
        "机构类型": "医疗机构",
        "机构类别": "医院",
        "医院等级": "二级",
        "区划代码": region,
        "信用等级": "",  # a new institution is 未评级: the grade comes from the credit evaluation
        "重点监控": "否",
        "定点协议签订日期": dt.date(2023, 5, 1),
    }
    row.update(overrides)
    return row


def inst_file(rows):
    return xlsx(INST_HEADERS, [[r.get(h) for h in INST_HEADERS] for r in rows])


def sheet_rows(data):
    ws = openpyxl.load_workbook(stdio.BytesIO(data)).worksheets[0]
    return [list(r) for r in ws.iter_rows(values_only=True)]


def rows_to_xlsx(rows):
    return xlsx(rows[0], rows[1:])


def events():
    return AuditEvent.objects.count()


@pytest.fixture
def directory(db):
    """Two institutions, two inspectors and a conflict in 阳城, one institution in 怀仁."""
    a = f.institution(credit_grade="良好", risk_flag=True, contract_date=dt.date(2021, 3, 4),
                      notes="第一行\n第二行", contact_phone="13912345678", level="2")
    b = f.institution(kind="P", contract_status="suspended", address="=SUM(A1)")
    f.institution(f.HUAIREN)
    i1 = f.inspector(phone="13800001111", specialties="医疗、药学")
    f.inspector(status="on_leave", cert_valid_from=None, cert_valid_to=None, cert_number="")
    f.conflict(i1, a, note="配偶在该院任职", valid_to=dt.date(2026, 1, 1))
    return a, b


# --------------------------------------------------------------------------------------------
# round trip


@pytest.mark.parametrize("kind", io.KINDS)
@pytest.mark.parametrize("fmt", io.FORMATS)
def test_export_then_import_changes_nothing(directory, admin_user, kind, fmt):
    data = io.export_for(admin_user, kind, {}, fmt)
    before = events()
    result = io.import_file(kind, data, f"x.{fmt}", actor=admin_user)
    assert result.ok, [str(e) for e in result.errors]
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == result.rows > 0
    assert events() == before


def test_xlsx_layout_text_codes_real_dates_and_instructions(directory, admin_user):
    a, b = directory
    wb = openpyxl.load_workbook(stdio.BytesIO(io.export_for(admin_user, "institutions", {}, "xlsx")))
    assert wb.sheetnames == ["检查对象名录库", "填写说明"]
    ws = wb["检查对象名录库"]
    assert [c.value for c in ws[1]] == INST_HEADERS
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:P4"
    row = {c.value: cell for c, cell in zip(ws[1], ws[2], strict=True)}
    assert row["统一社会信用代码"].data_type == "s" and row["统一社会信用代码"].number_format == "@"
    assert row["定点协议签订日期"].is_date and row["定点协议签订日期"].value.date() == a.contract_date
    assert row["机构类型"].value == "医疗机构" and row["医院等级"].value == "二级" and row["重点监控"].value == "是"
    b_row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == b.fixmedins_code)
    formula = b_row[INST_HEADERS.index("地址")]
    assert formula.data_type != "f" and formula.value == "=SUM(A1)"  # text, never a formula
    notes = [r[0] for r in wb["填写说明"].iter_rows(values_only=True)]
    assert "统一社会信用代码" in notes and any("全部成功或全部不写入" in str(r) for r in
                                              wb["填写说明"].iter_rows(values_only=True))


def test_template_is_header_plus_instructions_with_example_outside_data():
    wb = openpyxl.load_workbook(stdio.BytesIO(io.template_file("inspectors")))
    data = list(wb.worksheets[0].iter_rows(values_only=True))
    assert data == [tuple(c.header for c in io.get_spec("inspectors").columns)]
    example = {r[0]: r[4] for r in wb["填写说明"].iter_rows(values_only=True) if r and len(r) > 4}
    assert example["身份证号"] == "140522198506010250"
    assert io.template_file("conflicts", "csv").decode("utf-8-sig").strip() == "人员编号,机构编码,回避原因,说明,有效期起,有效期止"


def test_csv_export_has_bom_iso_dates_and_formula_guard(directory, admin_user):
    text = io.export_for(admin_user, "institutions", {}, "csv").decode("utf-8")
    assert text.startswith("\ufeff定点医药机构编码,")
    assert "2021-03-04" in text and "'=SUM(A1)" in text


# --------------------------------------------------------------------------------------------
# changes


def test_edited_cell_gives_exactly_one_update_event(directory, admin_user):
    a, _ = directory
    rows = sheet_rows(io.export_for(admin_user, "institutions", {}, "xlsx"))
    name_col = rows[0].index("机构名称")
    target = next(r for r in rows if r[0] == a.fixmedins_code)
    target[name_col] = "阳城县第一人民医院"
    before = events()
    result = io.import_file("institutions", rows_to_xlsx(rows), "edit.xlsx", actor=admin_user)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert events() == before + 1
    event = AuditEvent.objects.order_by("-seq").first()
    assert event.action == "update" and event.object_id == str(a.pk) and event.actor_name == admin_user.username
    assert event.before == {"name": a.name} and event.after == {"name": "阳城县第一人民医院"}
    assert event.region_code == f.YANGCHENG
    a.refresh_from_db()
    assert a.name == "阳城县第一人民医院"
    assert verify_chain().ok


def test_new_rows_are_created_with_create_events(county_user):
    rows = [inst_row(1), inst_row(2, 机构类型="零售药店", 机构类别="零售药店",
                                    定点医药机构编码=make_fixmedins_code("P", f.YANGCHENG, 2))]
    result = io.import_file("institutions", inst_file(rows), "new.xlsx", actor=county_user)
    assert result.ok and result.created == 2
    inst = Institution.objects.get(fixmedins_code=make_fixmedins_code("H", f.YANGCHENG, 1))
    assert (inst.level, inst.credit_grade, inst.contract_date, inst.contract_status) == (
        "2", "", dt.date(2023, 5, 1), "active")
    created = AuditEvent.objects.filter(action="create", object_type="directory.institution")
    assert created.count() == 2
    assert created.get(object_id=str(inst.pk)).after["uscc"] == inst.uscc


def test_bad_uscc_on_row_5_writes_nothing_and_cli_fails(tmp_path, db):
    rows = [inst_row(n) for n in range(1, 6)]
    good = rows[3]["统一社会信用代码"]
    rows[3]["统一社会信用代码"] = good[:-1] + ("0" if good[-1] != "0" else "1")  # Excel row 5
    path = tmp_path / "bad.xlsx"
    path.write_bytes(inst_file(rows))
    err = stdio.StringIO()
    with pytest.raises(CommandError, match="共 1 处错误"):
        call_command("import_data", "institutions", str(path), stderr=err)
    assert "第 5 行「统一社会信用代码」：统一社会信用代码校验位错误" in err.getvalue()
    assert Institution.objects.count() == 0 and events() == 0


def test_cli_success_acts_as_cli_or_named_user(tmp_path, county_user):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(inst_file([inst_row(1)]))
    out = stdio.StringIO()
    call_command("import_data", "institutions", str(path), stdout=out)
    assert "新增 1" in out.getvalue()
    assert AuditEvent.objects.get(action="create").actor_name == "cli"
    path.write_bytes(inst_file([inst_row(1, 机构名称="改名")]))
    call_command("import_data", "institutions", str(path), "--user", county_user.username, stdout=out)
    assert AuditEvent.objects.get(action="update").actor_id == county_user.pk
    with pytest.raises(CommandError, match="不存在"):
        call_command("import_data", "institutions", str(path), "--user", "nobody")


def test_cli_user_without_change_permission_is_refused(tmp_path, inspector_user):
    path = tmp_path / "ok.xlsx"
    path.write_bytes(inst_file([inst_row(1)]))
    with pytest.raises(CommandError, match="权限"):
        call_command("import_data", "institutions", str(path), "--user", inspector_user.username)


def test_fixmedins_code_region_must_match_region_code(admin_user):
    row = inst_row(1, 区划代码=f.HUAIREN, 统一社会信用代码=make_uscc(f.HUAIREN, 1))
    result = io.import_file("institutions", inst_file([row]), "x.xlsx", actor=admin_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "定点医药机构编码")]
    assert "与所属行政区划 140681 不一致" in result.errors[0].message
    assert Institution.objects.count() == 0


def test_duplicate_key_in_one_file(admin_user):
    rows = [inst_row(1), inst_row(2), inst_row(1, 机构名称="重复")]
    result = io.import_file("institutions", inst_file(rows), "x.xlsx", actor=admin_user)
    assert [str(e) for e in result.errors] == [
        "第 4 行「定点医药机构编码」：「定点医药机构编码」与第 2 行重复，同一文件中只能出现一次"
    ]
    assert Institution.objects.count() == 0


def test_county_user_cannot_import_another_countys_rows(county_user):
    rows = [inst_row(1), inst_row(2, f.HUAIREN)]
    result = io.import_file("institutions", inst_file(rows), "x.xlsx", actor=county_user)
    assert [str(e) for e in result.errors] == ["第 3 行「区划代码」：区划代码 140681 不在您的管辖范围内"]
    assert Institution.objects.count() == 0


def test_existing_row_of_another_area_cannot_be_taken_over(county_user):
    other = f.inspector(f.HUAIREN)
    f.department(f.YANGCHENG)
    headers = ["人员编号", "姓名", "所属部门", "区划代码"]
    data = xlsx(headers, [[other.number, "张三", "阳城县医疗保障局", f.YANGCHENG]])
    result = io.import_file("inspectors", data, "x.xlsx", actor=county_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "人员编号")]
    assert "不在您的管辖范围内" in result.errors[0].message


def test_cell_level_errors_are_all_reported(admin_user):
    rows = [inst_row(1, 机构类型="医院", 重点监控="也许", 定点协议签订日期="2023-02-30", 机构名称="")]
    result = io.import_file("institutions", inst_file(rows), "x.xlsx", actor=admin_user)
    assert {e.column for e in result.errors} == {"机构名称", "机构类型", "重点监控", "定点协议签订日期"}
    assert all(e.row == 2 for e in result.errors)


def test_header_problems_are_reported_on_row_1(admin_user):
    data = xlsx(["定点医药机构编码", "机构名称", "机构名"], [["H14052200001", "x", "y"]])
    result = io.import_file("institutions", data, "x.xlsx", actor=admin_user)
    messages = {(e.row, e.column): e.message for e in result.errors}
    assert messages[(1, "机构名")].startswith("未知的列名")
    assert messages[(1, "统一社会信用代码")] == "缺少必填列"


def test_unreadable_files(admin_user):
    assert "只支持 .xlsx 和 .csv" in str(io.import_file("institutions", b"x", "a.xls", actor=admin_user).errors[0])
    assert "无法读取 Excel" in str(io.import_file("institutions", b"junk", "a.xlsx", actor=admin_user).errors[0])
    bad = io.import_file("institutions", "编码".encode("utf-16"), "a.csv", actor=admin_user)
    assert "编码" in str(bad.errors[0])


def test_model_rules_department_must_belong_to_region(admin_user):
    f.department(f.HUAIREN)
    headers = ["人员编号", "姓名", "所属部门", "区划代码", "身份证号"]
    data = xlsx(headers, [
        ["N-1", "张三", "怀仁市医疗保障局", f.YANGCHENG, make_id_number(f.YANGCHENG, dt.date(1980, 1, 1), 1, True)],
        ["N-2", "李四", "不存在的部门", f.YANGCHENG, ""],
        ["N-3", "王五", "怀仁市医疗保障局", f.HUAIREN, "140681198001010000"],
    ])
    result = io.import_file("inspectors", data, "x.xlsx", actor=admin_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "所属部门"), (3, "所属部门"), (4, "身份证号")]
    assert Inspector.objects.count() == 0


# --------------------------------------------------------------------------------------------
# CSV encodings


@pytest.mark.parametrize("encoding", ["gb18030", "utf-8-sig", "utf-8"])
def test_csv_in_gb18030_and_utf8(admin_user, encoding):
    row = inst_row(7, 定点协议签订日期="2023/5/1", 地址="阳城县凤城镇，“新”街")
    lines = [",".join(INST_HEADERS)]
    lines.append(",".join(f'"{row.get(h) or ""}"' for h in INST_HEADERS))
    data = "\r\n".join(lines).encode(encoding)
    result = io.import_file("institutions", data, "x.csv", actor=admin_user)
    assert result.ok, [str(e) for e in result.errors]
    inst = Institution.objects.get()
    assert inst.address == "阳城县凤城镇，“新”街" and inst.contract_date == dt.date(2023, 5, 1)


# --------------------------------------------------------------------------------------------
# personal data


def test_masked_export_keeps_stored_values_on_reimport(directory, admin_user, auditor_user):
    data = io.export_for(auditor_user, "inspectors", {}, "xlsx")  # 审计/纪检 may not change: masked
    rows = sheet_rows(data)
    id_col, phone_col = rows[0].index("身份证号"), rows[0].index("联系电话")
    stored = {i.number: (i.id_number, i.phone) for i in Inspector.objects.all()}
    for row in rows[1:]:
        assert "*" in row[id_col] and row[id_col] != stored[row[0]][0]
    assert "138****1111" in [r[phone_col] for r in rows[1:]]
    before = events()
    result = io.import_file("inspectors", data, "masked.xlsx", actor=admin_user)
    assert result.ok and result.unchanged == 2 and events() == before
    assert {i.number: (i.id_number, i.phone) for i in Inspector.objects.all()} == stored
    unmasked = sheet_rows(io.export_for(admin_user, "inspectors", {}, "xlsx"))
    assert {r[0]: r[id_col] for r in unmasked[1:]} == {k: v[0] for k, v in stored.items()}
    assert sheet_rows(io.export_for(admin_user, "inspectors", {}, "xlsx", mask=True))[1][id_col].count("*") == 8


def test_masked_value_on_a_new_row_is_an_error(admin_user):
    f.department(f.YANGCHENG)
    data = xlsx(["人员编号", "姓名", "所属部门", "区划代码", "身份证号"],
                [["N-9", "张三", "阳城县医疗保障局", f.YANGCHENG, "140522********0250"]])
    result = io.import_file("inspectors", data, "x.xlsx", actor=admin_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "身份证号")]


# --------------------------------------------------------------------------------------------
# conflicts


def test_conflicts_upsert_by_inspector_institution_reason_and_start(directory, county_user):
    a, b = directory
    insp = Inspector.objects.filter(region_id=f.YANGCHENG).first()
    headers = [c.header for c in io.get_spec("conflicts").columns]
    existing = Conflict.objects.get()
    rows = [
        [existing.inspector.number, existing.institution.fixmedins_code, "亲属任职", "说明已改", existing.valid_from, None],
        [insp.number, b.fixmedins_code, "曾任职", "", "2024-01-01", "2023-01-01"],
    ]
    result = io.import_file("conflicts", xlsx(headers, rows), "c.xlsx", actor=county_user)
    assert [(e.row, e.column) for e in result.errors] == [(3, "有效期止")]
    rows[1][5] = None
    result = io.import_file("conflicts", xlsx(headers, rows), "c.xlsx", actor=county_user)
    assert (result.created, result.updated) == (1, 1)
    existing.refresh_from_db()
    assert (existing.note, existing.valid_to) == ("说明已改", None)
    new = Conflict.objects.exclude(pk=existing.pk).get()
    assert new.recorded_by == county_user and new.reason == "former_employee"
    update = AuditEvent.objects.get(action="update", object_type="directory.conflict")
    assert update.after == {"note": "说明已改", "valid_to": None}


def test_conflict_with_unknown_or_foreign_references(directory, county_user):
    huairen = Institution.objects.get(region_id=f.HUAIREN)
    headers = ["人员编号", "机构编码", "回避原因", "有效期起"]
    data = xlsx(headers, [["NOPE", huairen.fixmedins_code, "亲属任职", dt.date(2024, 1, 1)]])
    result = io.import_file("conflicts", data, "c.xlsx", actor=county_user)
    assert [(e.row, e.column) for e in result.errors] == [(2, "人员编号"), (2, "机构编码")]


# --------------------------------------------------------------------------------------------
# export scope and filters


def test_export_respects_filters_and_scope(directory, county_user, city_user):
    a, b = directory
    codes = [r[0] for r in sheet_rows(io.export_for(county_user, "institutions", {"kind": "H"}))[1:]]
    assert codes == [a.fixmedins_code]
    codes = [r[0] for r in sheet_rows(io.export_for(city_user, "institutions", {}))[1:]]
    assert codes == [Institution.objects.get(region_id=f.HUAIREN).fixmedins_code]
    event = AuditEvent.objects.filter(action="export").order_by("-seq").first()
    assert event.after["rows"] == 1 and event.actor_name == city_user.username


def test_cli_export_with_filter_and_template(tmp_path, directory):
    a, _ = directory
    path = tmp_path / "out.csv"
    call_command("export_data", "institutions", str(path), "--filter", "kind=H", "--filter", "region=140522",
                 stdout=stdio.StringIO())
    lines = list(csv.reader(stdio.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert len(lines) == 2 and lines[1][0] == a.fixmedins_code and lines[1][-1] == "第一行\n第二行"
    call_command("export_data", "inspectors", str(tmp_path / "t.xlsx"), "--template", stdout=stdio.StringIO())
    assert openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames == ["执法检查人员名录库", "填写说明"]
    with pytest.raises(CommandError, match="筛选条件"):
        call_command("export_data", "institutions", str(path), "--filter", "kind=X", stdout=stdio.StringIO())


# --------------------------------------------------------------------------------------------
# progress and regions


def test_progress_is_reported_in_batches(admin_user):
    rows = [inst_row(n) for n in range(1, 1202)]
    calls = []
    result = io.import_file("institutions", inst_file(rows), "big.xlsx", actor=admin_user,
                            progress=lambda done, total, msg: calls.append((done, total)))
    assert result.created == 1201
    assert 2 <= len(calls) <= 5 and calls[-1] == (1201, 1201)
    assert AuditEvent.objects.filter(action="create").count() == 1201 and verify_chain().ok


def test_import_regions_csv_all_or_nothing(tmp_path, db):
    path = tmp_path / "regions.csv"
    path.write_text("code,name,parent\n110000,北京市,\n110100,市辖区,\n110101,东城区,\n140522,阳城县,\n",
                    encoding="utf-8-sig")
    out = stdio.StringIO()
    call_command("import_data", "regions", str(path), stdout=out)
    assert "新增 3" in out.getvalue() and "未变化 1" in out.getvalue()
    assert Region.objects.get(code="110101").parent_id == "110100"
    assert AuditEvent.objects.filter(action="import", object_type="directory.region", object_id="").count() == 1
    assert AuditEvent.objects.filter(action="import", object_type="directory.region", state__isnull=False).count() == 3
    path.write_text("code,name\n120000,天津市\n120101,和平区\n12010X,坏\n", encoding="gb18030")
    err = stdio.StringIO()
    with pytest.raises(CommandError):
        call_command("import_data", "regions", str(path), stderr=err)
    assert "第 4 行" in err.getvalue()
    assert not Region.objects.filter(code__startswith="12").exists()


def test_a_bad_header_fails_before_the_rows_are_read(county_user, monkeypatch):
    """Issue 13 §5: a header that lacks required columns is reported without reading the million rows below."""
    from spotcheck.base import tabular

    read = []
    original = tabular.iter_csv

    def counting(data, max_rows=None):
        for row in original(data, max_rows=max_rows):
            read.append(row[0])
            yield row

    monkeypatch.setattr(tabular, "iter_csv", counting)
    data = ("机构名称,备注\r\n" + "x,y\r\n" * 50_000).encode()
    result = io.import_file("institutions", data, "名录.csv", actor=county_user)
    assert not result.ok and any(e.message == "缺少必填列" and e.row == 1 for e in result.errors)
    assert read == [1]  # only the header row was read


def test_too_many_rows_blank_ones_included_are_refused(county_user, settings):
    settings.SPOTCHECK_IMPORT_MAX_ROWS = 100
    headers = INST_HEADERS
    data = xlsx(headers, [[r.get(h) for h in headers] for r in [inst_row(1)]] + [[None] * len(headers)] * 150)
    result = io.import_file("institutions", data, "名录.xlsx", actor=county_user)
    assert not result.ok and "超过 100 行" in result.errors[0].message
    assert not Institution.objects.filter(name="导入医院1").exists()
