"""Append-only audit events in a SHA-256 hash chain.

Each event's ``hash`` = H(prev_hash + canonical JSON of its content). ``ChainHead`` is a single
row locked (``select_for_update``) while appending, so concurrent writers on PostgreSQL cannot
fork the chain; on SQLite the IMMEDIATE transaction already serialises writers.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from spotcheck.base.models import ScopedModel

GENESIS = "0" * 64


class AuditEvent(ScopedModel):
    seq = models.BigIntegerField("序号", unique=True)
    at = models.DateTimeField("时间", db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name="操作人"
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True, default="")
    action = models.CharField("动作", max_length=64, db_index=True)
    object_type = models.CharField("对象类型", max_length=64, db_index=True)
    object_id = models.CharField("对象标识", max_length=128, blank=True, default="", db_index=True)
    object_repr = models.CharField("对象", max_length=255, blank=True, default="")
    region_code = models.CharField("区域", max_length=6, blank=True, default="", db_index=True)
    before = models.JSONField("变更前", null=True, blank=True)
    after = models.JSONField("变更后", null=True, blank=True)
    reason = models.TextField("原因", blank=True, default="")
    request_id = models.CharField("请求编号", max_length=64, blank=True, default="")
    #: The full state this event leaves the row of a tracked table in (``audit.state``), or null.
    state = models.JSONField("变更后完整状态", null=True, blank=True)
    #: True when this event deleted the row of a tracked table.
    row_deleted = models.BooleanField("删除了该行", default=False)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    scope_field = "region_code"

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id", "seq"], name="audit_object_seq")]
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id}"


class ChainHead(models.Model):
    """Singleton (pk=1): the last sequence number and hash of the chain."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default=GENESIS)

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class CheckpointImmutable(RuntimeError):
    """Raised when code tries to change or delete a checkpoint."""


class CheckpointQuerySet(models.QuerySet):
    def delete(self) -> Any:  # type: ignore[override]
        raise CheckpointImmutable("审计检查点不能删除")

    def update(self, **kwargs: Any) -> int:
        raise CheckpointImmutable("审计检查点不能修改")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise CheckpointImmutable("审计检查点不能修改")


class Checkpoint(models.Model):
    """A signed statement "the chain had ``seq`` events, the last with hash ``hash``, at ``at``".

    Written only by ``audit.checkpoints.make_checkpoint``; never changed or deleted (append-only). The
    signature is Ed25519 over ``audit.checkpoints.message`` with a key kept outside the database; the
    public key is kept with each row so checkpoints of a rotated key still verify. Not a tracked table:
    a checkpoint vouches for the chain itself, and its copies that matter are the ones outsiders saved.
    """

    seq = models.BigIntegerField("序号", db_index=True)
    hash = models.CharField("链哈希", max_length=64)
    at = models.DateTimeField("时间")
    key_id = models.CharField("签名密钥标识", max_length=64)
    signature = models.CharField("签名", max_length=128)
    public_key = models.TextField("公钥（PEM）")

    objects = models.Manager.from_queryset(CheckpointQuerySet)()

    class Meta:
        ordering = ["-id"]
        verbose_name = "审计检查点"
        verbose_name_plural = "审计检查点"

    def __str__(self) -> str:
        return f"检查点 #{self.seq} {self.hash[:12]}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise CheckpointImmutable("审计检查点不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise CheckpointImmutable("审计检查点不能删除")
