"""The import/export pages: template download, upload → Job → status page, filtered export."""

from __future__ import annotations

import io as stdio
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.urls import reverse

from spotcheck.directory.models import Institution
from spotcheck.jobs.models import Job
from tests import factories as f

from .test_io import inst_file, inst_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client, data, name="名录.xlsx", kind="institutions", **fields):
    file = stdio.BytesIO(data)
    file.name = name
    return client.post(reverse("directory:import", args=[kind]), {"file": file, **fields})


def imports_folder():
    folder = Path(settings.MEDIA_ROOT) / "imports"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_template_download(client_for, county_user):
    response = client_for(county_user).get(reverse("directory:template", args=["institutions"]))
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"] and "filename*=utf-8''" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(stdio.BytesIO(response.content))
    assert wb.sheetnames == ["检查对象名录库", "填写说明"]
    csv = client_for(county_user).get(reverse("directory:template", args=["conflicts"]), {"format": "csv"})
    assert csv.content.startswith(b"\xef\xbb\xbf") and csv["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("name", ["import", "template", "export"])
def test_unknown_kind_is_404(client_for, county_user, name):
    assert client_for(county_user).get(reverse(f"directory:{name}", args=["regions"])).status_code == 404


def test_readers_may_not_import(client_for, inspector_user):
    client = client_for(inspector_user)
    assert client.get(reverse("directory:import", args=["institutions"])).status_code == 403
    assert upload(client, inst_file([inst_row(1)])).status_code == 403
    assert Job.objects.count() == 0


def test_upload_form_links_to_template(client_for, county_user):
    response = client_for(county_user).get(reverse("directory:import", args=["inspectors"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert reverse("directory:template", args=["inspectors"]) in body and 'enctype="multipart/form-data"' in body


def test_upload_rejects_other_file_types(client_for, county_user):
    response = upload(client_for(county_user), b"x", name="a.xls")
    assert response.status_code == 400 and "只支持 .xlsx 和 .csv" in response.content.decode()
    assert Job.objects.count() == 0


def test_bad_file_shows_report_and_writes_nothing(client_for, county_user):
    client = client_for(county_user)
    rows = [inst_row(1), inst_row(2, 统一社会信用代码="12140522000000019X"), inst_row(3, f.HUAIREN)]
    response = upload(client, inst_file(rows))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("directory:import-status", args=[job.pk])
    assert job.status == Job.Status.FAILED and job.created_by == county_user and job.region_code == f.YANGCHENG
    assert Institution.objects.count() == 0 and imports_folder() == []
    body = client.get(response["Location"]).content.decode()
    assert "导入失败" in body and "<th>行号</th><th>列</th><th>错误说明</th>" in body
    assert "<td>3</td><td>统一社会信用代码</td>" in body and "区划代码 140681 不在您的管辖范围内" in body
    assert "hx-trigger" not in body
    report = client.get(response["Location"], {"download": "report"})
    assert report["Content-Type"] == XLSX
    rows = list(openpyxl.load_workbook(stdio.BytesIO(report.content)).worksheets[0].iter_rows(values_only=True))
    assert rows[0] == ("行号", "列", "错误说明") and rows[1][:2] == (3, "统一社会信用代码") and len(rows) == 3


def test_good_file_succeeds_with_counts(client_for, county_user):
    client = client_for(county_user)
    existing = f.institution()
    rows = [inst_row(90001), inst_row(90002, 定点医药机构编码=existing.fixmedins_code,
                                   统一社会信用代码=existing.uscc, 机构名称="新名字")]
    response = upload(client, inst_file(rows), name="good.xlsx", reason="核对医院等级")  # 医院等级 changes
    job = Job.objects.get()
    assert job.status == Job.Status.SUCCEEDED and (job.done, job.total) == (2, 2), job.result["errors"]
    assert job.result["created"] == 1 and job.result["updated"] == 1
    assert imports_folder() == []
    body = client.get(response["Location"]).content.decode()
    assert "导入成功" in body and "<dt>新增</dt><dd>1</dd>" in body and "<dt>更新</dt><dd>1</dd>" in body
    assert reverse("directory:institution-list") in body
    existing.refresh_from_db()
    assert existing.name == "新名字"


def test_running_job_polls_with_htmx_and_meta_refresh(client_for, county_user):
    job = Job.objects.create(kind="import:inspectors", status=Job.Status.RUNNING, done=500, total=2000,
                             message="正在校验", created_by=county_user, region_code=f.YANGCHENG)
    client = client_for(county_user)
    url = reverse("directory:import-status", args=[job.pk])
    body = client.get(url).content.decode()
    assert '<progress max="2000" value="500">25%</progress>' in body
    assert 'hx-trigger="every 1s"' in body and '<noscript><meta http-equiv="refresh"' in body
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith('<div id="job-progress"') and "<html" not in fragment


def test_jobs_of_other_users_are_hidden(client_for, county_user, admin_user):
    job = Job.objects.create(kind="import:institutions", created_by=admin_user)
    other = f.user("t-county-2", region_code=f.YANGCHENG)
    assert client_for(other).get(reverse("directory:import-status", args=[job.pk])).status_code == 404
    assert client_for(admin_user).get(reverse("directory:import-status", args=[job.pk])).status_code == 200


def test_export_view_filters_scopes_and_masks(client_for, county_user, auditor_user):
    mine = f.institution(contact_phone="13912345678")
    f.institution(kind="P")
    f.institution(f.HUAIREN)
    url = reverse("directory:export", args=["institutions"])
    response = client_for(county_user).get(url, {"kind": "H", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    assert len(lines) == 2 and lines[1].startswith(mine.fixmedins_code) and "13912345678" in lines[1]
    audited = client_for(auditor_user).get(url, {"region": f.YANGCHENG})  # may export, may not change
    rows = list(openpyxl.load_workbook(stdio.BytesIO(audited.content)).worksheets[0].iter_rows(values_only=True))
    assert len(rows) == 3 and ("139****5678" in rows[1] or "139****5678" in rows[2])
    assert client_for(county_user).get(url, {"format": "pdf"}).status_code == 404
    assert client_for(county_user).get(url, {"kind": "X"}).status_code == 400


def test_a_large_export_runs_as_a_job_with_a_download(client_for, county_user, settings):
    """Over ``SPOTCHECK_EXPORT_INLINE_ROWS`` the export is a background Job: status page, then the file
    (scoped and filtered as the list was); others cannot see it; the worker prunes it after the keep days."""
    import datetime as dt

    from django.utils import timezone

    from spotcheck.audit.models import AuditEvent
    from spotcheck.jobs.actions import prune_job_files

    settings.SPOTCHECK_EXPORT_INLINE_ROWS = 1
    mine = [f.institution(), f.institution()]
    f.institution(kind="P")
    f.institution(f.HUAIREN)
    client = client_for(county_user)
    response = client.get(reverse("directory:export", args=["institutions"]), {"kind": "H", "format": "csv"})
    assert response.status_code == 302
    job = Job.objects.get(kind="export:institutions")
    assert response["Location"] == reverse("directory:export-status", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED and job.result["rows"] == 2 and Path(job.file_path).is_file()
    page = client.get(response["Location"])
    assert "导出完成" in page.content.decode() and "?download=file" in page.content.decode()
    download = client.get(response["Location"], {"download": "file"})
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    lines = b"".join(download.streaming_content).decode("utf-8-sig").splitlines()
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(i.fixmedins_code for i in mine)
    assert AuditEvent.objects.filter(action="export", actor=county_user).exists()
    assert prune_job_files(now=timezone.now() + dt.timedelta(days=1)) == 0  # kept for SPOTCHECK_JOB_FILES_KEEP_DAYS
    assert prune_job_files(now=timezone.now() + dt.timedelta(days=settings.SPOTCHECK_JOB_FILES_KEEP_DAYS + 1)) == 1
    assert not Path(job.file_path).exists()
    assert client.get(response["Location"], {"download": "file"}).status_code == 404
    assert "已过保留期" in client.get(response["Location"]).content.decode()
    other = f.user("t-county-3", region_code=f.YANGCHENG)  # (client_for signs the one test client in as other)
    assert client_for(other).get(response["Location"]).status_code == 404


def test_a_small_export_downloads_at_once(client_for, county_user):
    f.institution()
    response = client_for(county_user).get(reverse("directory:export", args=["institutions"]), {"format": "csv"})
    assert response.status_code == 200 and not Job.objects.filter(kind__startswith="export:").exists()


def test_an_unmasked_export_is_not_served_once_its_owner_may_no_longer_see_personal_data(
        client_for, county_user, settings):
    from spotcheck.accounts.models import Role

    settings.SPOTCHECK_EXPORT_INLINE_ROWS = 0
    f.inspector(f.YANGCHENG)
    response = client_for(county_user).get(reverse("directory:export", args=["inspectors"]), {"format": "csv"})
    job = Job.objects.get(kind="export:inspectors")
    assert job.result["masked"] is False
    assert client_for(county_user).get(response["Location"], {"download": "file"}).status_code == 200
    county_user.role = Role.AUDITOR  # may export, sees personal data masked only
    county_user.save()
    assert client_for(county_user).get(response["Location"], {"download": "file"}).status_code == 404


def test_an_oversized_import_file_is_refused_before_a_job_starts(client_for, county_user, settings):
    settings.SPOTCHECK_IMPORT_MAX_BYTES = 1024
    response = upload(client_for(county_user), inst_file([inst_row(1)]))
    assert response.status_code == 400 and "文件过大" in response.content.decode()
    assert not Job.objects.exists() and imports_folder() == []
