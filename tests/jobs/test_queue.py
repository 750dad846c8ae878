"""The job queue: jobs wait in the database for ``spotcheck worker``, abandoned jobs are failed,
only registered job functions run, and the import view starts its job through the action."""

from __future__ import annotations

import datetime as dt
import io as stdio

import pytest
from django.core.management import call_command
from django.db import connections
from django.db.models.signals import post_save
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from spotcheck.accounts.models import Role
from spotcheck.base.transactions import atomic_action, in_action
from spotcheck.directory import views_io
from spotcheck.directory.models import Institution
from spotcheck.jobs import tasks
from spotcheck.jobs.actions import reap_stale_jobs, start_job, worker_beat
from spotcheck.jobs.models import Job, WorkerBeat
from spotcheck.jobs.tasks import INTERRUPTED, UnknownJobFunction, run_job
from tests import factories as f
from tests.directory.test_io import inst_file, inst_row

DB_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
IMPORT = "spotcheck.directory.io.run_import_job"
NO_WORKER = "后台处理进程似乎没有运行"


def upload(client, data, name="名录.xlsx", kind="institutions"):
    file = stdio.BytesIO(data)
    file.name = name
    return client.post(reverse("directory:import", args=[kind]), {"file": file})


def run_worker_once():
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def make_job(user, status=Job.Status.RUNNING, age=0, task_id=""):
    job = Job.objects.create(kind="test", created_by=user, region_code=user.region_code, status=status,
                             task_id=task_id)
    then = timezone.now() - dt.timedelta(seconds=age)
    Job.objects.filter(pk=job.pk).update(created_at=then, updated_at=then)
    return job


def task_row(job, status, worker="w-1"):
    row = DBTaskResult.objects.create(
        args_kwargs={"args": [job.pk, IMPORT], "kwargs": {}}, task_path="spotcheck.jobs.tasks.run_job",
        backend_name="default", status=status, worker_ids=[worker],
    )
    Job.objects.filter(pk=job.pk).update(task_id=str(row.id))
    return row


# test job functions (registered per test with ``register``)
def succeeds(job):
    return {"ok": job.pk}


def interrupted(job):
    raise SystemExit(1)  # what a second Ctrl+C / SIGTERM does inside db_worker


def register(monkeypatch, *funcs):
    paths = [f"{fn.__module__}.{fn.__qualname__}" for fn in funcs]
    monkeypatch.setattr(tasks, "JOB_FUNCTIONS", tasks.JOB_FUNCTIONS | set(paths))
    return paths


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_queued_import_waits_in_the_database_and_the_worker_runs_it(client, settings):
    """A job survives a restart of the web server: the queue is a table; the next worker runs it."""
    settings.TASKS = DB_QUEUE
    user = f.user("t-queue", Role.COUNTY_STAFF, f.YANGCHENG)
    client.force_login(user)
    response = upload(client, inst_file([inst_row(90001)]), name="queued.xlsx")
    job = Job.objects.get()
    task = DBTaskResult.objects.get()
    assert response.status_code == 302 and job.status == Job.Status.QUEUED and job.task_id == str(task.id)
    assert task.status == TaskResultStatus.READY and task.task_path == "spotcheck.jobs.tasks.run_job"
    assert task.args_kwargs["args"] == [job.pk, IMPORT] and Institution.objects.count() == 0
    connections.close_all()  # the web process goes away; nothing of the job lived in it
    status_page = client.get(response["Location"]).content.decode()
    assert "排队中" in status_page and NO_WORKER in status_page  # no worker has been seen

    run_worker_once()

    job.refresh_from_db()
    task.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result["created"] == 1, job.message
    assert task.status == TaskResultStatus.SUCCESSFUL and task.return_value == "succeeded"
    assert Institution.objects.count() == 1
    assert not WorkerBeat.objects.exists()  # a worker that stops in order removes its heartbeat
    assert "导入成功" in client.get(response["Location"]).content.decode()


def test_worker_hint_only_when_queued_jobs_have_no_worker(client_for, county_user, settings):
    job = make_job(county_user, status=Job.Status.QUEUED)
    Job.objects.filter(pk=job.pk).update(kind="import:institutions")
    url = reverse("directory:import-status", args=[job.pk])
    client = client_for(county_user)
    assert NO_WORKER not in client.get(url).content.decode()  # test settings: jobs run inline, no worker
    settings.TASKS = DB_QUEUE
    assert NO_WORKER in client.get(url, headers={"HX-Request": "true"}).content.decode()
    worker_beat("w-1", hostname="host", pid=1)
    assert NO_WORKER not in client.get(url).content.decode()


