"""Run a ``Job`` in the background: a thread in the web process, or inline in tests.

Why a thread and not a queue with a worker process: SpotCheck is installed in county offices on
one machine with SQLite; a second long-running worker process is one more thing to install,
supervise and forget to start. Imports are the only background work today, they are rare and they
finish in seconds to a few minutes. The ``Job`` row carries status and progress, so a page reload
(or another browser tab) shows where the work is. A job whose process is restarted mid-way stays
``running`` with a stale ``updated_at``; its writes roll back because each job writes in one
transaction. Should a separate worker ever be wanted (a province on PostgreSQL), only ``submit``
changes.

``settings.SPOTCHECK_JOBS_SYNC = True`` (the test settings) runs the function inline: tests use a
transaction (and on SQLite an in-memory database) that another thread's connection cannot see.

The function receives the ``Job`` and returns a JSON-able result; it reports progress with
``job.set_progress`` in batches. Raising ``JobFailed`` ends the job as failed with a Chinese message
and an optional result (e.g. the per-row error report); any other exception is logged and ends it
as failed with a generic message.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

from .models import Job

log = logging.getLogger(__name__)

JobFunc = Callable[[Job], Any]


class JobFailed(Exception):
    """An expected failure: ``message`` is shown to the user, ``result`` stored on the job."""

    def __init__(self, message: str, result: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result


def submit(job: Job, func: JobFunc) -> None:
    """Run ``func(job)`` after the current transaction commits (thread), or now (sync setting)."""
    if getattr(settings, "SPOTCHECK_JOBS_SYNC", False):
        run(job.pk, func)
        return
    thread = threading.Thread(target=_run_in_thread, args=(job.pk, func), name=f"job-{job.pk}", daemon=True)
    transaction.on_commit(thread.start)


def _run_in_thread(job_id: int, func: JobFunc) -> None:
    close_old_connections()
    try:
        run(job_id, func)
    finally:
        connections.close_all()  # this thread's connections are not reused by anyone


def run(job_id: int, func: JobFunc) -> Job:
    """Execute one job and store its outcome; never raises for failures of ``func``."""
    job = Job.objects.get(pk=job_id)
    job.status, job.started_at = Job.Status.RUNNING, timezone.now()
    job.save(update_fields=["status", "started_at", "updated_at"])
    try:
        result = func(job)
    except JobFailed as exc:
        job.status, job.message, job.result = Job.Status.FAILED, exc.message[:200], exc.result
    except Exception:
        log.exception("job %s (%s) failed", job.pk, job.kind)
        job.status, job.message = Job.Status.FAILED, "后台任务出现内部错误，请联系系统管理员查看日志"
    else:
        job.status, job.result = Job.Status.SUCCEEDED, result
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "done", "total", "message", "result", "finished_at", "updated_at"])
    return job
