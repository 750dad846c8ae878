"""A job that runs too long is stopped and reported (SPOTCHECK_JOB_MAX_SECONDS), and uploads of jobs that ended
(also before they started) do not stay behind."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus

from spotcheck.directory.models import Institution
from spotcheck.jobs import models as job_models
from spotcheck.jobs.actions import prune_job_files, reap_stale_jobs, worker_beat
from spotcheck.jobs.models import Job, JobTimedOut, timed_out_message
from spotcheck.jobs.runner import run
from tests import factories as f
from tests.directory.test_io import inst_file, inst_row
from tests.jobs.test_queue import task_row


class _LateClock:
    """``django.utils.timezone`` as seen by the Job model, ``minutes`` later than the real clock."""

    def __init__(self, minutes: int) -> None:
        self.minutes = minutes

    def now(self) -> dt.datetime:
        return timezone.now() + dt.timedelta(minutes=self.minutes)


def test_the_message_names_the_limit(settings):
    settings.SPOTCHECK_JOB_MAX_SECONDS = 1800
    assert timed_out_message() == "运行超过 30 分钟，已停止"
    settings.SPOTCHECK_JOB_MAX_SECONDS = 90
    assert timed_out_message() == "运行超过 90 秒，已停止"


def test_progress_past_the_deadline_stops_the_job(county_user, monkeypatch, settings):
    settings.SPOTCHECK_JOB_MAX_SECONDS = 60
    job = Job.objects.create(kind="test", created_by=county_user, region_code=county_user.region_code)
    reached = []

    def work(j):
        j.set_progress(1, 10, "开始")  # in time
        reached.append(1)
        monkeypatch.setattr(job_models, "timezone", _LateClock(2))
        j.set_progress(2, 10, "太晚")  # raises
        reached.append(2)

    job = run(job.pk, work)
    job.refresh_from_db()
    assert reached == [1] and job.status == Job.Status.FAILED and job.message == "运行超过 1 分钟，已停止"
    assert job.done == 1 and job.finished_at
    with pytest.raises(JobTimedOut):
        job.check_deadline()


def test_a_directory_import_past_its_deadline_writes_nothing(client_for, county_user, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    monkeypatch.setattr(job_models, "timezone", _LateClock(31))  # every progress report is 31 minutes late
    upload = SimpleUploadedFile("名录.xlsx", inst_file([inst_row(i) for i in range(1, 4)]))
    response = client_for(county_user).post(reverse("directory:import", args=["institutions"]), {"file": upload})
    job = Job.objects.get(kind="import:institutions")
    assert response.status_code == 302 and job.status == Job.Status.FAILED
    assert job.message == "运行超过 30 分钟，已停止"
    assert not Institution.objects.exists() and not Path(job.file_path).exists()


def test_a_screening_import_past_its_deadline_rolls_back(insts_for_deadline, client_for, admin_user, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from spotcheck.screening import jobs as screening_jobs
    from spotcheck.screening.models import ClaimBatch, Visit

    monkeypatch.setattr(screening_jobs, "_DEADLINE_EVERY", 2)  # checked while rows are being written
    monkeypatch.setattr(job_models, "timezone", _LateClock(31))
    files = [SimpleUploadedFile(n, d) for n, d in f.files_of(f.claim_rows(insts_for_deadline)).items()]
    response = client_for(admin_user).post("/screening/import/", {"period": "2023-10", "files": files})
    job = Job.objects.get(kind="screening:import")
    assert response.status_code == 302 and job.status == Job.Status.FAILED
    assert job.message == "运行超过 30 分钟，已停止"
    assert not ClaimBatch.objects.exists() and not Visit.objects.exists()
    assert not Path(job.file_path).exists()


@pytest.fixture
def insts_for_deadline(db):
    return f.make_insts()


def test_the_reaper_fails_a_job_past_its_deadline_only_when_its_worker_is_gone(county_user, settings):
    """A live worker's job stops itself at its next progress report (or finishes and records its real
    outcome): the reaper never calls it stopped while it may still commit. A job past its deadline and the
    margin whose worker is gone is reported as timed out."""
    settings.SPOTCHECK_JOB_MAX_SECONDS, settings.SPOTCHECK_JOB_STALE_SECONDS = 1800, 600
    now = timezone.now()

    def running(started_seconds_ago, worker):
        job = Job.objects.create(kind="test", created_by=county_user, region_code=county_user.region_code,
                                 status=Job.Status.RUNNING)
        Job.objects.filter(pk=job.pk).update(started_at=now - dt.timedelta(seconds=started_seconds_ago),
                                             updated_at=now - dt.timedelta(seconds=700))
        task_row(job, TaskResultStatus.RUNNING, worker=worker)
        return job

    gone = running(1800 + 600 + 5, "w-gone")
    busy = running(1800 + 600 + 5, "w-alive")  # a long step without progress reports, worker alive
    within = running(1800 + 60, "w-gone2")
    worker_beat("w-alive")
    reaped = reap_stale_jobs(now=now)
    assert gone.pk in reaped and busy.pk not in reaped
    gone.refresh_from_db()
    busy.refresh_from_db()
    within.refresh_from_db()
    assert gone.status == Job.Status.FAILED and gone.message == "运行超过 30 分钟，已停止" and gone.finished_at
    assert busy.status == Job.Status.RUNNING
    assert within.status == Job.Status.FAILED and "中断" in within.message  # an ordinary dead worker


def test_the_final_report_after_the_commit_is_not_stopped(county_user, monkeypatch, settings):
    settings.SPOTCHECK_JOB_MAX_SECONDS = 60
    job = Job.objects.create(kind="test", created_by=county_user, region_code=county_user.region_code)

    def work(j):
        monkeypatch.setattr(job_models, "timezone", _LateClock(2))
        j.set_progress(10, 10, "导入完成", final=True)  # the work committed just past the deadline
        return {"rows": 10}

    job = run(job.pk, work)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.message == "导入完成"


def test_uploads_of_ended_jobs_go_at_once_and_orphans_after_the_keep_days(county_user):
    media = Path(settings.MEDIA_ROOT)
    folder = media / "imports" / "failed-before-start"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "000.csv").write_text("x")
    failed = Job.objects.create(kind="screening:import", created_by=county_user, status=Job.Status.FAILED,
                                file_path=str(folder), finished_at=timezone.now())
    waiting_file = media / "imports" / "waiting.csv"
    waiting_file.write_text("x")
    waiting = Job.objects.create(kind="import:institutions", created_by=county_user, file_path=str(waiting_file))
    export = media / "exports" / "fresh.csv"
    export.parent.mkdir(parents=True, exist_ok=True)
    export.write_text("x")
    Job.objects.create(kind="export:institutions", created_by=county_user, status=Job.Status.SUCCEEDED,
                       file_path=str(export), finished_at=timezone.now())
    old_orphan, new_orphan = media / "imports" / "old-orphan.xlsx", media / "imports" / "new-orphan.xlsx"
    old_orphan.write_text("x")
    new_orphan.write_text("x")
    old = (timezone.now() - dt.timedelta(days=30)).timestamp()
    os.utime(old_orphan, (old, old))
    os.utime(waiting_file, (old, old))  # named by a queued job: kept however old

    assert prune_job_files() == 1
    assert not folder.exists() and Job.objects.get(pk=failed.pk).file_path == ""
    assert waiting_file.exists() and Job.objects.get(pk=waiting.pk).file_path == str(waiting_file)
    assert export.exists() and new_orphan.exists() and not old_orphan.exists()
    for p in (waiting_file, export, new_orphan):
        p.unlink()
