"""The baseline of the data check: one event per existing row that has none.

Used once, by the migration that introduced the data check (``0004_baseline_state``), so that an
installation upgraded from a version whose events did not carry row states starts verifiable: the
chain then vouches for the rows *as they were at the upgrade*, not for how they got there.

Deliberately not a command: run later, it would let an insider legitimise a row inserted behind
the application. It covers only rows without any state-carrying event, so it can never overwrite a
recorded state either.
"""

from __future__ import annotations

from typing import Any

from .actions import _content, event_digest, wall_clock
from .state import TRACKED, capture

REASON = "启用数据校验：记录升级时已有数据的状态（此前的变更只由原有事件说明）"


def record_baseline(apps: Any, batch: int = 1000) -> int:
    """Append a ``baseline`` event for every row of a tracked table without a state event."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    head, _ = ChainHead.objects.get_or_create(pk=1)
    seq, prev, now = head.last_seq, head.last_hash, wall_clock()
    written = 0
    for label, spec in TRACKED.items():
        app_label, model_name = label.split(".")
        try:
            model = apps.get_model(app_label, model_name)
        except LookupError:
            continue
        known = set(
            AuditEvent.objects.filter(object_type=label, state__isnull=False).values_list("object_id", flat=True)
        )
        rows = []
        for obj in model._base_manager.order_by("pk").iterator(chunk_size=batch):
            if str(obj.pk) in known:
                continue
            seq += 1
            e = AuditEvent(
                seq=seq, at=now, actor=None, actor_name="system", action="audit.baseline", object_type=label,
                object_id=str(obj.pk), object_repr=str(obj.pk), region_code="", before=None, after=None,
                reason=REASON, request_id="", state=capture(obj, spec), row_deleted=False, prev_hash=prev,
            )
            e.hash = prev = event_digest(prev, _content(e))
            rows.append(e)
            if len(rows) >= batch:
                AuditEvent.objects.bulk_create(rows)
                written += len(rows)
                rows = []
        AuditEvent.objects.bulk_create(rows)
        written += len(rows)
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return written


def record_states(apps: Any, label: str, pks: list[Any], action: str, reason: str, batch: int = 1000, *,
                  plain: bool = False) -> int:
    """Append one event with the current state of each row ``pks`` of the tracked table ``label``.

    For data migrations that change rows of record (``apps`` is the migration's registry): the chain then
    vouches for the rows as the migration left them, so ``audit verify`` stays clean. The states are read
    from the database as :func:`audit.state.capture_values` does (encrypted fields as fingerprints of their
    tokens, never decrypted); with ``plain`` (a migration back to plain columns) as the values they now hold.
    Returns the number of events.
    """
    from .state import capture_values, state_fields, state_select

    if not pks:
        return 0
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    app_label, model_name = label.split(".")
    model = apps.get_model(app_label, model_name)
    spec = TRACKED[label]
    fields = state_fields(model, spec)
    pk_name = model._meta.pk.attname
    plain_fields = [f.attname for f in fields] if plain else []

    def _state(values: tuple[Any, ...]) -> dict[str, Any]:
        state = capture_values(fields, values, spec)
        if plain:  # the columns hold plaintext again: recorded as an ordinary CharField would be
            state.update({n: v for n, v in zip(plain_fields, values, strict=True) if n in _encrypted})
        return state

    from spotcheck.base.fields import encrypted_fields

    _encrypted = {f.attname for f in encrypted_fields(model)}
    head, _ = ChainHead.objects.get_or_create(pk=1)
    seq, prev, now = head.last_seq, head.last_hash, wall_clock()
    written = 0
    for i in range(0, len(pks), batch):
        rows = []
        chunk = model._base_manager.filter(pk__in=pks[i:i + batch]).order_by(pk_name)
        for row in chunk.values_list(pk_name, *state_select(fields)):
            seq += 1
            e = AuditEvent(
                seq=seq, at=now, actor=None, actor_name="system", action=action, object_type=label,
                object_id=str(row[0]), object_repr=str(row[0]), region_code="", before=None, after=None,
                reason=reason, request_id="", state=_state(row[1:]), row_deleted=False,
                prev_hash=prev,
            )
            e.hash = prev = event_digest(prev, _content(e))
            rows.append(e)
        AuditEvent.objects.bulk_create(rows)
        written += len(rows)
    head.last_seq, head.last_hash = seq, prev
    head.save(update_fields=["last_seq", "last_hash"])
    return written
