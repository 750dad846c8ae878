"""Every write of 系统数据检查: import a batch, run the screening, flag institutions for 重点监控.

Each function checks the actor's permission (``change``) and area, writes in one transaction and
appends an audit event (``spotcheck.audit.actions.record``). Refusals raise ``PermissionDenied``,
:class:`ActionRefused` or :class:`~spotcheck.screening.io.ImportFailed`; nothing is half-written.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import connection

from spotcheck.audit.actions import record
from spotcheck.base.actions import ActionRefused, action, atomic_action, user_of
from spotcheck.base.scope import require
from spotcheck.directory.models import Institution

from . import io, runner
from .models import ClaimBatch, FeeItem, Hit, ScreeningRun, Settlement, Visit
from .params import BadParameter, all_settings
from .params import check as check_params
from .rules import RULE_NAMES

BULK = 5000


def _check(actor: Any, action: str) -> None:
    """``actor`` is a user (checked) or a string naming the CLI/system (trusted)."""
    if isinstance(actor, str):
        return
    require(actor, action)


def _in_scope(actor: Any) -> Callable[[str], bool] | None:
    if isinstance(actor, str):
        return None
    return actor.in_scope


def _insert(model: Any, batch_id: int, rows: list[dict[str, Any]]) -> None:
    """``COPY`` (PostgreSQL) or plain ``executemany`` of already checked rows (bulk_create on SQLite is
    limited to 999 parameters per statement and prepares every value through the field: ~10x slower
    at a million rows)."""
    if not rows:
        return
    names = list(rows[0])
    fields = [model._meta.get_field(n) for n in names]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = (f"INSERT INTO {table} ({connection.ops.quote_name('batch_id')}, {columns}) "
           f"VALUES ({', '.join(['%s'] * (len(fields) + 1))})")
    if connection.vendor == "sqlite":  # Decimal and date have adapters (Django's); datetimes go as UTC text
        stamps = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    elif connection.vendor == "postgresql":
        stamps = []
    else:  # any other backend: Django's own preparation of every value
        prep = [(lambda field: lambda v: field.get_db_prep_save(v, connection))(f) for f in fields]

        def convert(row: list[Any]) -> list[Any]:
            return [p(v) for p, v in zip(prep, row, strict=True)]
    if connection.vendor == "postgresql":  # COPY: several times faster than executemany
        with connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {table} ({connection.ops.quote_name('batch_id')}, {columns}) FROM STDIN") as copy:
            for r in rows:
                copy.write_row((batch_id, *r.values()))
        return
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BULK):
            params = [[batch_id, *r.values()] for r in rows[start:start + BULK]]
            if connection.vendor == "sqlite":
                for row in params:
                    for i in stamps:
                        if row[i + 1] is not None:
                            row[i + 1] = _sqlite_datetime(row[i + 1])
            elif connection.vendor != "postgresql":
                params = [[r[0], *convert(r[1:])] for r in params]
            cursor.executemany(sql, params)


def _sqlite_datetime(value: Any) -> str:
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")


@action
def import_batch(actor: Any, sources: list[io.Source], period: str) -> ClaimBatch:
    """Parse and check the three tables, then write them (all or nothing)."""
    _check(actor, "change")
    if not io.PERIOD_RE.match(period or ""):
        raise io.ImportFailed([f"数据期间“{period}”格式不正确，应为 YYYY-MM（如 2023-10）"])
    institutions = {code: (pk, region) for pk, code, region in
                    Institution.objects.values_list("pk", "fixmedins_code", "region_id")}
    tables = {"mdtrt_d": Visit, "setl_d": Settlement, "fee_list_d": FeeItem}
    with atomic_action():
        batch = ClaimBatch.objects.create(
            period=period, source="、".join(s.filename for s in sources)[:500], imported_by=user_of(actor),
        )
        # rows are written while they are read; any error raises ImportFailed and rolls everything back
        parsed = io.parse_sources(sources, institutions, _in_scope(actor),
                                  sink=lambda table, rows: _insert(tables[table], batch.pk, rows))
        batch.visit_count, batch.settlement_count, batch.fee_count = (parsed.counts[t] for t in io.TABLES)
        batch.regions, batch.region_counts = parsed.regions, parsed.region_counts
        batch.save(update_fields=["visit_count", "settlement_count", "fee_count", "regions", "region_counts"])
        record(actor, "screening.import", batch, after={
            "period": period, "source": batch.source, "visits": batch.visit_count,
            "settlements": batch.settlement_count, "fees": batch.fee_count, "regions": parsed.regions,
        })
    return batch


def run_screening(actor: Any, batch: ClaimBatch, progress: Callable[[str], None] | None = None) -> ScreeningRun:
    """Run every rule over ``batch`` with the parameters in force today; store the run and its hits.

    The rules read the (immutable) claims outside any transaction, so a background job's ``progress``
    is visible while they run; the run and its hits are then written by one action (``_store_run``).
    Called inside another action (the demo generator), all of it is part of that action's transaction."""
    _check(actor, "change")
    if not isinstance(actor, str) and not ClaimBatch.objects.restrict(actor, "change").filter(pk=batch.pk).exists():
        raise PermissionDenied("该批次不在您的管辖范围内")
    params = all_settings()
    try:
        check_params(params)
    except BadParameter as exc:
        raise ActionRefused(str(exc))
    findings = runner.screen(batch, params, progress)
    return _store_run(actor, batch, params, findings)


