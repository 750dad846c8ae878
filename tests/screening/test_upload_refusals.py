"""The claims import (page and `spotcheck screening import`) goes through base.uploads before anything is stored or
queued: a disguised, broken or oversized file (SPOTCHECK_CLAIMS_MAX_BYTES per file) is refused naming it, nothing is
written, no job starts and no upload stays behind (also when the job cannot be created)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from spotcheck.jobs.models import Job
from spotcheck.screening import views
from spotcheck.screening.models import ClaimBatch, Visit
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("case", "ext", "says"), f.REFUSAL_CASES)
def test_the_import_page_refuses(insts, client_for, admin_user, settings, case, ext, says):
    good = f.files_of(f.claim_rows(insts))
    name, data = f.refusal_upload(case, ext, settings, "SPOTCHECK_CLAIMS_MAX_BYTES",
                                  good=("mdtrt_d.csv", good["mdtrt_d.csv"]), prefix="mdtrt_d_")
    uploads = [("files", name, data)] + [("files", n, d) for n, d in good.items() if n != "mdtrt_d.csv"]
    files = f.media_files()
    body, content_type = f.multipart({"period": "2023-10"}, uploads)
    response = client_for(admin_user).generic("POST", "/screening/import/", body, content_type=content_type)
    html = response.content.decode()
    assert response.status_code == 400 and says in html and name.rsplit("/", 1)[-1] in html, html[:3000]
    assert not ClaimBatch.objects.exists() and not Visit.objects.exists() and not Job.objects.exists()
    assert f.media_files() == files


def test_the_folder_goes_when_the_job_cannot_be_created(insts, client_for, admin_user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(views, "start_job", broken)
    files = f.media_files()
    body, content_type = f.multipart({"period": "2023-10"}, [("files", n, d) for n, d in
                                                             f.files_of(f.claim_rows(insts)).items()])
    with pytest.raises(RuntimeError):
        client_for(admin_user).generic("POST", "/screening/import/", body, content_type=content_type)
    imports = Path(django_settings.MEDIA_ROOT) / "imports"
    assert f.media_files() == files and not (imports.exists() and any(imports.iterdir()))


def test_the_command_refuses(insts, tmp_path, settings):
    for n, d in f.files_of(f.claim_rows(insts)).items():
        (tmp_path / n).write_bytes(d)
    (tmp_path / "fee_list_d.csv").write_bytes(f.EXECUTABLE)
    with pytest.raises(CommandError, match="导入失败"):
        call_command("screening", "import", str(tmp_path), "--period", "2023-10")
    assert not ClaimBatch.objects.exists()
    (tmp_path / "fee_list_d.csv").unlink()
    settings.SPOTCHECK_CLAIMS_MAX_ROWS = 2  # header + 1 row
    with pytest.raises(CommandError, match="导入失败"):
        call_command("screening", "import", str(tmp_path), "--period", "2023-10")
    assert not ClaimBatch.objects.exists() and not Visit.objects.exists()
