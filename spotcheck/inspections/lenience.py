"""The lenience engine over the database: the editable lists, the policy threshold and the history.

:func:`apply_recommendation` fills a :class:`~spotcheck.inspections.models.Finding`'s recommendation
fields (without saving) from :func:`spotcheck.core.lenience.recommend`, fed with

- the active :class:`LenienceEntry` rows (:func:`entries_from_db`),
- the policy threshold ``lenience.amount_threshold`` and the active circumstances (:func:`params_on`),
- the number of earlier findings of the same act against the same institution within the policy
  lookback window ``lenience.first_offence_lookback_months`` (:func:`earlier_same_act_count`).

The product recommends; a person decides (``core.lenience.deviation_requires_reason``).
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from spotcheck import policy
from spotcheck.core.lenience import (
    Circumstance,
    Condition,
    Entry,
    FindingFacts,
    LenienceParams,
    Recommendation,
    act_article,
    describe_conditions,
    recommend,
)

if TYPE_CHECKING:
    from spotcheck.directory.models import Institution

    from .models import Finding

__all__ = [
    "apply_recommendation",
    "earlier_same_act_count",
    "entries_from_db",
    "entry_snapshot",
    "finding_day",
    "months_before",
    "params_on",
]


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if not isinstance(raw, list):
        raise ValueError(f"{where}的适用情形格式错误：应为列表")
    try:
        return tuple(Condition(item["kind"], item.get("article", "") or "") for item in raw)
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{where}的适用情形格式错误：{raw!r}") from exc


def _entry(row: Any) -> Entry:
    where = f"《{row.kind}事项清单》第 {row.number} 项"
    return Entry(
        kind=row.kind,
        number=row.number,
        act_code=row.act_code,
        act_text=row.act_text,
        setting_basis=row.setting_basis,
        basis=row.basis,
        conditions=_conditions(row.conditions, where),
    )


def entries_from_db() -> list[Entry]:
    """The active lenience entries as :class:`~spotcheck.core.lenience.Entry` (list, number order).

    ``ValueError`` (Chinese, naming the row) if a stored row is malformed.
    """
    from .models import LenienceEntry

    return [_entry(row) for row in LenienceEntry.objects.filter(active=True).order_by("kind", "number", "id")]


def _threshold(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"政策参数 lenience.amount_threshold 不是有效金额：{value!r}") from exc
    return amount


def params_on(day: dt.date | None = None) -> LenienceParams:
    """Threshold in force on ``day`` (policy ``lenience.amount_threshold``, as Decimal) and the
    active circumstances of the 裁量基准 table."""
    from .models import LenienceCircumstance

    threshold = _threshold(policy.get("lenience.amount_threshold", on=day))
    circumstances = tuple(
        Circumstance(c.code, c.article, c.text) for c in LenienceCircumstance.objects.filter(active=True)
    )
    return LenienceParams(amount_threshold=threshold, circumstances=circumstances)


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` minus ``months`` calendar months, clamped to the month's last day (03-31 − 1 → 02-28)."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def finding_day(inspection: Any) -> dt.date:
    """The day a finding of ``inspection`` counts as found: end of check, else start, else creation/today."""
    if inspection.ended_on:
        return inspection.ended_on
    if inspection.started_on:
        return inspection.started_on
    if inspection.created_at:
        return timezone.localdate(inspection.created_at)
    return timezone.localdate()


def earlier_same_act_count(
    institution: Institution | int,
    act_code: str,
    before: dt.date,
    *,
    exclude: Finding | None = None,
) -> int:
    """Findings of ``act_code`` against ``institution`` whose inspection's check ended (or, with no
    end date, was created) in the lookback window ``[before − N months, before)``, N = policy
    ``lenience.first_offence_lookback_months`` on ``before``.

    ``exclude``: the finding being assessed; it and the other findings of its own inspection (found
    at the same time, so not *earlier*) are left out. Voided findings (作废) never count.
    """
    from .models import Finding

    months = int(policy.get("lenience.first_offence_lookback_months", on=before))
    start = months_before(before, months)
    institution_id = getattr(institution, "pk", institution)
    in_window = Q(inspection__ended_on__isnull=False, inspection__ended_on__gte=start, inspection__ended_on__lt=before)
    in_window |= Q(
        inspection__ended_on__isnull=True,
        inspection__created_at__date__gte=start,
        inspection__created_at__date__lt=before,
    )
    qs = Finding.objects.counted().filter(in_window, inspection__institution_id=institution_id,
                                          act_code=act_code)
    if exclude is not None:
        if exclude.pk is not None:
            qs = qs.exclude(pk=exclude.pk)
        if exclude.inspection_id is not None:
            qs = qs.exclude(inspection_id=exclude.inspection_id)
    return qs.count()


def entry_snapshot(entry: Entry, params: LenienceParams) -> dict[str, Any]:
    """The entry as kept on the finding (the list may be edited later)."""
    return {
        "list": str(entry.kind),
        "number": entry.number,
        "act_code": entry.act_code,
        "act_text": entry.act_text,
        "setting_basis": entry.setting_basis,
        "basis": entry.basis,
        "conditions": describe_conditions(entry, params),
        "condition_rules": [{"kind": str(c.kind), "article": c.article} for c in entry.conditions],
    }


def _amount(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if value is None or value == "":
        raise ValueError("涉及金额（元）不能为空")
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"涉及金额（元）不是有效金额：{value!r}") from exc


def apply_recommendation(finding: Finding, *, on: dt.date | None = None) -> Recommendation:
    """Fill (without saving) ``finding``'s ``act_code``/``article`` (from its violation type when
    blank), ``earlier_same_act_count``, ``recommended_treatment``, ``recommended_entry``,
    ``recommendation`` and ``statutory_range``; return the :class:`Recommendation`.

    ``on``: the day the finding counts as found (default: :func:`finding_day` of its inspection);
    policy values in force that day apply. Works for an unsaved finding with ``inspection`` and
    ``violation_type`` set. ``ValueError`` (Chinese) for bad data (unknown circumstance code…).
    """
    violation_type = finding.violation_type
    if not finding.act_code:
        finding.act_code = violation_type.act_code
    if not finding.article:
        finding.article = act_article(finding.act_code) if finding.act_code else violation_type.article
    inspection = finding.inspection
    day = on or finding_day(inspection)
    count = earlier_same_act_count(inspection.institution_id, finding.act_code, day, exclude=finding)
    finding.earlier_same_act_count = count
    params = params_on(day)
    facts = FindingFacts(
        act_code=finding.act_code,
        amount=_amount(finding.amount),
        corrected_on_site=bool(finding.corrected_on_site),
        earlier_same_act_count=count,
        circumstances=frozenset(finding.circumstances or ()),
    )
    result = recommend(facts, entries_from_db(), params)
    finding.recommended_treatment = str(result.treatment)
    finding.recommended_entry = entry_snapshot(result.entry, params) if result.entry else None
    finding.recommendation = result.explanation
    finding.statutory_range = result.statutory.note
    return result
