"""Every write of the jobs app: start a job, the workers' heartbeats, and failing abandoned jobs.

- :func:`start_job` creates the ``Job`` (what the user's status page polls) and queues the task
  ``jobs.tasks.run_job`` that a worker (``spotcheck worker``) runs. The queue is a database table, so
  a queued job survives a restart of the web server and waits for the next worker.
- :func:`worker_beat` / :func:`worker_stopped`: a worker's sign of life (``WorkerBeat``).
- :func:`reap_stale_jobs`: a job whose worker died (killed, machine restarted) would stay ``running``
  for ever; the worker calls this at start and every minute (and ``spotcheck jobs reap`` by hand) to
  mark such jobs failed with a message that tells the user to submit again. A job still running
  ``SPOTCHECK_JOB_MAX_SECONDS`` + ``SPOTCHECK_JOB_STALE_SECONDS`` after it started (it stops itself at
  its next progress report past the first: ``Job.set_progress``) is marked failed as timed out.
- :func:`prune_job_files`: uploads of ended jobs (an import that failed before it started) and old
  exports.

Jobs are not audited: a job records who started what; the writes it makes (an import) are audited.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResultStatus

from spotcheck.base.transactions import action, in_action

from .models import JOB_FOLDERS, Job, WorkerBeat, timed_out_message
from .runner import JobFunc
from .tasks import INTERRUPTED, WorkerLost, fail_job, queue_in_database, registered_path, run_job

log = logging.getLogger(__name__)

#: Heartbeats older than this are removed (workers that were killed leave theirs behind).
_FORGET_WORKERS_AFTER = dt.timedelta(days=1)


def start_job(
    actor: Any, kind: str, func: JobFunc | str, *, file_path: str = "", file_name: str = "",
    params: Any = None, message: str = "排队中",
) -> Job:
    """Create a ``Job`` of ``kind`` for ``actor`` (their area) and queue ``func`` to run it.

    ``func`` is a registered job function or its dotted path (``jobs.tasks.JOB_FUNCTIONS``; anything
    else raises ``UnknownJobFunction`` and creates nothing). ``params`` is stored as the job's
    ``result`` until the job ends (the import keeps its 变更原因 there).

    With the database queue the task row is written in the same durable transaction as the ``Job``:
    a worker sees both once they are committed, or neither. Other backends (the test settings run the
    job inline) get the task after the commit: at once when this is the outermost action, else when
    the enclosing action commits.
    """
    path = registered_path(func)
    job = _create_job(actor, kind, path, file_path=file_path, file_name=file_name, params=params, message=message)
    if not job.task_id:
        if in_action():
            transaction.on_commit(partial(_enqueue_committed, job.pk, path))
        else:
            _enqueue_committed(job.pk, path)
            job.refresh_from_db()
    return job


@action
def _create_job(
    actor: Any, kind: str, path: str, *, file_path: str, file_name: str, params: Any, message: str
) -> Job:
    job: Job = Job.objects.create(
        kind=kind, created_by=actor if getattr(actor, "pk", None) else None,
        region_code=getattr(actor, "region_code", "") or "", file_path=file_path, file_name=file_name[:255],
        message=message, result=params,
    )
    if queue_in_database():
        job.task_id = str(run_job.enqueue(job.pk, path).id)
        job.save(update_fields=["task_id"])
    return job


def _enqueue_committed(job_id: int, path: str) -> None:
    """Queue the task of a committed job (a backend outside the database, or one that runs it at once)."""
    try:
        result = run_job.enqueue(job_id, path)
    except Exception:
        log.exception("job %s could not be queued", job_id)
        fail_job(job_id, "无法提交到后台队列，请稍后重新提交")
        return
    Job.objects.filter(pk=job_id).update(task_id=str(result.id))


@action
def worker_beat(worker_id: str, *, hostname: str = "", pid: int = 0) -> None:
    """Record that the worker ``worker_id`` is alive now (and forget workers gone for a day)."""
    now = timezone.now()
    if not WorkerBeat.objects.filter(worker_id=worker_id).update(seen_at=now):
        WorkerBeat.objects.create(worker_id=worker_id, hostname=hostname[:255], pid=pid, started_at=now, seen_at=now)
    WorkerBeat.objects.filter(seen_at__lt=now - _FORGET_WORKERS_AFTER).delete()


@action
def worker_stopped(worker_id: str) -> None:
    """A worker that stops in order removes its heartbeat (it runs nothing any more)."""
    WorkerBeat.objects.filter(worker_id=worker_id).delete()


@action
def reap_stale_jobs(actor: Any = "worker", *, now: dt.datetime | None = None) -> list[int]:
    """Mark failed the jobs whose worker is gone; returns their ids.

    A ``running`` job is abandoned when its task has ended without the job ending (the worker was
    stopped in the middle), or when for ``SPOTCHECK_JOB_STALE_SECONDS`` neither the job reported
    progress nor the worker running it was seen (killed, machine restarted: its writes rolled back).
    A ``queued`` job is abandoned when its task has ended, or when it has no queue row at all after the
    same time (queued by an older version, or its row was pruned); otherwise it waits for the next worker.
    Each job is marked with a conditional UPDATE, so a job that finishes meanwhile keeps its outcome.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.SPOTCHECK_JOB_STALE_SECONDS)
    overdue = cutoff - dt.timedelta(seconds=settings.SPOTCHECK_JOB_MAX_SECONDS)  # started before: past its deadline
    jobs = list(Job.objects.filter(status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).only(
        "pk", "status", "task_id", "created_at", "updated_at", "started_at"))
    tasks = _task_rows([j.task_id for j in jobs])
    alive = set(WorkerBeat.objects.filter(seen_at__gte=cutoff).values_list("worker_id", flat=True))
    reaped = []
    for job in jobs:
        task = tasks.get(job.task_id)
        ended = task is not None and task.status in (TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED)
        message = INTERRUPTED
        if ended:
            candidates = Job.objects.filter(pk=job.pk, status=job.status)
        elif job.status == Job.Status.RUNNING and job.started_at is not None and job.started_at < overdue and not (
            task is not None and task.worker_ids and task.worker_ids[-1] in alive
        ):
            # past its deadline and the stale margin, and its worker is gone (a live worker's job stops itself
            # at its next progress report; one that never reports is left to finish and record its outcome)
            candidates = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING)
            message = timed_out_message()
        elif job.status == Job.Status.QUEUED and task is None and job.created_at < cutoff:
            # no queue row (queued before the task queue existed, or the row was pruned): nobody will run it
            candidates = Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED)
        elif job.status == Job.Status.RUNNING and job.updated_at < cutoff and not (
            task is not None and task.worker_ids and task.worker_ids[-1] in alive
        ):
            candidates = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING, updated_at__lt=cutoff)
        else:
            continue
        if candidates.update(status=Job.Status.FAILED, message=message, finished_at=now, updated_at=now):
            reaped.append(job.pk)
            if task is not None and not ended:
                _fail_task(task, now)
    if reaped:
        log.warning("%s marked %d abandoned job(s) failed: %s", actor, len(reaped), reaped)
    return reaped


