"""The holiday table import (page and `spotcheck workdays holidays import`) goes through base.uploads: CSV text by
content, at most SPOTCHECK_HOLIDAYS_MAX_BYTES; anything else is refused naming the file, nothing is written."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from spotcheck.policy.models import HolidayOverride
from tests import factories as f

GOOD = "日期,类型,说明\n2041-01-01,休息,元旦\n2041-01-02,休息,元旦\n2041-01-05,上班,调休\n2041-01-06,上班,调休\n".encode(
    "utf-8-sig")

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("case", "ext", "says"), [*f.REFUSAL_CASES, ("xlsx", ".xlsx", "只支持 .csv 文件")])
def test_the_page_refuses(client_for, admin_user, settings, case, ext, says):
    if case == "xlsx":  # the holiday table is CSV only
        from tests.planning.test_io import xlsx

        name, data = "2041.xlsx", xlsx([["日期", "类型"], ["2041-01-01", "休息"]]).read()
    else:
        name, data = f.refusal_upload(case, ext, settings, "SPOTCHECK_HOLIDAYS_MAX_BYTES", good=("2041.csv", GOOD))
    if ext == ".xlsx" and case != "oversize":  # CSV only, at most 1 MB (the bomb is larger)
        says = "文件过大：" if case == "bomb" else "只支持 .csv 文件"
    files = f.media_files()
    body, content_type = f.multipart({}, [("file", name, data)])
    response = client_for(admin_user).generic("POST", reverse("policy:holiday-import"), body, content_type=content_type)
    errors = " ".join(response.context["import_form"].errors["file"])
    assert response.status_code == 400 and says in errors and name.rsplit("/", 1)[-1] in errors, errors
    assert not HolidayOverride.objects.exists() and f.media_files() == files


def test_the_command_refuses(tmp_path, settings):
    page = tmp_path / "2041.csv"
    page.write_bytes(f.HTML_PAGE)
    with pytest.raises(CommandError, match="2041.csv.*网页或 XML 文本"):
        call_command("workdays", "holidays", "import", str(page))
    settings.SPOTCHECK_HOLIDAYS_MAX_BYTES = 20
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD)
    with pytest.raises(CommandError, match="文件过大：good.csv .*节假日文件上限为 20 字节"):
        call_command("workdays", "holidays", "import", str(good))
    assert not HolidayOverride.objects.exists()
