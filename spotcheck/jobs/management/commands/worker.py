"""``spotcheck worker [--batch] [--interval SECONDS] [--max-tasks N] [--queue-name …]``: the background worker.

Runs the queued jobs (imports, large exports, screening) from the database queue: django_tasks_db's ``db_worker`` with every
option of it, plus SpotCheck's bookkeeping:

- at start (and every minute while it runs) jobs whose worker died are marked failed
  (``jobs.actions.reap_stale_jobs``) and old job files removed (``prune_job_files``); queued jobs stay
  queued and are run here;
- a heartbeat every 15 s (``WorkerBeat``), so status pages can say when no worker is running and
  jobs of a live worker are never taken for abandoned; removed when the worker stops in order.

``--batch`` runs what is queued and exits (no heartbeat thread): for cron or a one-off catch-up.
Ctrl+C / SIGTERM lets the running job finish; a second one stops at once (the job is marked failed).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from typing import Any

from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from spotcheck.jobs import actions
from spotcheck.jobs.tasks import HEARTBEAT_SECONDS

log = logging.getLogger("spotcheck.jobs.worker")

#: How often a running worker looks for abandoned jobs.
REAP_SECONDS = 60

_SIGNALS = [s for s in ("SIGINT", "SIGTERM", "SIGQUIT") if hasattr(signal, s)]


def default_worker_id() -> str:
    """``host-pid-random``: readable in the queue table, unique across the machines of an installation."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(6)}"


class Command(DBWorkerCommand):
    help = "后台处理进程：执行排队中的后台任务（导入等），并把处理进程已中断的任务标记为失败"

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        # no autoreload unless asked (it would run a second process with its own id); a readable id
        parser.set_defaults(reload=False, worker_id=default_worker_id())
        parser.add_argument("--heartbeat", type=float, default=HEARTBEAT_SECONDS,
                            help="心跳间隔（秒），默认 %(default)s")

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id, every = options["worker_id"], options.pop("heartbeat")
        host, pid = socket.gethostname(), os.getpid()
        self._verbosity = options["verbosity"]
        saved = {name: signal.getsignal(getattr(signal, name)) for name in _SIGNALS}
        actions.worker_beat(worker_id, hostname=host, pid=pid)
        self._reap()
        stop = threading.Event()
        keeper = None
        if not options["batch"]:
            keeper = threading.Thread(target=self._keep_alive, args=(worker_id, host, pid, every, stop),
                                      name="worker-heartbeat", daemon=True)
            keeper.start()
        if self._verbosity >= 1:
            self.stdout.write(f"后台处理进程 {worker_id} 已启动")
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
            if keeper is not None:
                keeper.join(timeout=5)
            try:
                actions.worker_stopped(worker_id)
            except Exception:  # pragma: no cover - the heartbeat then simply ages out
                log.warning("could not remove the heartbeat of %s", worker_id, exc_info=True)
            for name, handler in saved.items():  # db_worker installed its own (matters under call_command)
                signal.signal(getattr(signal, name), handler)

    def _reap(self) -> None:
        """Fail abandoned jobs and remove old job files; a failure here is logged, never stops the worker."""
        try:
            reaped = actions.reap_stale_jobs(actor="worker")
            actions.prune_job_files()
        except Exception:
            log.exception("checking for abandoned jobs failed; the worker goes on")
            return
        if reaped and self._verbosity >= 1:
            self.stdout.write(f"已将 {len(reaped)} 个处理进程已中断的任务标记为失败：{reaped}")

    def _keep_alive(self, worker_id: str, host: str, pid: int, every: float, stop: threading.Event) -> None:
        """Heartbeat thread (own database connection): a beat every ``every`` s, a reap every minute.
        A failed beat (SQLite busy with a long import) is retried at the next one."""
        last_reap = time.monotonic()
        try:
            while not stop.wait(every):
                close_old_connections()
                try:
                    actions.worker_beat(worker_id, hostname=host, pid=pid)
                    if time.monotonic() - last_reap >= REAP_SECONDS:
                        last_reap = time.monotonic()
                        self._reap()
                except Exception as exc:  # e.g. SQLite busy for the whole timeout
                    log.warning("worker heartbeat failed (%s); retrying in %s s", exc, every)
        finally:
            connections.close_all()  # this thread's connections only
