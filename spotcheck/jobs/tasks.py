"""The one task of Django's task framework that SpotCheck queues: run a ``Job``.

``start_job`` (``jobs.actions``) queues ``run_job(job_id, func_path)``. The task row stores the dotted
path of the job function as data, so the worker imports only paths listed in ``JOB_FUNCTIONS``: a
row that names anything else (a typo, a renamed function, a row written by hand) fails the job and
runs nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks import task

from .models import Job, WorkerBeat
from .runner import JobFunc, run

log = logging.getLogger(__name__)

#: Every function a job may run, by dotted path (a function that takes the ``Job``, see ``jobs.runner``).
#: The app that owns a job function registers it in its ``AppConfig.ready`` (:func:`register`), so this
#: lower layer never names the apps above it.
JOB_FUNCTIONS: set[str] = set()


#: How a job is named to users, by its ``kind`` or the part of it before ``:`` (``jobs.views``).
KIND_LABELS: dict[str, str] = {}
#: The page that shows a job of a kind (an URL name taking ``job_id``); default the generic ``jobs:status``.
STATUS_PAGES: dict[str, str] = {}


def register(func: JobFunc) -> JobFunc:
    """Allow ``func`` to run as a job (call from the owning app's ``ready``); returns ``func``."""
    JOB_FUNCTIONS.add(f"{func.__module__}.{func.__qualname__}")
    return func


def register_kind(kind: str, label: str, status_page: str = "") -> None:
    """Name jobs of ``kind`` (a whole kind such as ``screening:run`` or a prefix such as ``import``) for
    users, and optionally give them their own status page instead of the generic one."""
    KIND_LABELS[kind] = label
    if status_page:
        STATUS_PAGES[kind] = status_page


def _lookup(table: dict[str, str], kind: str) -> str | None:
    return table.get(kind) or table.get(kind.split(":", 1)[0])


def kind_label(kind: str) -> str:
    return _lookup(KIND_LABELS, kind) or "后台任务"


def status_page(kind: str) -> str:
    return _lookup(STATUS_PAGES, kind) or "jobs:status"


INTERRUPTED = "处理该任务的后台进程已中断，请重新提交"

#: A worker writes its heartbeat (``WorkerBeat``) this often ...
HEARTBEAT_SECONDS = 15
#: ... and a worker not seen for this long is reported as not running on the status pages.
WORKER_SEEN_SECONDS = 60


class UnknownJobFunction(ValueError):
    """A job function that is not in ``JOB_FUNCTIONS``."""


class WorkerLost(Exception):
    """Stored on a queue row whose worker died while running it (``actions.reap_stale_jobs``)."""


def queue_in_database() -> bool:
    """Whether tasks go to the database queue (run by ``spotcheck worker``), not run by the backend itself."""
    from django_tasks_db import DatabaseBackend

    return isinstance(run_job.get_backend(), DatabaseBackend)


def worker_missing() -> bool:
    """Whether queued jobs wait for a worker that is not there: the database queue is used and no worker
    has been seen for ``WORKER_SEEN_SECONDS``."""
    if not queue_in_database():
        return False
    since = timezone.now() - dt.timedelta(seconds=WORKER_SEEN_SECONDS)
    return not WorkerBeat.objects.filter(seen_at__gte=since).exists()


def registered_path(func: JobFunc | str) -> str:
    """The registered dotted path of ``func`` (a function or a path); ``UnknownJobFunction`` otherwise."""
    path = func if isinstance(func, str) else f"{func.__module__}.{func.__qualname__}"
    if path not in JOB_FUNCTIONS:
        raise UnknownJobFunction(f"不允许作为后台任务运行的函数：{path}")
    return path


def job_function(path: str) -> JobFunc:
    """Import a registered job function; an unregistered path is refused before any import."""
    func: JobFunc = import_string(registered_path(path))
    return func


def fail_job(job_id: int, message: str, *, statuses: tuple[str, ...] = ("queued", "running")) -> int:
    """Mark a job that has not ended as failed with ``message`` (one UPDATE); returns 1 when it was marked."""
    now = timezone.now()
    marked: int = Job.objects.filter(pk=job_id, status__in=statuses).update(
        status=Job.Status.FAILED, message=message[:200], finished_at=now, updated_at=now
    )
    return marked


@task()
def run_job(job_id: int, func_path: str) -> str:
    """Run the job ``job_id`` with the registered function ``func_path``; returns the job's final status.

    Outcomes of the function are stored on the ``Job`` (``runner.run``). A worker stopped in the middle
    (SystemExit from a second Ctrl+C / SIGTERM) marks the job failed before the task fails."""
    try:
        func = job_function(func_path)
    except (UnknownJobFunction, ImportError) as exc:
        fail_job(job_id, "后台任务类型无效，请联系系统管理员")
        log.error("job %s refused: %s", job_id, exc)
        raise
    try:
        job = run(job_id, func)
    except BaseException:
        fail_job(job_id, INTERRUPTED, statuses=("running",))
        raise
    return str(job.status)
