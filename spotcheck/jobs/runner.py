"""Run a ``Job``: the body that the queued task (``jobs.tasks.run_job``) executes in a worker.

A job is started with ``jobs.actions.start_job``, which creates the ``Job`` row and queues a task of
Django's task framework (database backend: the queue is a table, ``spotcheck worker`` runs it; the
test settings run it inline). The ``Job`` row carries status and progress, so a page reload (or
another browser tab) shows where the work is; a worker that dies mid-way leaves its job ``running``
until ``jobs.actions.reap_stale_jobs`` marks it failed (its writes roll back: each job writes in one
transaction).

The function receives the ``Job`` and returns a JSON-able result; it reports progress with
``job.set_progress`` in batches. Raising ``JobFailed`` ends the job as failed with a Chinese message
and an optional result (e.g. the per-row error report); any other exception is logged and ends it
as failed with a generic message. ``set_progress`` itself raises ``JobTimedOut`` once the job has run
longer than ``SPOTCHECK_JOB_MAX_SECONDS``: the job ends failed with "运行超过 N 分钟，已停止" (a job
writes in one transaction, which that exception rolls back; a job that keeps running without reporting
progress is marked failed by ``jobs.actions.reap_stale_jobs``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from .models import Job, JobTimedOut

log = logging.getLogger(__name__)

JobFunc = Callable[[Job], Any]

__all__ = ["JobFailed", "JobFunc", "JobTimedOut", "run"]


class JobFailed(Exception):
    """An expected failure: ``message`` is shown to the user, ``result`` stored on the job."""

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


def run(job_id: int, func: JobFunc) -> Job:
    """Execute one queued job and store its outcome; never raises for failures of ``func``.

    The job is claimed with one conditional UPDATE: a job that is no longer ``queued`` (already run,
    or failed meanwhile) is returned as it is and ``func`` is not called."""
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=now, updated_at=now, message="开始处理…"
    )
    job = Job.objects.get(pk=job_id)
    if not claimed:
        log.warning("job %s is %s, not queued: not run again", job.pk, job.status)
        return job
    try:
        result = func(job)
    except JobFailed as exc:
        job.status, job.message, job.result = Job.Status.FAILED, exc.message[:200], exc.result
    except JobTimedOut as exc:
        log.warning("job %s (%s) stopped: %s", job.pk, job.kind, exc)
        job.status, job.message, job.result = Job.Status.FAILED, str(exc)[:200], None
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        job.status, job.message = Job.Status.FAILED, "后台任务出现内部错误，请联系系统管理员查看日志"
    else:
        job.status, job.result = Job.Status.SUCCEEDED, result
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "done", "total", "message", "result", "finished_at", "updated_at"])
    return job
