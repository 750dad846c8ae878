"""A ``Job`` row tracks one piece of background work (an import, a large export, a screening import or run)
so its progress survives a reload.

The work itself is a task of Django's task framework (``jobs.tasks.run_job``, queued in the database
and run by ``spotcheck worker``); ``Job.task_id`` names that task. The ``Job`` is what users see: status,
progress, outcome. ``WorkerBeat`` rows say which workers are alive (see ``jobs.actions``).

Scope: ``region_code`` is the creator's area; ``Job.objects.restrict(user)`` gives a user their
own jobs, and a 系统管理员 every job.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

from spotcheck.base.models import ScopedModel
from spotcheck.base.permissions import can
from spotcheck.base.scope import ScopedQuerySet


class JobQuerySet(ScopedQuerySet):
    def restrict(self, user: Any, action: str = "view") -> ScopedQuerySet:
        """The user's own jobs in their area; everything for users holding ``admin``."""
        if can(user, "admin"):
            return self.all()
        return super().restrict(user, action).filter(created_by=user)


class JobTimedOut(Exception):
    """Raised by a job's progress report (``Job.set_progress`` / ``Job.check_deadline``) once the job has run
    longer than ``SPOTCHECK_JOB_MAX_SECONDS``: the job stops there (its transaction, if any, rolls back) and
    ends failed with :func:`timed_out_message`."""


def max_seconds() -> int:
    return int(settings.SPOTCHECK_JOB_MAX_SECONDS)


def timed_out_message() -> str:
    """``运行超过 30 分钟，已停止`` (the limit ``SPOTCHECK_JOB_MAX_SECONDS``, in seconds when not whole minutes)."""
    seconds = max_seconds()
    shown = f"{seconds // 60} 分钟" if seconds % 60 == 0 else f"{seconds} 秒"
    return f"运行超过 {shown}，已停止"


#: Folders under ``MEDIA_ROOT`` where jobs keep their files (uploads waiting to be imported, exports).
JOB_FOLDERS = ("imports", "exports")


class Job(ScopedModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=40, db_index=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.QUEUED)
    done = models.PositiveIntegerField("已处理", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    message = models.CharField("进度说明", max_length=200, blank=True, default="")
    result = models.JSONField("结果", null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name="提交人"
    )
    region_code = models.CharField("区域", max_length=6, blank=True, default="", db_index=True)
    file_path = models.CharField("文件", max_length=500, blank=True, default="")
    file_name = models.CharField("原文件名", max_length=255, blank=True, default="")
    created_at = models.DateTimeField("提交时间", auto_now_add=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    updated_at = models.DateTimeField("最后更新", auto_now=True)
    task_id = models.CharField("队列任务编号", max_length=64, blank=True, default="")

    objects = JobQuerySet.as_manager()
    scope_field = "region_code"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}（{self.get_status_display()}）"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return min(100, self.done * 100 // self.total) if self.total else (100 if self.finished else 0)

    @property
    def deadline(self) -> dt.datetime | None:
        """When a running job must have ended (``started_at`` + ``SPOTCHECK_JOB_MAX_SECONDS``)."""
        return self.started_at + dt.timedelta(seconds=max_seconds()) if self.started_at else None

    def check_deadline(self) -> None:
        """Raise :class:`JobTimedOut` when the job has run past its deadline (no database access)."""
        deadline = self.deadline
        if deadline is not None and timezone.now() > deadline:
            raise JobTimedOut(timed_out_message())

    def set_progress(self, done: int, total: int | None = None, message: str | None = None, *,
                     final: bool = False) -> None:
        """Store progress with one UPDATE (visible to other connections at once; call in batches).

        Past the job's deadline it raises :class:`JobTimedOut` instead (the job's one cooperative stop),
        except for the ``final`` report made after the job's work has committed (it must not be called
        stopped when its writes are in)."""
        if not final:
            self.check_deadline()
        self.done = done
        if total is not None:
            self.total = total
        if message is not None:
            self.message = message[:200]
        self.updated_at = timezone.now()
        Job.objects.filter(pk=self.pk).update(
            done=self.done, total=self.total, message=self.message, updated_at=self.updated_at
        )

    def owned_file(self) -> Path | None:
        """``file_path`` resolved, if it lies in a folder jobs write (``MEDIA_ROOT/imports`` or ``exports``);
        ``None`` otherwise (empty, or a path that was changed to point elsewhere: never served or deleted)."""
        if not self.file_path:
            return None
        path = Path(self.file_path).resolve()
        media = Path(settings.MEDIA_ROOT).resolve()
        if any(path.is_relative_to(media / folder) and path != media / folder for folder in JOB_FOLDERS):
            return path
        return None

    def attach_file(self, path: str) -> None:
        """Record the job's output file (one UPDATE); ``jobs.actions.prune_job_files`` removes it later."""
        self.file_path = path
        Job.objects.filter(pk=self.pk).update(file_path=path)


class WorkerBeat(models.Model):
    """The last sign of life of one ``spotcheck worker`` process (written every few seconds)."""

    worker_id = models.CharField("进程编号", max_length=64, unique=True)
    hostname = models.CharField("主机", max_length=255, blank=True, default="")
    pid = models.PositiveIntegerField("进程号", default=0)
    started_at = models.DateTimeField("启动时间", default=timezone.now)
    seen_at = models.DateTimeField("最后心跳", default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-seen_at"]
        verbose_name = "后台处理进程"
        verbose_name_plural = "后台处理进程"

    def __str__(self) -> str:
        return f"{self.worker_id}（{self.hostname} 进程 {self.pid}）"
