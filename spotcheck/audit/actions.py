"""Writing and verifying the audit chain. Every write in the product calls ``record``.

``record`` must run inside the caller's transaction so that the event and the change commit (or
roll back) together.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from spotcheck.base.transactions import action as base_action

from .context import current_request_id
from .models import GENESIS, AuditEvent, ChainHead
from .state import TRACKED, capture, spec_for


def wall_clock() -> dt.datetime:
    """The real time of a write. Deliberately not ``timezone.now`` (which the demo's replay of past
    tasks sets to past dates): the audit log always says when a write actually happened."""
    return dt.datetime.now(tz=dt.UTC)


def _default(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def jsonable(data: Any) -> Any:
    """Round-trip through JSON so what is hashed equals what the database stores and returns."""
    if data is None:
        return None
    return json.loads(json.dumps(data, default=_default, ensure_ascii=False))


def event_digest(prev_hash: str, content: dict[str, Any]) -> str:
    body = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((prev_hash + "\n" + body).encode("utf-8")).hexdigest()


_CHAIN_FIELDS = (
    "seq", "at", "actor_name", "action", "object_type", "object_id", "object_repr", "region_code", "before",
    "after", "reason", "request_id", "state", "row_deleted", "prev_hash", "hash",
)


def _content(e: Any) -> dict[str, Any]:
    """The hashed content of an event (an ``AuditEvent`` or a row with the same attribute names)."""
    content = {
        "seq": e.seq,
        "at": e.at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "actor": e.actor_name,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_repr": e.object_repr,
        "region_code": e.region_code,
        "before": e.before,
        "after": e.after,
        "reason": e.reason,
        "request_id": e.request_id,
    }
    # Added with the data check: present only when set, so events written before keep their hashes.
    if e.state is not None:
        content["state"] = e.state
    if e.row_deleted:
        content["row_deleted"] = True
    return content


def record(
    actor: Any,
    action: str,
    obj: Any = None,
    *,
    object_type: str | None = None,
    object_id: str | None = None,
    region_code: str | None = None,
    before: Any = None,
    after: Any = None,
    reason: str = "",
    deleted: bool | None = None,
) -> AuditEvent:
    """Append one event. ``obj`` (a model instance) supplies type, id, repr and region by default.

    When ``obj`` is a row of a tracked table (``audit.state.TRACKED``) the event also records the
    row's full state as it is now, so call ``record`` *after* the write; ``deleted=True`` records
    that the write deleted the row (call it before ``obj.delete()``, while the row still has its pk);
    by default an action named ``delete`` or ``….delete`` is a deletion.
    """
    if deleted is None:
        deleted = action == "delete" or action.endswith(".delete")
    state = None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id if object_id is not None else str(obj.pk)
        if region_code is None:
            region_code = getattr(obj, "audit_region_code", None) or ""
        if not deleted and spec_for(obj) is not None:
            from .guard import check_rows, written_in_this_action

            if not written_in_this_action(type(obj), obj.pk):
                check_rows(type(obj), [obj.pk])  # the event would copy an unexplained change into the chain
            state = capture(obj)
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        event = AuditEvent(
            seq=head.last_seq + 1,
            at=wall_clock(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_name=getattr(actor, "username", "") or (actor if isinstance(actor, str) else "system"),
            action=action,
            object_type=object_type or "",
            object_id=object_id or "",
            object_repr=(str(obj) if obj is not None else "")[:255],
            region_code=region_code or "",
            before=jsonable(before),
            after=jsonable(after),
            reason=reason,
            request_id=current_request_id(),
            state=state,
            row_deleted=deleted,
            prev_hash=head.last_hash,
        )
        event.hash = event_digest(event.prev_hash, _content(event))
        event.save()
        head.last_seq, head.last_hash = event.seq, event.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return event


@dataclass
class Pending:
    """One event for ``record_many`` (same meaning as ``record``'s arguments)."""

    action: str
    object_type: str
    object_id: str
    object_repr: str = ""
    region_code: str = ""
    before: Any = None
    after: Any = None
    reason: str = ""
    state: Any = None
    deleted: bool = False

    @classmethod
    def of(cls, obj: Any, action: str, *, before: Any = None, after: Any = None, reason: str = "",
           deleted: bool = False, region_code: str | None = None, object_repr: str | None = None) -> Pending:
        """The event of a write to ``obj`` (saved; not yet deleted when ``deleted``), with its state.

        ``region_code`` and ``object_repr`` save the per-row lookups of ``audit_region_code`` and
        ``str(obj)`` (which may follow foreign keys) in bulk writes."""
        tracked = spec_for(obj) is not None
        if region_code is None:
            region_code = getattr(obj, "audit_region_code", None) or ""
        return cls(
            action=action, object_type=obj._meta.label_lower, object_id=str(obj.pk),
            object_repr=(str(obj) if object_repr is None else object_repr)[:255], region_code=region_code, before=before, after=after, reason=reason,
            state=capture(obj) if tracked and not deleted else None, deleted=deleted,
        )


def record_many(actor: Any, events: list[Pending], batch_size: int = 2000) -> int:
    """Append many events in one locked pass (bulk imports). Same chain as ``record``."""
    if not events:
        return 0
    rid = current_request_id()
    actor_obj = actor if getattr(actor, "pk", None) else None
    actor_name = getattr(actor, "username", "") or (actor if isinstance(actor, str) else "system")
    with transaction.atomic():
        head, _ = ChainHead.objects.select_for_update().get_or_create(pk=1)
        seq, prev, now = head.last_seq, head.last_hash, wall_clock()
        rows = []
        for p in events:
            seq += 1
            e = AuditEvent(
                seq=seq, at=now, actor=actor_obj, actor_name=actor_name, action=p.action,
                object_type=p.object_type, object_id=p.object_id, object_repr=p.object_repr[:255],
                region_code=p.region_code, before=jsonable(p.before), after=jsonable(p.after),
                reason=p.reason, request_id=rid, state=p.state, row_deleted=p.deleted, prev_hash=prev,
            )
            e.hash = prev = event_digest(prev, _content(e))
            rows.append(e)
        AuditEvent.objects.bulk_create(rows, batch_size=batch_size)
        head.last_seq, head.last_hash = seq, prev
        head.save(update_fields=["last_seq", "last_hash"])
    return len(rows)


def record_rows(
    actor: Any, action: str, rows: Any, *, reason: str = "", after: Any = None, region_code: str | None = None
) -> int:
    """One event per row of ``rows`` with the state the row has now in the database.

    For bulk writes (``bulk_create``, ``bulk_update``, ``queryset.update``) that skip ``save``:
    ``rows`` is a queryset or a list of saved instances (re-read by pk, so values set by the database
    are what is recorded). Call it after the write, in the same transaction.
    """
    if isinstance(rows, list):
        if not rows:
            return 0
        model = type(rows[0])
        pks = [r.pk for r in rows]
        querysets = [model._base_manager.filter(pk__in=pks[i:i + 1000]) for i in range(0, len(pks), 1000)]
    else:
        querysets = [rows]
    events = [
        Pending.of(obj, action, after=after, reason=reason, region_code=region_code,
                   object_repr=f"{obj._meta.verbose_name} #{obj.pk}")
        for qs in querysets for obj in qs.order_by("pk").iterator(chunk_size=1000)
    ]
    return record_many(actor, events)


def record_deletions(actor: Any, action: str, rows: Any, *, reason: str = "") -> int:
    """One deletion event per row of the queryset ``rows``; call it just before deleting them in bulk."""
    events = [
        Pending.of(obj, action, reason=reason, deleted=True, region_code="", object_repr=f"{obj._meta.verbose_name} #{obj.pk}")
        for obj in rows.order_by("pk").iterator(chunk_size=1000)
    ]
    return record_many(actor, events)


def accept_row(actor: Any, label: str, pk: str, reason: str) -> AuditEvent:
    """Record the current values of a row that differs from the chain as its state (``audit.accept``).

    For an administrator who has examined a difference that ``audit verify`` reported and decided to
    keep the values found; the event (who, why, the values) stays in the chain for the auditors.
    Restoring the recorded values instead needs no command: write them back and verify passes.
    """
    from django.apps import apps

    from spotcheck.base.transactions import atomic_action

    reason = (reason or "").strip()
    if not reason:
        raise ValueError("请用 --reason 说明为什么接受这些值（记入审计链）")
    if label not in TRACKED:
        raise ValueError(f"{label} 不是受审计核对的表（见 spotcheck/audit/state.py）")
    model = apps.get_model(label)
    obj = model._base_manager.filter(pk=model._meta.pk.to_python(pk)).first()
    with atomic_action():
        if obj is None:
            return record(actor, "audit.accept", object_type=label, object_id=str(pk), deleted=True, reason=reason)
        from .guard import mark_written

        mark_written(model, obj.pk)
        return record(actor, "audit.accept", obj, reason=reason, region_code="")


def record_cascade(actor: Any, obj: Any, *, reason: str = "") -> int:
    """Deletion events for the rows of tracked tables that deleting ``obj`` removes with it (CASCADE).

    Call just before ``obj.delete()``; ``obj``'s own event is the caller's."""
    from django.db import router
    from django.db.models.deletion import Collector

    collector = Collector(using=router.db_for_write(type(obj)))
    collector.collect([obj])
    pending: list[Pending] = []
    for model, instances in collector.data.items():
        if spec_for(model) is None:
            continue
        for inst in instances:
            if model is type(obj) and inst.pk == obj.pk:
                continue
            pending.append(Pending.of(inst, "delete.cascade", reason=reason, deleted=True, region_code="",
                                      object_repr=f"{model._meta.verbose_name} #{inst.pk}"))
    for qs in collector.fast_deletes:
        if spec_for(qs.model) is not None:
            pending += [Pending.of(inst, "delete.cascade", reason=reason, deleted=True, region_code="",
                                   object_repr=f"{inst._meta.verbose_name} #{inst.pk}") for inst in qs]
    return record_many(actor, pending)


@dataclass
class ChainReport:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def verify_chain(batch: int = 5000, *, start_seq: int = 0, start_hash: str = GENESIS) -> ChainReport:
    """Recompute every hash in sequence order; report the first event that does not match.

    ``start_seq``/``start_hash``: begin after an event already known to be good (a checkpoint)."""
    prev = start_hash
    expected_seq = start_seq + 1
    checked = start_seq
    # plain rows (named tuples) instead of model instances: a third of the time on 500,000 events
    qs = AuditEvent.objects.order_by("seq").values_list(*_CHAIN_FIELDS, named=True)
    last_seq = start_seq
    while True:
        rows = list(qs.filter(seq__gt=last_seq)[:batch])
        if not rows:
            break
        for e in rows:
            if e.seq != expected_seq:
                return ChainReport(False, checked, expected_seq, f"缺少第 {expected_seq} 号事件（链条断开）")
            if e.prev_hash != prev:
                return ChainReport(False, checked, e.seq, f"第 {e.seq} 号事件的前序哈希与上一事件不符")
            if event_digest(prev, _content(e)) != e.hash:
                return ChainReport(False, checked, e.seq, f"第 {e.seq} 号事件内容已被改动（哈希不符）")
            prev = e.hash
            expected_seq += 1
            checked += 1
            last_seq = e.seq
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev):
        return ChainReport(False, checked, checked + 1, "链尾记录与事件表不一致（可能有事件被删除）")
    return ChainReport(True, checked)