def test_reaper_fails_jobs_whose_worker_died_and_nothing_else(county_user, settings):
    settings.SPOTCHECK_JOB_STALE_SECONDS = 600
    stale = make_job(county_user, age=601)                        # worker killed: no progress for 10 min
    fresh = make_job(county_user, age=30)                         # a running job reporting progress
    waiting = make_job(county_user, status=Job.Status.QUEUED, age=3600)  # waits for the next worker
    task_row(waiting, TaskResultStatus.READY)
    slow = make_job(county_user, age=3600)                        # long step, but its worker is alive
    task_row(slow, TaskResultStatus.RUNNING, worker="w-alive")
    worker_beat("w-alive")
    orphan = make_job(county_user, age=3600)                      # its worker is gone too
    orphan_task = task_row(orphan, TaskResultStatus.RUNNING, worker="w-dead")
    ended = make_job(county_user, age=5)                          # its task ended without finishing it
    task_row(ended, TaskResultStatus.FAILED)
    lost = make_job(county_user, status=Job.Status.QUEUED, age=3600)  # no queue row: nobody will run it
    just_queued = make_job(county_user, status=Job.Status.QUEUED, age=30)  # (its row may be on the way)

    assert sorted(reap_stale_jobs()) == sorted([stale.pk, orphan.pk, ended.pk, lost.pk])

    for job in (stale, orphan, ended, lost):
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and job.message == INTERRUPTED and job.finished_at
    for job, status in ((fresh, Job.Status.RUNNING), (waiting, Job.Status.QUEUED), (slow, Job.Status.RUNNING),
                        (just_queued, Job.Status.QUEUED)):
        job.refresh_from_db()
        assert job.status == status, job
    orphan_task.refresh_from_db()
    assert orphan_task.status == TaskResultStatus.FAILED and orphan_task.task_result.errors[0].exception_class is (
        tasks.WorkerLost)
    assert reap_stale_jobs() == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the worker closes connections in a transaction
def test_worker_start_and_jobs_reap_mark_stale_jobs(county_user, settings, capsys):
    settings.TASKS = DB_QUEUE
    first, second = make_job(county_user, age=3600), make_job(county_user, age=5)
    run_worker_once()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Job.Status.FAILED and first.message == INTERRUPTED
    assert second.status == Job.Status.RUNNING
    Job.objects.filter(pk=second.pk).update(updated_at=timezone.now() - dt.timedelta(seconds=3600))
    call_command("jobs", "reap")
    assert "已将 1 个任务标记为失败" in capsys.readouterr().out


def test_import_view_starts_its_job_through_the_action(client_for, county_user, monkeypatch):
    saves, calls = [], []
    real = views_io.start_job
    monkeypatch.setattr(views_io, "start_job", lambda *a, **k: calls.append(a[:3]) or real(*a, **k))

    def on_save(sender, instance, created, **kwargs):
        saves.append((created, in_action()))

    post_save.connect(on_save, sender=Job)
    try:
        upload(client_for(county_user), inst_file([inst_row(90001)]), name="good.xlsx")
    finally:
        post_save.disconnect(on_save, sender=Job)
    job = Job.objects.get()
    assert calls == [(county_user, "import:institutions", views_io.io.run_import_job)]
    assert [in_act for created, in_act in saves if created] == [True]  # created inside the action
    assert job.status == Job.Status.SUCCEEDED and job.file_name == "good.xlsx" and job.task_id


def test_only_registered_job_functions_run(county_user, monkeypatch):
    with pytest.raises(UnknownJobFunction):
        start_job(county_user, "test", "os.system")
    with pytest.raises(UnknownJobFunction):
        start_job(county_user, "test", succeeds)  # a real function, but not registered
    assert not Job.objects.exists()

    job = make_job(county_user, status=Job.Status.QUEUED)
    imported = []
    monkeypatch.setattr(tasks, "import_string", imported.append)
    with pytest.raises(UnknownJobFunction):
        run_job.call(job.pk, "os.system")  # a queue row naming anything else: nothing is imported
    job.refresh_from_db()
    assert imported == [] and job.status == Job.Status.FAILED and job.message == "后台任务类型无效，请联系系统管理员"


def test_registered_function_runs_and_an_interrupted_one_fails_the_job(county_user, monkeypatch):
    ok_path, stop_path = register(monkeypatch, succeeds, interrupted)
    job = start_job(county_user, "test", succeeds)
    assert job.status == Job.Status.SUCCEEDED and job.result == {"ok": job.pk}
    stopped = make_job(county_user, status=Job.Status.QUEUED)
    with pytest.raises(SystemExit):
        run_job.call(stopped.pk, stop_path)
    stopped.refresh_from_db()
    assert stopped.status == Job.Status.FAILED and stopped.message == INTERRUPTED


def test_start_job_inside_an_action_queues_after_its_commit(county_user, monkeypatch,
                                                            django_capture_on_commit_callbacks):
    register(monkeypatch, succeeds)
    with django_capture_on_commit_callbacks(execute=True):
        with atomic_action():
            job = start_job(county_user, "test", succeeds)
            assert Job.objects.get(pk=job.pk).status == Job.Status.QUEUED  # not run inside the transaction
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