@action
def prune_job_files(*, now: dt.datetime | None = None) -> int:
    """Delete the files (or upload folders) of ended jobs and forget their paths; returns how many jobs were
    pruned. An upload waiting to be imported (``MEDIA_ROOT/imports``) goes as soon as its job has ended (a job
    that failed before it started, or whose worker was killed, leaves it behind); an export's output after
    ``SPOTCHECK_JOB_FILES_KEEP_DAYS``. Entries of ``imports`` that no job names (the web process stopped
    between storing an upload and creating its job) go after the same days. Only paths inside the jobs'
    folders are touched (``Job.owned_file``); a file that cannot be removed is logged and tried again next time."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.SPOTCHECK_JOB_FILES_KEEP_DAYS)
    uploads = (Path(settings.MEDIA_ROOT) / JOB_FOLDERS[0]).resolve()
    pruned = 0
    for job in Job.objects.filter(finished_at__isnull=False).exclude(file_path="").only("pk", "file_path",
                                                                                       "finished_at"):
        path = job.owned_file()
        if path is not None and not path.is_relative_to(uploads) and job.finished_at >= cutoff:
            continue  # an export, kept for a while
        if path is None and job.finished_at >= cutoff:
            continue
        try:
            if path is None:
                log.warning("job %s: file path %r is outside the job folders; not removed", job.pk, job.file_path)
            else:
                _remove(path)
        except OSError:
            log.exception("job %s: could not remove %s", job.pk, path)
            continue
        pruned += Job.objects.filter(pk=job.pk).update(file_path="")
    _prune_orphan_uploads(uploads, cutoff)
    return pruned


def _remove(path: Path) -> None:
    import shutil

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _prune_orphan_uploads(folder: Path, cutoff: dt.datetime) -> None:
    """Remove the entries of the uploads folder older than ``cutoff`` that no job names."""
    if not folder.is_dir():
        return
    named = {Path(p).resolve() for p in Job.objects.exclude(file_path="").values_list("file_path", flat=True)}
    for entry in folder.iterdir():
        try:
            if entry.resolve() in named or dt.datetime.fromtimestamp(entry.lstat().st_mtime, dt.UTC) >= cutoff:
                continue
            _remove(entry)
        except OSError:
            log.exception("could not remove the abandoned upload %s", entry)


def _task_rows(task_ids: list[str]) -> dict[str, Any]:
    """The database queue's rows of these task ids (ids of other backends are skipped)."""
    from django_tasks_db.models import DBTaskResult

    wanted = {}
    for task_id in task_ids:
        try:
            wanted[uuid.UUID(task_id)] = task_id
        except ValueError:
            continue
    if not wanted:
        return {}
    rows = DBTaskResult.objects.filter(id__in=list(wanted)).only("id", "status", "worker_ids")
    return {wanted[row.id]: row for row in rows}


def _fail_task(task: Any, now: dt.datetime) -> None:
    """End the queue row of an abandoned job as failed, so the queue does not show it running for ever."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED, finished_at=now, exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
        traceback=f"{WorkerLost.__qualname__}: {INTERRUPTED}",
    )
