"""Browser tests of the directory pages (issue 2 §6): list search/filter/sort/paging, Excel export →
edit → import round trip, an import with a bad 统一社会信用代码, area scope of a county user, and the
inspector page as a read-only inspector.

Data: the demo generator (seed 3, 80 institutions, ~69 of them in 朔州市) plus factory users. Every
expectation about rows is computed from the database, never hard-coded (ordering is compared with
the same database's ``order_by``, so the tests hold on SQLite and PostgreSQL alike).
"""

from __future__ import annotations

import datetime as dt
import io as stdio
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import timezone

from spotcheck.accounts.models import Role
from spotcheck.core.codes import uscc_check_char
from spotcheck.core.masking import mask_id_number
from spotcheck.directory import io
from spotcheck.directory.models import Institution
from spotcheck.directory.views import PAGE_SIZE
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # regions come from a migration

SHUOZHOU_PREFIX = "1406"
IMPORT_FILE_LABEL = "选择文件（.xlsx 或 .csv）"
#: JS: the cell texts of every body row of the page's (first) table.
_ROWS_JS = "rows => rows.map(r => Array.from(r.cells, c => c.innerText.trim()))"


def demo_directory() -> None:
    call_command("demo_data", "--seed", "3", "--institutions", "80", "--no-accounts", stdout=stdio.StringIO())


def in_area(prefix: str):
    return Institution.objects.filter(region__code__startswith=prefix)


# --------------------------------------------------------------------------------------------
# page helpers


def table(page) -> list[dict[str, str]]:
    """The rows of the page's first table as ``{header: cell text}`` (sort arrows removed)."""
    headers = [re.sub(r"\s*[▲▼]$", "", h.strip()) for h in page.locator("table").first.locator("thead th").all_inner_texts()]
    rows = page.locator("table").first.locator("tbody tr").evaluate_all(_ROWS_JS)
    return [dict(zip(headers, cells, strict=True)) for cells in rows if len(cells) == len(headers)]


def column(page, header: str) -> list[str]:
    return [row[header] for row in table(page)]


def total(page) -> int:
    """The “共 N 条” count of the list toolbar."""
    text = page.get_by_text(re.compile(r"^共 [\d,]+ 条$")).inner_text()
    return int(re.sub(r"\D", "", text))


def follow(locator) -> None:
    """Click a link or submit button and wait until the page it leads to has loaded."""
    with locator.page.expect_navigation():
        locator.click()


def apply_filters(page, *, q: str | None = None, region: str | None = None, grade: str | None = None) -> None:
    """Fill the list's search form (``region`` is a region code, ``grade`` a 信用等级 label) and submit."""
    form = page.get_by_role("search", name="搜索与筛选")
    if q is not None:
        form.get_by_role("searchbox", name=re.compile("^搜索（")).fill(q)
    if region is not None:
        form.get_by_label("区域", exact=True).select_option(value=region)
    if grade is not None:
        form.get_by_label("信用等级", exact=True).select_option(label=grade)
    follow(form.get_by_role("button", name="筛选", exact=True))


def fields(page) -> dict[str, str]:
    """The ``dl.fields`` of a detail/status page as ``{dt: dd}``."""
    return dict(zip(page.locator("dl.fields dt").all_inner_texts(), page.locator("dl.fields dd").all_inner_texts(),
                    strict=True))


def open_institutions(page, live_server) -> None:
    page.goto(f"{live_server.url}/")
    follow(page.get_by_role("navigation", name="主导航").get_by_role("link", name="检查对象名录库"))
    page.get_by_role("heading", name="检查对象名录库").wait_for()


def upload_import(page, path: Path) -> None:
    """From an institution list page: 导入 → choose ``path`` → 上传并导入; waits for the finished Job."""
    follow(page.get_by_role("link", name="导入", exact=True))
    page.get_by_role("heading", name="导入检查对象名录库").wait_for()
    page.get_by_label(IMPORT_FILE_LABEL).set_input_files(str(path))
    follow(page.get_by_role("button", name="上传并导入"))
    assert re.search(r"/directory/imports/\d+/$", page.url)
    page.get_by_text(re.compile("^导入(成功|失败)$")).wait_for()


