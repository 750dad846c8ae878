"""Every directory import (web page, `spotcheck import`) goes through base.uploads first: a disguised, broken or
oversized file is refused with a Chinese message naming it, and nothing is written, stored or queued."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from spotcheck.directory.models import Institution, Region
from spotcheck.jobs.models import Job
from tests import factories as f

from .test_io import inst_file, inst_row

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("case", "ext", "says"), f.REFUSAL_CASES)
def test_the_import_page_refuses(client_for, county_user, settings, case, ext, says):
    name, data = f.refusal_upload(case, ext, settings, "SPOTCHECK_IMPORT_MAX_BYTES",
                                  good=("名录.xlsx", inst_file([inst_row(1)])))
    before, files = Institution.objects.count(), f.media_files()
    body, content_type = f.multipart({"reason": ""}, [("file", name, data)])
    response = client_for(county_user).generic("POST", reverse("directory:import", args=["institutions"]), body,
                                               content_type=content_type)
    html = response.content.decode()
    assert response.status_code == 400 and says in html and name.rsplit("/", 1)[-1] in html, html
    assert Institution.objects.count() == before and not Job.objects.exists() and f.media_files() == files


def test_a_traversal_name_is_only_shown(client_for, county_user):
    """A valid file whose name climbs out: stored under a random name in imports/, shown by its last part."""
    files = f.media_files()
    body, content_type = f.multipart({}, [("file", "../../evil.xlsx", inst_file([inst_row(1)]))])
    response = client_for(county_user).generic("POST", reverse("directory:import", args=["institutions"]), body,
                                               content_type=content_type)
    job = Job.objects.get(kind="import:institutions")
    assert response.status_code == 302 and job.status == Job.Status.SUCCEEDED and job.file_name == "evil.xlsx"
    assert Institution.objects.count() == 1 and f.media_files() == files  # its upload is gone too


@pytest.mark.parametrize(("kind", "name", "data", "says"), [
    ("institutions", "名录.xlsx", f.HTML_PAGE, "网页或 XML 文本"),
    ("inspectors", "人员.csv", f.EXECUTABLE, "可执行程序"),
    ("regions", "regions.csv", b"code,name\n140000,\x00\n", "含有 NUL 字节"),
    ("regions", "regions.xlsx", f.zip_bytes({"a": b"b"}), "只支持 .csv 文件"),
    ("inspectors", "人员.xlsx", f.zip_bytes({"a": b"b"}), "ZIP 压缩包"),
])
def test_the_import_command_refuses(tmp_path, kind, name, data, says):
    path = tmp_path / name
    path.write_bytes(data)
    before = (Institution.objects.count(), Region.objects.count())
    with pytest.raises(CommandError, match=says) as refused:
        call_command("import_data", kind, str(path))
    assert name in str(refused.value) and "未写入任何数据" in str(refused.value)
    assert (Institution.objects.count(), Region.objects.count()) == before


def test_the_region_import_has_its_own_cap(tmp_path, settings):
    settings.SPOTCHECK_REGIONS_MAX_BYTES = 10
    path = tmp_path / "regions.csv"
    path.write_text("code,name\n149900,测试市\n", encoding="utf-8")
    with pytest.raises(CommandError, match="文件过大：regions.csv 为 .* 字节，行政区划文件上限为 10 字节"):
        call_command("import_data", "regions", str(path))
    assert not Region.objects.filter(code="149900").exists()
