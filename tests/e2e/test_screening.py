"""Browser: import via the page, run the screening, drill down, flag an institution."""

from __future__ import annotations

import pytest

from spotcheck.accounts.models import Role
from spotcheck.directory.models import Institution
from tests import factories as f
from tests.factories import claim_rows, files_of

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]  # regions, catalogues: migrations


def test_import_run_drilldown_flag(login, page, shot, live_server, tmp_path):
    insts = {"y1": f.institution(f.YANGCHENG), "y2": f.institution(f.YANGCHENG)}
    f.user("e2e-county", Role.COUNTY_STAFF, f.YANGCHENG)
    paths = []
    for name, data in files_of(claim_rows(insts)).items():
        (tmp_path / name).write_bytes(data)
        paths.append(str(tmp_path / name))
    login("e2e-county", f.PASSWORD)
    page.goto(f"{live_server.url}/screening/")
    page.get_by_label("数据期间").fill("2023-10")
    page.get_by_label("数据文件").set_input_files(paths)
    page.get_by_role("button", name="导入").click()
    page.wait_for_load_state()
    assert "已导入批次" in page.content()  # the background job's page (the test settings run jobs at once)
    page.get_by_role("link", name="查看批次").click()
    page.get_by_role("button", name="运行筛查规则").click()
    page.wait_for_load_state()
    assert "筛查完成" in page.content()
    page.get_by_role("link", name="查看筛查结果").click()
    page.wait_for_load_state()
    shot("run")
    page.get_by_role("link", name=insts["y1"].fixmedins_code).click()
    page.wait_for_load_state()
    assert "超标准收费" in page.content()
    shot("drilldown")
    page.go_back()
    page.get_by_label(f"选择 {insts['y1'].name}").check()
    page.get_by_label("理由").fill("超标准收费")
    page.get_by_role("button", name="标记为重点监控").click()
    page.wait_for_load_state()
    assert "已将 1 家机构标记为重点监控" in page.content()
    assert Institution.objects.get(pk=insts["y1"].pk).risk_flag
    shot("flagged")