@action
def _store_run(actor: Any, batch: ClaimBatch, params: dict[str, Any], findings: list[Any]) -> ScreeningRun:
    """Write a run of ``batch`` with its hits and its audit event (one durable transaction)."""
    inst_ids = dict(Institution.objects.filter(
        fixmedins_code__in={f.fixmedins_code for f in findings}).values_list("fixmedins_code", "pk"))
    regions = dict(Institution.objects.filter(pk__in=inst_ids.values()).values_list("pk", "region_id"))
    counts: Counter[str] = Counter()
    amounts: dict[str, Decimal] = defaultdict(Decimal)
    for f in findings:
        counts[f.rule] += 1
        amounts[f.rule] += f.amount
    total = sum(amounts.values(), Decimal(0))
    run = ScreeningRun.objects.create(
        batch=batch, run_by=user_of(actor),
        run_by_name=getattr(actor, "username", "") or (actor if isinstance(actor, str) else "system"),
        parameters=params, counts={r: counts.get(r, 0) for r in RULE_NAMES},
        amounts={r: str(amounts.get(r, Decimal("0.00"))) for r in RULE_NAMES},
        hit_count=len(findings), amount_total=total,
    )
    Hit.objects.bulk_create((
        Hit(run=run, rule=f.rule, institution_id=inst_ids[f.fixmedins_code],
            region_code=regions[inst_ids[f.fixmedins_code]], mdtrt_id=f.mdtrt_id, fee_ids=list(f.fee_ids),
            setl_ids=list(f.setl_ids), psn_no=f.psn_no, day=f.day, amount=f.amount, explanation=f.explanation)
        for f in findings
    ), batch_size=BULK)
    record(actor, "screening.run", run, region_code=batch.audit_region_code, after={
        "batch": batch.pk, "hits": len(findings), "amount": total, "counts": run.counts, "parameters": params,
    })
    return run


@action
def flag_institutions(actor: Any, run: ScreeningRun, institutions: list[Institution], reason: str) -> int:
    """标记为重点监控: set ``risk_flag`` on each institution (in the actor's area), one audit event each."""
    _check(actor, "change")
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("请填写标记为重点监控的理由")
    if not institutions:
        raise ActionRefused("请至少选择一家机构")
    changed = 0
    with atomic_action():
        for inst in Institution.objects.select_for_update().filter(pk__in=[i.pk for i in institutions]):
            if not isinstance(actor, str):
                require(actor, "change", inst.region_id)
            if inst.risk_flag:
                continue
            inst.risk_flag = True
            inst.save(update_fields=["risk_flag", "updated_at"])
            record(actor, "institution.risk_flag", inst, before={"risk_flag": False}, after={"risk_flag": True},
                   reason=f"系统数据检查（筛查 {run.pk}）：{reason}")
            changed += 1
    return changed