def export_xlsx(page, tmp_path: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name="导出 Excel").click()
    download = info.value
    assert re.fullmatch(r"检查对象名录库-\d{8}\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    return path


def sheet_rows(path: Path) -> tuple[openpyxl.Workbook, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[io.get_spec("institutions").sheet]
    return wb, list(ws.iter_rows(values_only=True))


def header_index(header_row: tuple, header: str) -> int:
    return list(header_row).index(header)


# --------------------------------------------------------------------------------------------
# 1. list: scope, search, filters, sorting, paging


def test_city_list_search_filter_sort_and_pages(page, live_server, login, shot):
    demo_directory()
    f.user("e2e-city", Role.CITY_ADMIN, f.SHUOZHOU, display_name="朔州市管理员")
    city = in_area(SHUOZHOU_PREFIX).select_related("region")
    assert city.count() > PAGE_SIZE, "the demo data must give the city list a second page"
    county_names = set(city.values_list("region__name", flat=True))

    login("e2e-city", f.PASSWORD)
    open_institutions(page, live_server)
    assert page.get_by_label("搜索（名称、编码、统一社会信用代码）").is_visible()
    assert total(page) == city.count()
    first_page = table(page)
    assert len(first_page) == PAGE_SIZE
    assert {row["所属区域"] for row in first_page} <= county_names
    shot("list")

    # search by part of a name, then by a code prefix typed in lower case
    apply_filters(page, q="卫生院")
    expected = set(city.filter(name__contains="卫生院").values_list("fixmedins_code", flat=True))
    assert expected and set(column(page, "定点医药机构编码")) == expected
    assert all("卫生院" in name for name in column(page, "机构名称"))
    huairen_pharmacies = city.filter(fixmedins_code__startswith="P140681")
    assert huairen_pharmacies.exists()
    apply_filters(page, q="p140681")
    assert sorted(column(page, "定点医药机构编码")) == sorted(huairen_pharmacies.values_list("fixmedins_code", flat=True))
    one = city.order_by("fixmedins_code").last()
    apply_filters(page, q=one.fixmedins_code)
    assert [(r["定点医药机构编码"], r["机构名称"]) for r in table(page)] == [(one.fixmedins_code, one.name)]
    shot("search-code")

    # area (a county of 朔州) and credit grade
    follow(page.get_by_role("link", name="清除条件"))
    grade = "良好"
    apply_filters(page, region=f.HUAIREN, grade=grade)
    expected = set(city.filter(region_id=f.HUAIREN, credit_grade=grade).values_list("fixmedins_code", flat=True))
    assert expected and set(column(page, "定点医药机构编码")) == expected
    assert {(r["所属区域"], r["信用等级"]) for r in table(page)} == {("怀仁市", grade)}
    assert total(page) == len(expected)
    shot("filter-area-grade")

    # sorting by 机构名称 keeps the filters; a second click reverses
    huairen = city.filter(region_id=f.HUAIREN)
    apply_filters(page, grade="全部")
    follow(page.get_by_role("columnheader", name="机构名称").get_by_role("link"))
    header = page.get_by_role("columnheader", name="机构名称")
    assert header.get_attribute("aria-sort") == "ascending"
    assert column(page, "机构名称") == list(huairen.order_by("name", "pk").values_list("name", flat=True))
    follow(header.get_by_role("link"))
    assert page.get_by_role("columnheader", name="机构名称").get_attribute("aria-sort") == "descending"
    assert column(page, "机构名称") == list(huairen.order_by("-name", "pk").values_list("name", flat=True))
    shot("sorted-desc")

    # paging through the whole city, sorted by code: the pages together are every row, once
    follow(page.get_by_role("link", name="清除条件"))
    follow(page.get_by_role("columnheader", name="定点医药机构编码").get_by_role("link"))
    pages = -(-city.count() // PAGE_SIZE)
    seen: list[str] = []
    for number in range(1, pages + 1):
        pager = page.get_by_role("navigation", name="分页")
        assert pager.get_by_text(f"第 {number} / {pages} 页").is_visible()
        seen += column(page, "定点医药机构编码")
        if number < pages:
            follow(pager.get_by_role("link", name="下一页"))
    assert pager.get_by_role("link", name="下一页").count() == 0
    shot("last-page")
    assert seen == list(city.order_by("fixmedins_code", "pk").values_list("fixmedins_code", flat=True))

    # phone viewport: the page itself must not scroll sideways (the table scrolls inside .table-wrap)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/directory/institutions/")
    shot("phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"list page is {overflow}px wider than a 390px phone screen"


# --------------------------------------------------------------------------------------------
# 2. export → edit in Excel → import → changed name on the list and the detail page


def test_export_edit_import_round_trip(page, live_server, login, shot, tmp_path):
    demo_directory()
    f.user("e2e-city", Role.CITY_ADMIN, f.SHUOZHOU)
    huairen = in_area(f.HUAIREN)
    before = dict(Institution.objects.values_list("fixmedins_code", "name"))

    login("e2e-city", f.PASSWORD)
    open_institutions(page, live_server)
    apply_filters(page, region=f.HUAIREN)
    exported = export_xlsx(page, tmp_path)

    wb, rows = sheet_rows(exported)
    assert list(rows[0]) == [c.header for c in io.get_spec("institutions").columns]
    code_at, name_at = header_index(rows[0], "定点医药机构编码"), header_index(rows[0], "机构名称")
    assert sorted(r[code_at] for r in rows[1:]) == sorted(huairen.values_list("fixmedins_code", flat=True))
    target = huairen.order_by("fixmedins_code").first()
    new_name = f"{target.name}（更名测试）"
    excel_row = next(i for i, r in enumerate(rows, start=1) if r[code_at] == target.fixmedins_code)
    wb.active.cell(row=excel_row, column=name_at + 1, value=new_name)
    edited = tmp_path / "改名.xlsx"
    wb.save(edited)

    upload_import(page, edited)
    assert page.get_by_text("导入成功").is_visible()
    assert fields(page) == {"新增": "0", "更新": "1", "未变化": str(len(rows) - 2)}
    shot("import-succeeded")

    after = dict(Institution.objects.values_list("fixmedins_code", "name"))
    assert after == {**before, target.fixmedins_code: new_name}

    follow(page.get_by_role("link", name="查看检查对象名录库"))
    apply_filters(page, q="更名测试")
    assert [(r["定点医药机构编码"], r["机构名称"]) for r in table(page)] == [(target.fixmedins_code, new_name)]
    follow(page.get_by_role("link", name=target.fixmedins_code, exact=True))
    page.get_by_role("heading", name=new_name).wait_for()
    assert fields(page)["机构名称"] == new_name
    shot("detail-renamed")


# --------------------------------------------------------------------------------------------
# 3. a bad 统一社会信用代码: per-row report, nothing written


def test_import_with_bad_uscc_writes_nothing(page, live_server, login, shot, tmp_path):
    demo_directory()
    f.user("e2e-city", Role.CITY_ADMIN, f.SHUOZHOU)
    huairen = list(in_area(f.HUAIREN).order_by("fixmedins_code"))
    before = list(Institution.objects.order_by("pk").values())

    path = tmp_path / "名录-信用代码错误.xlsx"
    path.write_bytes(io.export_file("institutions", huairen))
    wb, rows = sheet_rows(path)
    name_at, uscc_at = header_index(rows[0], "机构名称"), header_index(rows[0], "统一社会信用代码")
    ws = wb.active
    ws.cell(row=2, column=name_at + 1, value="本行本身正确但不应写入")  # a valid change on another row
    bad_row = 4
    uscc = rows[bad_row - 1][uscc_at]
    right = uscc_check_char(uscc[:17])
    wrong = "0" if right != "0" else "1"
    ws.cell(row=bad_row, column=uscc_at + 1, value=uscc[:17] + wrong)
    wb.save(path)

    login("e2e-city", f.PASSWORD)
    open_institutions(page, live_server)
    upload_import(page, path)
    assert page.get_by_text("导入失败").is_visible()
    assert page.get_by_text("未写入任何数据").is_visible()
    report = table(page)
    assert report == [{"行号": str(bad_row), "列": "统一社会信用代码",
                       "错误说明": f"统一社会信用代码校验位错误：应为 {right}，实为 {wrong}"}]
    shot("report")

    assert list(Institution.objects.order_by("pk").values()) == before


# --------------------------------------------------------------------------------------------
# 4. a county user sees only the county; another county's row is a 404


def test_county_user_sees_only_county(page, live_server, login, shot):
    demo_directory()
    f.user("e2e-yangcheng", Role.COUNTY_STAFF, f.YANGCHENG)
    yangcheng = in_area(f.YANGCHENG)
    other = in_area(f.HUAIREN).order_by("pk").first()

    login("e2e-yangcheng", f.PASSWORD)
    open_institutions(page, live_server)
    assert total(page) == yangcheng.count() > 0
    assert set(column(page, "所属区域")) == {"阳城县"}
    assert sorted(column(page, "定点医药机构编码")) == sorted(yangcheng.values_list("fixmedins_code", flat=True))
    region_options = page.get_by_label("区域", exact=True).locator("option").all_inner_texts()
    assert [o.strip() for o in region_options] == ["全部", "阳城县"]
    shot("list")

    own = yangcheng.order_by("pk").first()
    follow(page.get_by_role("link", name=own.fixmedins_code, exact=True))
    page.get_by_role("heading", name=own.name).wait_for()

    response = page.goto(f"{live_server.url}/directory/institutions/{other.pk}/")
    assert response is not None and response.status == 404
    assert other.name not in page.content() and other.fixmedins_code not in page.content()
    shot("other-county-404")


# --------------------------------------------------------------------------------------------
# 5. inspector page: masked 身份证号 for a read-only inspector, certificate badges


def test_inspector_detail_masks_id_number_for_inspector_role(page, live_server, login, shot):
    today = timezone.localdate()
    valid = f.inspector(f.YANGCHENG, cert_valid_to=today + dt.timedelta(days=365))
    expired = f.inspector(f.YANGCHENG, cert_valid_to=today - dt.timedelta(days=1))
    f.user("e2e-inspector", Role.INSPECTOR, f.YANGCHENG)

    login("e2e-inspector", f.PASSWORD)
    follow(page.get_by_role("navigation", name="主导航").get_by_role("link", name="执法检查人员名录库"))
    apply_filters(page, q=valid.number)
    follow(page.get_by_role("link", name=valid.number, exact=True))
    page.get_by_role("heading", name=f"{valid.name}（{valid.number}）").wait_for()

    shown = fields(page)["身份证号"]
    assert shown == mask_id_number(valid.id_number) and "*" in shown
    assert valid.id_number not in page.content()
    assert page.locator(".badge").filter(has_text=re.compile("^有效$")).is_visible()
    assert page.get_by_role("link", name="修改").count() == 0  # read-only role
    shot("valid-cert")

    page.goto(f"{live_server.url}/directory/inspectors/{expired.pk}/")
    assert page.locator(".badge").filter(has_text=re.compile("^已过期$")).is_visible()
    assert fields(page)["身份证号"] == mask_id_number(expired.id_number)
    shot("expired-cert")


def test_inspector_detail_unmasked_for_county_staff(page, live_server, login):
    """Contrast for the test above: a user who may change the directory sees the full number."""
    insp = f.inspector(f.YANGCHENG)
    f.user("e2e-county", Role.COUNTY_STAFF, f.YANGCHENG)
    login("e2e-county", f.PASSWORD)
    page.goto(f"{live_server.url}/directory/inspectors/{insp.pk}/")
    assert fields(page)["身份证号"] == insp.id_number
