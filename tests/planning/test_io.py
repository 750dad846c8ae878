"""Item lists in Excel: round trip, the official two-row header, and all-or-nothing error reports."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from spotcheck.audit.models import AuditEvent
from spotcheck.planning import actions
from spotcheck.planning.io import ITEM_COLUMNS, export_items, parse_items
from spotcheck.planning.models import CheckItem, ItemList
from spotcheck.planning.tabular import ImportRejected
from tests import factories as f

FIELDS = ["seq", "category", "name", "target", "target_kind", "item_type", "ratio_text", "ratio_num", "ratio_den",
          "frequency", "methods", "subjects", "basis"]


def xlsx(rows, name="清单.xlsx"):
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return SimpleUploadedFile(name, out.getvalue())


def values(item_list):
    return [tuple(getattr(i, k) for k in FIELDS) for i in item_list.items.order_by("seq")]


@pytest.fixture
def empty_list(admin_user):
    return actions.create_item_list(admin_user, {"region_id": f.SHUOZHOU, "year": 2024, "name": "空清单"})


@pytest.mark.parametrize("region", [f.SHUOZHOU, f.YANGCHENG])
def test_round_trip(examples, admin_user, region):
    source = ItemList.objects.get(region_id=region, year=2023)
    copy = actions.create_item_list(admin_user, {"region_id": region, "year": 2024, "name": "副本"})
    data = export_items(source)
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet[1]] == list(ITEM_COLUMNS)
    counts = actions.import_items(admin_user, copy, parse_items(SimpleUploadedFile("x.xlsx", data)))
    n = source.items.count()
    assert counts == {"created": n, "updated": 0, "versioned": 0, "deleted": 0, "unchanged": 0}
    assert values(copy) == values(source)
    # importing the same file again changes nothing and records nothing
    events = AuditEvent.objects.count()
    counts = actions.import_items(admin_user, copy, parse_items(SimpleUploadedFile("x.xlsx", data)))
    assert counts["unchanged"] == n and AuditEvent.objects.count() == events


def test_export_cells(examples):
    sheet = load_workbook(io.BytesIO(export_items(ItemList.objects.get(region_id=f.SHUOZHOU)))).active
    assert sheet["G3"].value == "不低于 3%" and sheet["E2"].value == "定点医疗机构" and sheet["F3"].value == "重点检查事项"


def test_bad_rows_are_reported_and_nothing_is_written(examples, admin_user):
    target = ItemList.objects.get(region_id=f.SHUOZHOU, year=2023)
    before, events = values(target), AuditEvent.objects.count()
    header = list(ITEM_COLUMNS)
    upload = xlsx([
        header,
        [1, "类别", "事项一", "全市定点医疗机构", "", "一般检查事项", "3%"],          # fine (kind inferred)
        [2, "", "事项二", "全市定点零售药店", "", "重要事项", "三个百分点"],           # bad type, bad ratio
        [2, "类别", "", "某单位", "", "重点检查事项", "不低于3%"],                    # dup seq, no name, unknown kind
        ["x", "类别", "事项四", "医疗保障经办机构", "外星机构", "一般"],              # bad seq, bad kind
    ])
    with pytest.raises(ImportRejected) as exc:
        actions.import_items(admin_user, target, parse_items(upload))
    report = {(e.row, e.column) for e in exc.value.errors}
    assert report == {
        (3, "事项类别"), (3, "检查比例"),
        (4, "序号"), (4, "抽查事项"), (4, "检查对象类型"),
        (5, "序号"), (5, "检查对象类型"),
    }
    messages = {(e.row, e.column): e.message for e in exc.value.errors}
    assert messages[(4, "序号")] == "序号 2 与第 3 行重复"
    assert "无法识别" in messages[(3, "检查比例")]
    assert "第 3 行" in str(exc.value.errors[0]) or "第 3 行" in str(exc.value.errors[1])
    assert values(target) == before and AuditEvent.objects.count() == events


def test_item_used_by_a_task_cannot_be_dropped(examples, admin_user):
    target = ItemList.objects.get(region_id=f.SHUOZHOU, year=2023)  # item 2 is used by the 朔州 task
    upload = xlsx([list(ITEM_COLUMNS), [1, "类别", "事项一", "全市定点医疗机构", "", "一般检查事项", "3%"]])
    with pytest.raises(ImportRejected) as exc:
        actions.import_items(admin_user, target, parse_items(upload))
    assert [(e.row, e.column) for e in exc.value.errors] == [(0, "序号")]
    assert "已被任务" in exc.value.errors[0].message
    assert target.items.count() == 4


def test_official_two_row_header_and_merged_category(admin_user, empty_list):
    upload = xlsx([
        ["序号", "抽查项目", None, "检查对象", "事项类别", "检查比例", "检查频次", "检查方式", "检查主体", "检查依据"],
        [None, "抽查类别", "抽查事项（内容）", None, None, None, None, None, None, None],
        [1, "定点零售药店医疗保障基金使用监督管理", "内部管理制度检查", "全市定点零售药店", "一般检查事项", "3%",
         "每年一次", "现场检查", "朔州市医疗保障局", "第十四条"],
        [2, None, "规范使用的检查", "全市定点零售药店", "重点检查事项", "不低于 3%", "每年至少一次", "现场检查",
         "朔州市医疗保障局", "第十五条"],
    ])
    counts = actions.import_items(admin_user, empty_list, parse_items(upload))
    assert counts["created"] == 2
    second = empty_list.items.get(seq=2)
    assert (second.category, second.target_kind, second.item_type, second.ratio_num, second.ratio_den) == (
        "定点零售药店医疗保障基金使用监督管理", "P", "key", 3, 100)


def test_csv_in_gbk(admin_user, empty_list):
    text = "序号,抽查类别,抽查事项,检查对象,事项类别,检查比例\n1,类别,事项,全县定点医药机构,一般检查事项,5%\n"
    actions.import_items(admin_user, empty_list, parse_items(SimpleUploadedFile("a.csv", text.encode("gbk"))))
    item = empty_list.items.get()
    assert (item.target_kind, item.ratio_num, item.ratio_den) == ("HP", 5, 100)


def test_unreadable_or_headerless_file(admin_user, empty_list):
    with pytest.raises(ImportRejected, match="1 处错误") as exc:
        parse_items(SimpleUploadedFile("a.xlsx", b"not a zip"))
    assert exc.value.errors[0].row == 0
    with pytest.raises(ImportRejected) as exc:
        parse_items(xlsx([["名称", "备注"], ["a", "b"]]))
    assert "抽查事项" in exc.value.errors[0].message


def test_import_page_shows_the_report(client_for, county_user, examples):
    from django.urls import reverse

    target = ItemList.objects.get(region_id=f.YANGCHENG)
    upload = xlsx([list(ITEM_COLUMNS), [1, "类别", "事项", "全县定点医药机构", "", "一般检查事项", "百分之三"]])
    response = client_for(county_user).post(reverse("planning:itemlist-import", args=[target.pk]), {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200 and "未写入任何数据" in html and "检查比例" in html
    assert CheckItem.objects.filter(item_list=target).count() == 2
    good = SimpleUploadedFile("x.xlsx", export_items(target))
    response = client_for(county_user).post(reverse("planning:itemlist-import", args=[target.pk]), {"file": good})
    assert response.status_code == 302
