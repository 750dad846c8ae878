"""Credit scoring and grading of 医疗保障信用主体 (seed 附件3), with a configurable, versioned model.

A score starts at the model's ``base``; every record that counts on the evaluation date adds its
rule's points (守信信息 positive, 不良信息 negative); the total is clamped to ``floor..ceiling`` and
mapped to a grade by the thresholds. A counting record of a ``severe_types`` type (严重失信) makes the
grade the lowest one whatever the score. Every :class:`Evaluation` carries the model version and an
explanation whose points add up to the score, so a grade can be reproduced and explained later.

A record counts on ``as_of`` when it was recorded on or before ``as_of``, ``as_of`` is within its
validity period (``valid_until`` inclusive, None = open-ended), it had not been repaired
(信用修复) by ``as_of`` and it had not been withdrawn (``withdrawn_on``: superseded by a correction
or closed, e.g. a penalty executed) by ``as_of``. Records recorded after ``as_of`` are ignored; expired or repaired ones are
listed in the explanation with 0 points.

The numbers of :data:`DEFAULT_MODEL` are defaults for a setting, not policy in code. Pure Python.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

__all__ = [
    "DEFAULT_MODEL",
    "Contribution",
    "CreditRecordFacts",
    "Evaluation",
    "MODELS",
    "Rule",
    "ScoringModel",
    "evaluate",
    "model_from_dict",
    "model_to_dict",
]


@dataclass(frozen=True)
class Rule:
    """Points for one record type, optionally per severity (``severity`` None = any severity)."""

    record_type: str
    severity: str | None
    points: int
    label: str  # Chinese, shown in the explanation


@dataclass(frozen=True, kw_only=True)
class ScoringModel:
    """A versioned scoring model.

    ``thresholds``: ``(min_score, grade)`` pairs, best grade first, strictly decreasing min scores;
    the last one must not exceed ``floor`` so that every score gets a grade, and it is the grade of
    ``severe_types`` records. A rule for ``(type, severity)`` wins over ``(type, None)``.
    """

    version: str
    rules: Sequence[Rule]
    thresholds: Sequence[tuple[int, str]]
    severe_types: Set[str] = frozenset()
    base: int = 100
    floor: int = 0
    ceiling: int = 110

    def __post_init__(self) -> None:
        object.__setattr__(self, "rules", tuple(self.rules))
        object.__setattr__(self, "thresholds", tuple((int(m), g) for m, g in self.thresholds))
        object.__setattr__(self, "severe_types", frozenset(self.severe_types))
        mins = [m for m, _ in self.thresholds]
        if not mins or any(a <= b for a, b in zip(mins, mins[1:], strict=False)):
            raise ValueError("信用等级分数线必须按从高到低排列且互不相同")
        if len(set(self.grades)) != len(self.grades):
            raise ValueError("信用等级名称重复")
        if mins[-1] > self.floor:
            raise ValueError(f"最低等级的分数线 {mins[-1]} 不能高于分数下限 {self.floor}")
        if not self.floor <= self.base <= self.ceiling:
            raise ValueError("基础分必须在分数下限与上限之间")
        keys = [(r.record_type, r.severity) for r in self.rules]
        if len(keys) != len(set(keys)):
            raise ValueError("评分规则重复（同一信息类型与严重程度只能有一条）")
        for record_type in self.severe_types:
            rules = [r for r in self.rules if r.record_type == record_type]
            if not rules or any(r.points > 0 for r in rules):
                raise ValueError(f"严重失信类型 {record_type} 必须有扣分规则")

    @property
    def grades(self) -> tuple[str, ...]:
        """Grades from best to worst."""
        return tuple(g for _, g in self.thresholds)

    def rank(self, grade: str) -> int:
        """0 for the best grade, increasing towards the worst; ``ValueError`` for an unknown grade."""
        return self.grades.index(grade)

    def grade_for(self, score: int) -> str:
        """The grade of a score in ``floor..ceiling``."""
        return next(g for m, g in self.thresholds if score >= m)

    def rule_for(self, record_type: str, severity: str | None) -> Rule | None:
        """The rule for ``(record_type, severity)``, falling back to ``(record_type, None)``."""
        exact = fallback = None
        for rule in self.rules:
            if rule.record_type == record_type:
                if rule.severity == severity:
                    exact = rule
                elif rule.severity is None:
                    fallback = rule
        return exact or fallback


@dataclass(frozen=True)
class CreditRecordFacts:
    """One record of a credit file (守信信息 or 不良信息) as the scoring needs it."""

    record_id: str
    record_type: str
    recorded_on: date
    severity: str | None = None
    valid_until: date | None = None  # last day the record counts; None = no end
    repaired_on: date | None = None  # 信用修复 effective from this day
    withdrawn_on: date | None = None  # corrected (异议更正) or closed (e.g. penalty executed) from this day

    def __post_init__(self) -> None:
        if self.valid_until is not None and self.valid_until < self.recorded_on:
            raise ValueError(f"信用信息 {self.record_id}：有效期截止日早于记录日期")


@dataclass(frozen=True)
class Contribution:
    """One line of an explanation; ``record_id`` None for the base score and adjustments."""

    record_id: str | None
    label: str
    points: int


@dataclass(frozen=True)
class Evaluation:
    score: int
    grade: str
    explanation: tuple[Contribution, ...]  # points sum to ``score``
    model_version: str
    severe: bool  # a 严重失信 record forced the lowest grade


def evaluate(records: Iterable[CreditRecordFacts], model: ScoringModel, as_of: date) -> Evaluation:
    """Score and grade a credit file on ``as_of`` under ``model``.

    Deterministic and independent of the order of ``records``; adding a record with negative points
    never raises the score or the grade. ``ValueError`` (naming the record) for a duplicate record id
    or a counting record whose type/severity has no rule in the model.
    """
    ordered = sorted(records, key=lambda r: (r.recorded_on, r.record_id))
    duplicates = sorted(i for i, n in Counter(r.record_id for r in ordered).items() if n > 1)
    if duplicates:
        raise ValueError("信用信息编号重复：" + "、".join(duplicates))
    lines = [Contribution(None, "基础分", model.base)]
    severe = False
    for record in ordered:
        if record.recorded_on > as_of:
            continue
        rule = model.rule_for(record.record_type, record.severity)
        label = rule.label if rule else record.record_type
        if record.withdrawn_on is not None and record.withdrawn_on <= as_of:
            lines.append(Contribution(record.record_id, f"{label}（已更正或已结案，不计分）", 0))
        elif record.repaired_on is not None and record.repaired_on <= as_of:
            lines.append(Contribution(record.record_id, f"{label}（已信用修复，不计分）", 0))
        elif record.valid_until is not None and record.valid_until < as_of:
            lines.append(Contribution(record.record_id, f"{label}（已过有效期，不计分）", 0))
        elif rule is None:
            raise ValueError(
                f"信用信息 {record.record_id}：评分模型 {model.version} 没有“{record.record_type}”"
                f"（严重程度：{record.severity or '无'}）的评分规则"
            )
        else:
            lines.append(Contribution(record.record_id, label, rule.points))
            severe = severe or record.record_type in model.severe_types
    raw = sum(line.points for line in lines)
    score = min(max(raw, model.floor), model.ceiling)
    if score != raw:
        lines.append(Contribution(None, "超出分数上下限的调整", score - raw))
    grade = model.grade_for(score)
    if severe:
        grade = model.grades[-1]
        lines.append(Contribution(None, f"存在严重失信信息，直接评为“{grade}”", 0))
    return Evaluation(score, grade, tuple(lines), model.version, severe)


_FINDING: Final = "检查发现违规问题（{}）"
_PENALTY: Final = "受到医疗保障部门行政处罚（{}）— 附件3 第八条（二）"
_SEVERITIES: Final = (("minor", "轻微"), ("moderate", "一般"), ("major", "严重"))


def _by_severity(record_type: str, label: str, points: tuple[int, int, int]) -> tuple[Rule, ...]:
    """Rules for the minor/moderate/major severities of ``record_type``."""
    pairs = zip(_SEVERITIES, points, strict=True)
    return tuple(Rule(record_type, code, p, label.format(name)) for (code, name), p in pairs)


#: Default model (a setting an admin can replace with a new version).
#:
#: Thresholds: 优秀 ≥ 95, 良好 ≥ 90, 中等 ≥ 75, 较差 ≥ 60, 差 below; base 100, clamped to 0..110.
#: Points: findings −5/−10/−15 (minor/moderate/major), penalties −15/−20/−30, unexecuted penalty
#: (第八条（一）) −25, procurement dishonesty −20, other 不良信息 −10, 严重失信 −40 and straight to 差;
#: awards +5, verified fraud reports +3, commitments and other 守信信息 +2.
#: Designed so that a clean file with one 800 元 finding (any severity) and one unexecuted penalty
#: lands in 较差: 100 − 5..15 − 25 = 60..70; one unexecuted penalty alone stays 中等 (75).
DEFAULT_MODEL: Final = ScoringModel(
    version="default-2023-1",
    rules=(
        Rule("award", None, 5, "表彰、奖励 — 附件3 第七条（一）"),
        Rule("verified_report", None, 3, "举报欺诈骗保经查实 — 附件3 第七条（二）"),
        Rule("commitment", None, 2, "主动守信承诺 — 附件3 第七条（三）"),
        Rule("other_good", None, 2, "其他守信信息 — 附件3 第七条（四）"),
        Rule("unexecuted_penalty", None, -25, "拒不履行医疗保障行政处罚或行政决定 — 附件3 第八条（一）"),
        *_by_severity("penalty", _PENALTY, (-15, -20, -30)),
        Rule("procurement", None, -20, "扰乱药品和医用耗材集中采购秩序 — 附件3 第八条（三）"),
        Rule("other_bad", None, -10, "经有关部门认定的其他失信信息 — 附件3 第八条（四）"),
        *_by_severity("finding", _FINDING, (-5, -10, -15)),
        Rule("severe_dishonesty", None, -40, "严重失信（如列入医疗保障领域严重失信名单）"),
    ),
    thresholds=((95, "优秀"), (90, "良好"), (75, "中等"), (60, "较差"), (0, "差")),
    severe_types=frozenset({"severe_dishonesty"}),
)


#: Built-in models by version; an installation adds its own (stored as :func:`model_to_dict` data).
MODELS: Final = {DEFAULT_MODEL.version: DEFAULT_MODEL}


def model_to_dict(model: ScoringModel) -> dict[str, Any]:
    """A JSON-compatible description of ``model`` (the inverse of :func:`model_from_dict`)."""
    return {
        "version": model.version,
        "base": model.base,
        "floor": model.floor,
        "ceiling": model.ceiling,
        "thresholds": [[m, g] for m, g in model.thresholds],
        "severe_types": sorted(model.severe_types),
        "rules": [
            {"record_type": r.record_type, "severity": r.severity, "points": r.points, "label": r.label}
            for r in model.rules
        ],
    }


def model_from_dict(data: Mapping[str, Any]) -> ScoringModel:
    """Build a model from :func:`model_to_dict` data; ``ValueError`` (Chinese) when it is malformed."""
    try:
        rules = [
            Rule(str(r["record_type"]), None if r.get("severity") in (None, "") else str(r["severity"]),
                 int(r["points"]), str(r.get("label") or r["record_type"]))
            for r in data["rules"]
        ]
        thresholds = [(int(m), str(g)) for m, g in data["thresholds"]]
        return ScoringModel(
            version=str(data["version"]),
            rules=rules,
            thresholds=thresholds,
            severe_types=frozenset(str(t) for t in data.get("severe_types", ())),
            base=int(data.get("base", 100)),
            floor=int(data.get("floor", 0)),
            ceiling=int(data.get("ceiling", 110)),
        )
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"评分模型格式不正确：{exc}") from exc
