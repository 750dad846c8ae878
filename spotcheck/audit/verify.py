"""``audit verify``: the chain is intact, and the tables are in the state the chain says.

Two passes, both in bounded memory (fixed-size batches, nothing proportional to the table):

1. the chain: every event's hash, in sequence order (:func:`spotcheck.audit.actions.verify_chain`);
2. the data: for every tracked table (``audit.state.TRACKED``) each row must equal the ``state`` of its
   newest state-carrying event, a row without such an event has no creating event, and an object whose
   newest event says it exists must still have its row.

A field added to a table after an object's newest event is compared with the field's default
(a migration that adds a column fills the default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Max

from .actions import ChainReport, verify_chain
from .models import AuditEvent
from .state import TRACKED, Tracked, capture, field_value

BATCH = 1000
_MISSING = object()


@dataclass
class Difference:
    """One way a table differs from the chain."""

    table: str  # the model's Chinese name
    label: str  # e.g. directory.institution
    object_id: str
    key: str  # business key (定点医药机构编码 …) or the id
    problem: str  # "changed" | "no_event" | "deleted" | "resurrected"
    field: str = ""
    field_label: str = ""
    found: Any = None
    recorded: Any = None
    last_seq: int | None = None

    def describe(self) -> str:
        where = f"{self.table} {self.key}"
        if self.problem == "changed":
            return (
                f"{where}：字段“{self.field_label}”当前为 {_show(self.found)}，审计链最后记录为 {_show(self.recorded)}"
                f"（最后一次合法变更：第 {self.last_seq} 号事件）"
            )
        if self.problem == "no_event":
            return f"{where}：数据库中有此行，但审计链中没有创建它的事件（绕过系统写入）"
        if self.problem == "deleted":
            return f"{where}：审计链记录此行存在（第 {self.last_seq} 号事件），但数据库中已没有此行（绕过系统删除）"
        return f"{where}：审计链记录此行已在第 {self.last_seq} 号事件删除，但数据库中仍有此行"


def _show(value: Any) -> str:
    if value is None:
        return "空"
    if value is _MISSING:
        return "（无记录）"
    text = str(value)
    return f"“{text[:80]}{'…' if len(text) > 80 else ''}”"


@dataclass
class DataReport:
    ok: bool
    tables: int = 0
    rows: int = 0
    differences: list[Difference] = field(default_factory=list)
    more: bool = False  # stopped collecting after ``limit`` differences


@dataclass
class VerifyReport:
    chain: ChainReport
    data: DataReport | None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.data is not None and self.data.ok


def _latest_states(label: str, ids: list[str]) -> dict[str, tuple[int, Any, bool]]:
    """object_id → (seq, state, deleted) of the newest state-carrying event of each object."""
    if not ids:
        return {}
    newest = (
        AuditEvent.objects.filter(object_type=label, object_id__in=ids)
        .filter(models.Q(state__isnull=False) | models.Q(row_deleted=True))
        .values("object_id")
        .annotate(m=Max("seq"))
        .values_list("m", flat=True)
    )
    seqs = list(newest)
    out: dict[str, tuple[int, Any, bool]] = {}
    for i in range(0, len(seqs), BATCH):
        for oid, seq, state, deleted in AuditEvent.objects.filter(seq__in=seqs[i:i + BATCH]).values_list(
            "object_id", "seq", "state", "row_deleted"
        ):
            out[oid] = (seq, state, deleted)
    return out


def _rows(model: type[models.Model]) -> Iterator[list[models.Model]]:
    pk = model._meta.pk.attname
    last: Any = None
    qs = model._base_manager.order_by(pk)
    while True:
        chunk = list((qs.filter(**{f"{pk}__gt": last}) if last is not None else qs)[:BATCH])
        if not chunk:
            return
        yield chunk
        last = getattr(chunk[-1], pk)


def _default_state(model: type[models.Model], spec: Tracked, name: str) -> Any:
    """What a field added after the newest event must hold: its default (or null), else no record."""
    f = next((c for c in model._meta.concrete_fields if c.attname == name), None)
    if f is None:
        return _MISSING
    if f.has_default():
        return field_value(f, f.get_default(), digest=name in spec.digest)
    return None if f.null else _MISSING


def _check_table(spec: Tracked, report: DataReport, limit: int) -> None:
    model = apps.get_model(spec.label)
    table = str(model._meta.verbose_name)
    labels = {f.attname: str(getattr(f, "verbose_name", f.attname)) for f in model._meta.concrete_fields}
    choices = {f.attname: {k: str(v) for k, v in f.flatchoices} for f in model._meta.concrete_fields if f.choices}
    seen_ids = 0

    def add(diff: Difference) -> bool:
        if len(report.differences) >= limit:
            report.more = True
            return False
        report.differences.append(diff)
        return True

    # rows → chain
    for chunk in _rows(model):
        ids = [str(o.pk) for o in chunk]
        latest = _latest_states(spec.label, ids)
        for obj, oid in zip(chunk, ids, strict=True):
            seen_ids += 1
            key = _key(obj, spec)
            got = latest.get(oid)
            if got is None:
                if not add(Difference(table, spec.label, oid, key, "no_event")):
                    return
                continue
            seq, state, deleted = got
            if deleted:
                if not add(Difference(table, spec.label, oid, key, "resurrected", last_seq=seq)):
                    return
                continue
            current = capture(obj, spec)
            for name, value in current.items():
                recorded = state.get(name, _MISSING) if isinstance(state, dict) else _MISSING
                if recorded is _MISSING:
                    recorded = _default_state(model, spec, name)
                if recorded != value:
                    shown = choices.get(name, {})
                    if recorded is _MISSING:
                        recorded = "（无记录）"
                    if not add(Difference(table, spec.label, oid, key, "changed", name, labels.get(name, name),
                                          shown.get(value, value), shown.get(recorded, recorded), seq)):
                        return
                    break
    report.rows += seen_ids

    # chain → rows: objects whose newest event says they exist
    pk = model._meta.pk
    last_oid = ""
    base = (
        AuditEvent.objects.filter(object_type=spec.label)
        .filter(models.Q(state__isnull=False) | models.Q(row_deleted=True))
        .values("object_id")
        .annotate(m=Max("seq"))
        .order_by("object_id")
    )
    while True:
        chunk = list(base.filter(object_id__gt=last_oid)[:BATCH])
        if not chunk:
            break
        last_oid = chunk[-1]["object_id"]
        seqs = {c["m"]: c["object_id"] for c in chunk}
        alive = {
            oid: (seq, state) for oid, seq, state in AuditEvent.objects.filter(
                seq__in=list(seqs), row_deleted=False).values_list("object_id", "seq", "state")
        }
        if not alive:
            continue
        present = {str(v) for v in model._base_manager.filter(
            pk__in=[pk.to_python(o) for o in alive]).values_list(pk.attname, flat=True)}
        for oid, (seq, state) in alive.items():
            if oid not in present:
                value = state.get(spec.key, oid) if isinstance(state, dict) and spec.key != "pk" else oid
                key = f"{_key_label(model, spec)} {value}"
                if not add(Difference(table, spec.label, oid, key, "deleted", last_seq=seq)):
                    return


def _key_label(model: type[models.Model], spec: Tracked) -> str:
    if spec.key == "pk":
        return "编号"
    return str(model._meta.get_field(spec.key).verbose_name)


def _key(obj: models.Model, spec: Tracked) -> str:
    value = obj.pk if spec.key == "pk" else getattr(obj, spec.key if spec.key != "user" else "user_id", obj.pk)
    return f"{_key_label(type(obj), spec)} {value}"


def verify_data(limit: int = 20, labels: list[str] | None = None) -> DataReport:
    """Compare every tracked table with the chain; collect at most ``limit`` differences."""
    report = DataReport(ok=True)
    for label, spec in TRACKED.items():
        if labels is not None and label not in labels:
            continue
        report.tables += 1
        _check_table(spec, report, limit)
        if report.more:
            break
    report.ok = not report.differences
    return report


def verify_all(limit: int = 20) -> VerifyReport:
    """The chain, then (only if the chain is intact) the data."""
    started = dt.datetime.now()
    chain = verify_chain()
    data = verify_data(limit) if chain.ok else None
    return VerifyReport(chain, data, (dt.datetime.now() - started).total_seconds())
