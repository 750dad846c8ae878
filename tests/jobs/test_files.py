"""Job files: removed after the keep days, only inside the jobs' folders, never stopping the worker."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from spotcheck.jobs.actions import prune_job_files
from spotcheck.jobs.models import Job


def ended_job(user, path, days_ago=30):
    job = Job.objects.create(kind="test", created_by=user, region_code=user.region_code, status=Job.Status.SUCCEEDED,
                             file_path=str(path))
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - dt.timedelta(days=days_ago))
    return job


def test_old_files_and_upload_folders_go_and_nothing_outside_the_job_folders(county_user, tmp_path):
    media = Path(settings.MEDIA_ROOT)
    export = media / "exports" / "old.csv"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text("x")
    folder = media / "imports" / "abc"  # a screening upload left behind by a killed worker
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "000.csv").write_text("x")
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    sneaky = media / "exports" / ".." / ".." / "precious.txt"
    recent = media / "exports" / "recent.csv"
    recent.write_text("x")
    jobs = [ended_job(county_user, export), ended_job(county_user, folder), ended_job(county_user, outside),
            ended_job(county_user, sneaky), ended_job(county_user, recent, days_ago=1),
            ended_job(county_user, media / "exports")]

    assert prune_job_files() == 5  # every old one is forgotten; the recent one is kept
    assert not export.exists() and not folder.exists() and recent.exists()
    assert outside.read_text() == "keep me" and (media / "exports").is_dir()
    assert [Job.objects.get(pk=j.pk).file_path for j in jobs] == ["", "", "", "", str(recent), ""]
    assert jobs[2].owned_file() is None and jobs[3].owned_file() is None and jobs[4].owned_file() == recent.resolve()
