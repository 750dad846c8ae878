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

import contextlib
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import connection, models, transaction
from django.db.models import Max

from .actions import ChainReport, verify_chain
from .models import AuditEvent
from .state import TRACKED, Tracked, capture_values, field_value, m2m_lists, state_fields, state_select

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

    @property
    def found_text(self) -> str:
        return _plain(self.found)

    @property
    def recorded_text(self) -> str:
        return _plain(self.recorded)

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


def _plain(value: Any) -> str:
    """A value as a person reads it (是/否, 空), at most 80 characters."""
    if value is None or value == "":
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value)
    return text[:80] + ("…" if len(text) > 80 else "")


def _show(value: Any) -> str:
    """:func:`_plain` in quotes, for a sentence ("空" stays bare)."""
    text = _plain(value)
    return text if value is None or value == "" else f"“{text}”"


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


def _newest(label: str) -> Any:
    """Per object of ``label``: the sequence number of its newest state-carrying event (a subquery)."""
    return (
        AuditEvent.objects.filter(object_type=label)
        .filter(models.Q(state__isnull=False) | models.Q(row_deleted=True))
        .values("object_id")
        .annotate(m=Max("seq"))
        .values("m")
    )


def _latest_states(label: str, ids: list[str]) -> dict[str, tuple[int, Any, bool]]:
    """object_id → (seq, state, deleted) of the newest state-carrying event of each object in ``ids``."""
    if not ids:
        return {}
    newest = _newest(label).filter(object_id__in=ids)
    return {
        oid: (seq, state, deleted)
        for oid, seq, state, deleted in AuditEvent.objects.filter(seq__in=models.Subquery(newest)).values_list(
            "object_id", "seq", "state", "row_deleted")
    }


def _rows(model: type[models.Model], names: list[str]) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``model`` as ``(pk, *names)`` tuples, in primary-key batches."""
    pk = model._meta.pk.attname
    last: Any = None
    qs = model._base_manager.order_by(pk).values_list(pk, *names)  # names: state_select (raw tokens)
    while True:
        chunk = list((qs.filter(**{f"{pk}__gt": last}) if last is not None else qs)[:BATCH])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0]


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
    fields = state_fields(model, spec)
    names = [f.attname for f in fields]
    labels = {f.attname: str(getattr(f, "verbose_name", f.attname)) for f in fields}
    labels.update({name: str(model._meta.get_field(name).verbose_name) for name in spec.m2m})
    choices = {f.attname: {k: str(v) for k, v in f.flatchoices} for f in fields if f.choices}
    key_index = names.index(spec.key) if spec.key in names else None  # (the business key is never encrypted)
    key_label = _key_label(model, spec)
    matched = 0  # rows whose newest event says they exist

    def add(diff: Difference) -> bool:
        if len(report.differences) >= limit:
            report.more = True
            return False
        report.differences.append(diff)
        return True

    # rows → chain
    for chunk in _rows(model, state_select(fields)):
        ids = [str(row[0]) for row in chunk]
        latest = _latest_states(spec.label, ids)
        related = m2m_lists(model, spec, [row[0] for row in chunk]) if spec.m2m else {}
        for row, oid in zip(chunk, ids, strict=True):
            report.rows += 1
            key = f"{key_label} {row[0] if key_index is None else row[1 + key_index]}"
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
            matched += 1
            current = capture_values(fields, row[1:], spec)
            for name in spec.m2m:
                current[name] = related[name].get(row[0], [])
            for name, value in current.items():
                recorded = state.get(name, _MISSING) if isinstance(state, dict) else _MISSING
                if recorded is _MISSING:
                    recorded = [] if name in spec.m2m else _default_state(model, spec, name)
                if recorded != value:
                    if recorded is _MISSING:
                        recorded = "（无记录）"
                    if name in choices:
                        value, recorded = choices[name].get(value, value), choices[name].get(recorded, recorded)
                    if not add(Difference(table, spec.label, oid, key, "changed", name, labels.get(name, name),
                                          value, recorded, seq)):
                        return
                    break

    # chain → rows: as many objects alive in the chain as rows matched, else find the missing ones
    alive = AuditEvent.objects.filter(seq__in=models.Subquery(_newest(spec.label)), row_deleted=False)
    if alive.count() == matched:
        return
    pk = model._meta.pk
    last_seq = 0
    while True:
        chunk = list(alive.filter(seq__gt=last_seq).order_by("seq").values_list("object_id", "seq", "state")[:BATCH])
        if not chunk:
            return
        last_seq = chunk[-1][1]
        present = {str(v) for v in model._base_manager.filter(
            pk__in=[pk.to_python(oid) for oid, _, _ in chunk]).values_list(pk.attname, flat=True)}
        for oid, seq, state in chunk:
            if oid not in present:
                value = state.get(spec.key, oid) if isinstance(state, dict) and spec.key != "pk" else oid
                if not add(Difference(table, spec.label, oid, f"{key_label} {value}", "deleted", last_seq=seq)):
                    return


def _key_label(model: type[models.Model], spec: Tracked) -> str:
    if spec.key == "pk":
        return "编号"
    return str(model._meta.get_field(spec.key).verbose_name)



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


@contextlib.contextmanager
def _read_snapshot() -> Iterator[None]:
    """Both passes read one consistent state of the database, without blocking writers.

    PostgreSQL: a read-only REPEATABLE READ transaction. SQLite (WAL): a deferred transaction, which
    holds a read snapshot (Django's own ``atomic`` would take the write lock for the whole run).
    Inside a caller's transaction (tests, an action) that transaction is the snapshot already.
    """
    if connection.in_atomic_block:
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    yield


def verify_all(limit: int = 20) -> VerifyReport:
    """The chain, then (only if the chain is intact) the data, from one consistent snapshot."""
    started = dt.datetime.now()
    with _read_snapshot():
        chain = verify_chain()
        data = verify_data(limit) if chain.ok else None
    return VerifyReport(chain, data, (dt.datetime.now() - started).total_seconds())