# --- personal-data key rotation (spotcheck/base/crypto.py) ----------------------------------------

REENCRYPT_REASON = "个人信息加密密钥轮换：用当前密钥 {kid}（{cipher}）重新加密，明文不变"


@base_action
def reencrypt_batch(actor: Any, label: str, *, size: int = 500) -> int:
    """Re-encrypt up to ``size`` rows of the table ``label`` that hold a value not under the current key and
    cipher, recompute their digests, and record one ``keys.reencrypt`` event per row (its new state: the
    token's fingerprint changes, the plaintext does not). Returns the number of rows written (0: table done).

    One batch is one durable transaction, so a rotation stopped half-way keeps what it did and the next run
    continues with the rows still under an older key (idempotent). A row that differs from its recorded state
    is refused (``TamperedRow``) as by any other write, so re-encryption never launders a direct change.
    """
    from django.apps import apps

    from spotcheck.base import crypto
    from spotcheck.base.fields import encrypted_fields, prepare_bulk, stale_filter

    from .guard import check_rows, mark_written

    model = apps.get_model(label)
    header = crypto.current_header()
    annotations, stale = stale_filter(model, header)
    pks = list(model._base_manager.annotate(**annotations).filter(stale).order_by("pk")
               .values_list("pk", flat=True)[:size])
    if not pks:
        return 0
    if spec_for(model) is not None:
        check_rows(model, pks)
    rows = list(model._base_manager.filter(pk__in=pks).order_by("pk"))  # decrypts with the older keys
    names = [f.name for f in encrypted_fields(model)]
    for obj in rows:
        for name in names:
            value = getattr(obj, name)
            setattr(obj, name, str(value) if value else value)  # plaintext again: sealed anew, current key
        mark_written(model, obj.pk)
    model._base_manager.bulk_update(rows, prepare_bulk(rows, names))
    if spec_for(model) is not None:
        ring = crypto.keyring()
        record_rows(actor, "keys.reencrypt", rows, after={"key_id": ring.current},
                    reason=REENCRYPT_REASON.format(kid=ring.current, cipher=header.split(":")[0]))
    return len(rows)
