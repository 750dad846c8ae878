"""包容审慎清单 (lenience lists) and the statutory penalty ranges of the 《医疗保障基金使用监督管理条例》.

The lists (seed 附件5: 减轻处罚 / 不予处罚 / 从轻处罚 / 首违不罚) map an act to a lenient treatment
under alternative conditions ("…或者…"): the single violation amount is below a threshold, the act is
found for the first time, or a circumstance of an article of the provincial 裁量基准 holds. All of it is
data the product stores and an admin edits: :data:`DEFAULT_ENTRIES` is a structured transcription of
the seed, :data:`DEFAULT_CIRCUMSTANCES` holds placeholders for the provincial articles (their text was
not found in public sources), :data:`DEFAULT_STATUTES` holds arts. 38–40 of the 条例.

Act codes read ``"<条例 article>-<slug>"`` (e.g. ``"38-duplicate-charge"``); the article selects the
statutory range. :func:`recommend` proposes a treatment; a person decides, and a decision that differs
from the recommendation needs a recorded reason (:func:`deviation_requires_reason`).

Money is :class:`~decimal.Decimal` (floats are refused). Pure Python, no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Set
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

__all__ = [
    "DEFAULT_CIRCUMSTANCES",
    "DEFAULT_ENTRIES",
    "DEFAULT_RULE_NAME",
    "DEFAULT_STATUTES",
    "PRECEDENCE",
    "Circumstance",
    "Condition",
    "ConditionKind",
    "Entry",
    "FindingFacts",
    "LenienceParams",
    "PenaltyRange",
    "Recommendation",
    "Statute",
    "Treatment",
    "act_article",
    "describe_conditions",
    "deviation_requires_reason",
    "recommend",
    "statutory_range",
]

_ZERO: Final = Decimal(0)
_ACT_CODE: Final = re.compile(r"^(\d+)-[a-z0-9]+(?:-[a-z0-9]+)*$")


class Treatment(StrEnum):
    """A recommended treatment; every value but ``STATUTORY`` is also the name of a lenience list."""

    NO_PENALTY = "不予处罚"
    FIRST_OFFENCE = "首违不罚"
    MITIGATED = "减轻处罚"  # below the statutory minimum
    LIGHTER = "从轻处罚"  # within the range, towards its lower end
    STATUTORY = "依法处罚"  # no lenience applies


#: Order in which the lists are tried: the most lenient treatment that applies wins.
PRECEDENCE: Final = (Treatment.NO_PENALTY, Treatment.FIRST_OFFENCE, Treatment.MITIGATED, Treatment.LIGHTER)


class ConditionKind(StrEnum):
    AMOUNT_BELOW_THRESHOLD = "amount_below_threshold"  # 单项违规费用小于阈值 (strictly below)
    FIRST_TIME = "first_time"  # 首次发现该项违规行为 (no earlier finding in the lookback window)
    CIRCUMSTANCE = "circumstance"  # 符合裁量基准某条规定的情形之一


def _money(value: object, what: str) -> Decimal:
    """``value`` checked to be a finite, non-negative Decimal (floats and ints are refused)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"{what}必须是 Decimal，不能是 {type(value).__name__}")
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what}必须是非负的有限金额：{value}")
    return value


def _yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} 元"


def _number(value: Decimal) -> str:
    """A multiple without exponent or trailing zeros: 1, 1.5, 10."""
    return format(value.normalize(), "f")


def act_article(act_code: str) -> int:
    """The 条例 article of an act code ``"<article>-<slug>"``; ``ValueError`` for a malformed code."""
    match = _ACT_CODE.match(act_code)
    if match is None:
        raise ValueError(f"违法行为代码“{act_code}”格式应为“条例条号-英文短名”，如 38-duplicate-charge")
    return int(match.group(1))


@dataclass(frozen=True)
class Circumstance:
    """One circumstance of the provincial 裁量基准: ``article`` (e.g. "第六条") groups them; editable text."""

    code: str
    article: str
    text: str


@dataclass(frozen=True)
class Condition:
    """One alternative condition of an entry; ``article`` is set for (and only for) CIRCUMSTANCE."""

    kind: ConditionKind
    article: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ConditionKind(self.kind))  # data may hold the plain string
        if (self.kind is ConditionKind.CIRCUMSTANCE) != bool(self.article):
            raise ValueError("只有“符合情形”条件需要填写条款（如 第六条）")


@dataclass(frozen=True)
class Entry:
    """One row of a lenience list: the treatment applies when ANY of ``conditions`` holds."""

    kind: Treatment
    number: int  # 序号 within its list
    act_code: str
    act_text: str  # 行政处罚事项
    setting_basis: str  # 设定法律依据
    basis: str  # 不予/减轻/从轻处罚法律依据
    conditions: tuple[Condition, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", Treatment(self.kind))  # data may hold the plain string
        object.__setattr__(self, "conditions", tuple(self.conditions))
        act_article(self.act_code)
        if self.kind is Treatment.STATUTORY:
            raise ValueError("清单条目的类别不能是“依法处罚”")
        if self.number < 1 or not self.act_text or not self.basis or not self.conditions:
            raise ValueError(f"清单条目 {self.act_code} 缺少序号、事项、依据或适用情形")


@dataclass(frozen=True)
class Statute:
    """The consequence an article of the 条例 sets; fines are ``amount × multiple + fixed`` (元)."""

    article: int
    title: str  # e.g. 《医疗保障基金使用监督管理条例》第三十八条
    measures: str  # non-monetary measures always stated
    refund: bool  # the amount (loss or sum defrauded) is ordered refunded (责令退回)
    amount_label: str  # what the amount is: 造成损失金额 / 骗取金额
    min_multiple: Decimal = _ZERO
    max_multiple: Decimal = _ZERO
    min_fixed: Decimal = _ZERO
    max_fixed: Decimal = _ZERO
    fine_only_if_uncorrected: bool = False  # art. 39: fine only when the party refuses to correct
    uncorrected_measures: str = ""  # added when the act is not corrected


@dataclass(frozen=True)
class PenaltyRange:
    """The statutory range for one finding; every amount in 元 as Decimal, ``note`` in Chinese."""

    min_fine: Decimal
    max_fine: Decimal
    refund: Decimal
    note: str


#: 《医疗保障基金使用监督管理条例》（国务院令第735号）第三十八、三十九、四十条.
DEFAULT_STATUTES: Final[Mapping[int, Statute]] = MappingProxyType(
    {
        38: Statute(
            article=38,
            title="《医疗保障基金使用监督管理条例》第三十八条",
            measures="责令改正，可以约谈有关负责人",
            refund=True,
            amount_label="造成损失金额",
            min_multiple=Decimal(1),
            max_multiple=Decimal(2),
            uncorrected_measures=(
                "拒不改正或者造成严重后果的，责令暂停相关责任部门 6 个月以上 1 年以下涉及医疗保障基金使用的医药服务"
            ),
        ),
        39: Statute(
            article=39,
            title="《医疗保障基金使用监督管理条例》第三十九条",
            measures="责令改正，可以约谈有关负责人",
            refund=False,
            amount_label="",
            min_fixed=Decimal(10000),
            max_fixed=Decimal(50000),
            fine_only_if_uncorrected=True,
        ),
        40: Statute(
            article=40,
            title="《医疗保障基金使用监督管理条例》第四十条",
            measures=(
                "除依照第三十八条处理外，责令暂停相关责任部门 6 个月以上 1 年以下涉及医疗保障基金使用的医药服务，"
                "直至由医疗保障经办机构解除服务协议；有执业资格的，由有关主管部门依法吊销执业资格"
            ),
            refund=True,
            amount_label="骗取金额",
            min_multiple=Decimal(2),
            max_multiple=Decimal(5),
        ),
    }
)


def statutory_range(
    article: int, amount: Decimal, corrected: bool, statutes: Mapping[int, Statute] = DEFAULT_STATUTES
) -> PenaltyRange:
    """The range the 条例 sets for ``article`` given the amount (loss or sum defrauded, 元).

    Art. 38: refund + fine 1–2× the loss; art. 39: fine 10,000–50,000 元 only if not corrected
    (拒不改正), so ``corrected`` → no fine; art. 40: refund + fine 2–5× the sum defrauded.
    Monotone in ``amount``. ``ValueError`` for an article without a statute.
    """
    _money(amount, "违规金额")
    statute = statutes.get(article)
    if statute is None:
        raise ValueError(f"条例第{article}条没有配置处罚幅度")
    refund = amount if statute.refund else _ZERO
    parts = [statute.measures]
    if refund:
        parts.append(f"责令退回 {_yuan(refund)}")
    if statute.fine_only_if_uncorrected and corrected:
        min_fine = max_fine = _ZERO
        parts.append(
            f"已改正，不处罚款（拒不改正的，处 {_yuan(statute.min_fixed)}～{_yuan(statute.max_fixed)}罚款）"
        )
    else:
        min_fine = amount * statute.min_multiple + statute.min_fixed
        max_fine = amount * statute.max_multiple + statute.max_fixed
        if max_fine:
            basis = (
                f"{statute.amount_label}的 {_number(statute.min_multiple)}～{_number(statute.max_multiple)} 倍"
                if statute.max_multiple
                else "拒不改正"
                if statute.fine_only_if_uncorrected
                else "定额"
            )
            parts.append(f"处罚款 {_yuan(min_fine)}～{_yuan(max_fine)}（{basis}）")
        else:
            parts.append("未造成基金损失，不处罚款")
    if not corrected and statute.uncorrected_measures:
        parts.append(statute.uncorrected_measures)
    note = f"{statute.title}：" + "；".join(parts)
    return PenaltyRange(min_fine=min_fine, max_fine=max_fine, refund=refund, note=note)


@dataclass(frozen=True)
class FindingFacts:
    """What :func:`recommend` needs to know about one finding.

    ``earlier_same_act_count``: earlier findings of the same act against the same institution within
    the lookback window (computed by the caller). ``circumstances``: codes of the
    :class:`Circumstance` rows the inspector ticked.
    """

    act_code: str
    amount: Decimal
    corrected_on_site: bool
    earlier_same_act_count: int
    circumstances: Set[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        act_article(self.act_code)
        _money(self.amount, "违规金额")
        if self.earlier_same_act_count < 0:
            raise ValueError("此前发现次数不能为负数")
        object.__setattr__(self, "circumstances", frozenset(self.circumstances))


DEFAULT_RULE_NAME: Final = "《山西省医疗保障行政处罚裁量基准规则》"

_PLACEHOLDER: Final = (
    "（待录入）{rule}{article}规定的{what}情形：该规则未能从公开渠道取得，请管理员录入条文原文"
)

#: One placeholder per provincial article the seed cites; an admin replaces them with the real items.
DEFAULT_CIRCUMSTANCES: Final = tuple(
    Circumstance(code, article, _PLACEHOLDER.format(rule=DEFAULT_RULE_NAME, article=article, what=what))
    for code, article, what in (
        ("art6", "第六条", "不予处罚"),
        ("art7", "第七条", "减轻处罚"),
        ("art8", "第八条", "从轻处罚"),
    )
)


@dataclass(frozen=True)
class LenienceParams:
    """Settings :func:`recommend` reads: the amount threshold (seed: 1,000 元), the circumstances of
    the provincial rule named ``rule_name``, and the statutes behind the ranges."""

    amount_threshold: Decimal
    circumstances: tuple[Circumstance, ...] = DEFAULT_CIRCUMSTANCES
    rule_name: str = DEFAULT_RULE_NAME
    statutes: Mapping[int, Statute] = field(default_factory=lambda: DEFAULT_STATUTES)

    def __post_init__(self) -> None:
        _money(self.amount_threshold, "金额阈值")
        codes = [c.code for c in self.circumstances]
        if len(codes) != len(set(codes)):
            raise ValueError("裁量情形代码重复")


@dataclass(frozen=True)
class Recommendation:
    treatment: Treatment
    entry: Entry | None  # the list entry applied, None for 依法处罚
    explanation: str  # Chinese, cites the entry, its basis and the facts
    statutory: PenaltyRange


def describe_conditions(entry: Entry, params: LenienceParams) -> str:
    """The entry's 适用情形 in Chinese, as the list prints it."""
    return "或者".join(_describe(condition, params) for condition in entry.conditions)


def _describe(condition: Condition, params: LenienceParams) -> str:
    if condition.kind is ConditionKind.AMOUNT_BELOW_THRESHOLD:
        return f"单项违规费用小于 {_yuan(params.amount_threshold)}"
    if condition.kind is ConditionKind.FIRST_TIME:
        return "首次发现该项违规行为"
    return f"符合{params.rule_name}{condition.article}规定的情形之一"


def _met(condition: Condition, finding: FindingFacts, params: LenienceParams) -> str | None:
    """Why ``condition`` holds for ``finding`` (Chinese), or None if it does not."""
    if condition.kind is ConditionKind.AMOUNT_BELOW_THRESHOLD:
        if finding.amount < params.amount_threshold:
            return f"单项违规费用 {_yuan(finding.amount)}小于 {_yuan(params.amount_threshold)}"
        return None
    if condition.kind is ConditionKind.FIRST_TIME:
        return "回溯期内此前未发现同一违规行为" if finding.earlier_same_act_count == 0 else None
    ticked = [
        c for c in params.circumstances if c.article == condition.article and c.code in finding.circumstances
    ]
    if not ticked:
        return None
    return f"符合{params.rule_name}{condition.article}规定的情形：" + "；".join(c.text for c in ticked)


def recommend(finding: FindingFacts, entries: Iterable[Entry], params: LenienceParams) -> Recommendation:
    """The most lenient treatment whose entry for ``finding.act_code`` has a condition that holds.

    Lists are tried in :data:`PRECEDENCE` order, entries of one list in ``entries`` order; with no
    entry applicable the treatment is 依法处罚 and ``entry`` is None. The statutory range uses
    ``finding.corrected_on_site`` as "corrected". ``ValueError`` if the finding ticks a circumstance
    code that ``params`` does not define.
    """
    unknown = finding.circumstances - {c.code for c in params.circumstances}
    if unknown:
        raise ValueError("未定义的裁量情形代码：" + "、".join(sorted(unknown)))
    article = act_article(finding.act_code)
    statutory = statutory_range(article, finding.amount, finding.corrected_on_site, params.statutes)
    candidates = sorted(
        (e for e in entries if e.act_code == finding.act_code), key=lambda e: PRECEDENCE.index(e.kind)
    )
    facts = (
        f"本案：单项违规费用 {_yuan(finding.amount)}，{'已当场改正' if finding.corrected_on_site else '未当场改正'}，"
        f"回溯期内此前发现同一行为 {finding.earlier_same_act_count} 次。"
    )
    closing = f"法定幅度：{statutory.note}。本建议供参考，由办案人员决定；决定与建议不一致的，须记录理由。"
    for entry in candidates:
        reasons = [r for r in (_met(c, finding, params) for c in entry.conditions) if r is not None]
        if reasons:
            explanation = (
                f"建议{entry.kind}：适用《{entry.kind}事项清单》第 {entry.number} 项“{entry.act_text}”，"
                f"适用情形为{describe_conditions(entry, params)}。{facts}符合：{'；'.join(reasons)}。"
                f"设定法律依据：{entry.setting_basis}；{entry.kind}法律依据：{entry.basis}。"
                f"{_effect(entry.kind, statutory)}{closing}"
            )
            return Recommendation(entry.kind, entry, explanation, statutory)
    if candidates:
        tried = "；".join(
            f"《{e.kind}事项清单》第 {e.number} 项（适用情形：{describe_conditions(e, params)}）"
            for e in candidates
        )
        why = f"不符合{tried}。"
    else:
        why = "该违法行为不在包容审慎清单内。"
    explanation = f"建议{Treatment.STATUTORY}：{why}{facts}{closing}"
    return Recommendation(Treatment.STATUTORY, None, explanation, statutory)


def _effect(kind: Treatment, statutory: PenaltyRange) -> str:
    """What the lenient treatment means for the fine (the refund of a loss is never waived)."""
    refund = f"仍应责令改正并退回 {_yuan(statutory.refund)}。" if statutory.refund else "仍应责令改正。"
    if kind in (Treatment.NO_PENALTY, Treatment.FIRST_OFFENCE):
        return f"不处罚款；{refund}"
    if kind is Treatment.MITIGATED:
        return f"可在法定最低罚款 {_yuan(statutory.min_fine)}以下决定罚款；{refund}"
    return f"在法定幅度 {_yuan(statutory.min_fine)}～{_yuan(statutory.max_fine)}内从低决定罚款；{refund}"


def deviation_requires_reason(recommended: str, decided: str) -> bool:
    """True when the decided treatment differs from the recommended one (a reason must be recorded).

    Both are :class:`Treatment` values; ``ValueError`` for anything else.
    """
    return Treatment(decided) is not Treatment(recommended)


# --------------------------------------------------------------------------------------------
# The seed's lists (朔州市医疗保障局医保基金监管领域包容审慎清单, 附件5)

_SETTING: Final = "《行政处罚法》，《医疗保障基金使用监督管理条例》"
_BASIS: Final = (
    "《国家医疗保障局规范医疗保障基金使用监督管理行政处罚裁量权办法》，《山西省医疗保障行政处罚裁量基准规则》"
)
_SUBSTITUTION_SETTING: Final = "《行政处罚法》第三十三条；《医疗保障基金使用监督管理条例》第三十八条；《山西省医疗保障行政处罚裁量基准规则》第六条"


def _list(
    kind: Treatment, conditions: tuple[Condition, ...], rows: tuple[tuple[str, str, str], ...]
) -> tuple[Entry, ...]:
    """Entries of one list from ``(act_code, act_text, setting_basis)`` rows numbered from 1."""
    return tuple(
        Entry(kind, number, code, text, setting, _BASIS, conditions)
        for number, (code, text, setting) in enumerate(rows, start=1)
    )


def _circumstance(article: str) -> Condition:
    return Condition(ConditionKind.CIRCUMSTANCE, article)


_FRAUD_BENEFIT: Final = "对以欺诈、伪造证明材料或者其他手段骗取医疗保险、生育保险待遇"
_FRAUD_ASSISTANCE: Final = "对采取虚报、隐瞒、伪造等手段，骗取医疗救助基金"
_FRAUD_PRICE: Final = "对以违反医药价格管理政策等为手段，骗取医保基金支出行为"
_FRAUD_FUND: Final = (
    "对医疗保险经办机构以及医疗机构、药品经营单位等医疗保险服务机构以欺诈、伪造证明{}或者其他手段"
    "骗取医疗保险、生育保险基金支出"
)

#: The four lists of the seed, in its order (减轻 / 不予 / 从轻 / 首违不罚).
DEFAULT_ENTRIES: Final[tuple[Entry, ...]] = (
    *_list(
        Treatment.MITIGATED,
        (_circumstance("第七条"),),
        (
            ("40-fraud-benefit", _FRAUD_BENEFIT, _SETTING),
            ("40-fraud-fund", _FRAUD_FUND.format(""), _SETTING),
            ("40-fraud-assistance", _FRAUD_ASSISTANCE, _SETTING),
            ("40-fraud-price", _FRAUD_PRICE, _SETTING),
        ),
    ),
    *_list(
        Treatment.NO_PENALTY,
        (Condition(ConditionKind.AMOUNT_BELOW_THRESHOLD), _circumstance("第六条")),
        (
            (
                "38-over-treatment",
                "定点医药机构违反诊疗规范过度诊疗、过度检查、分解处方、超量开药、重复开药或者提供其他不必要的医药服务",
                _SETTING,
            ),
            ("38-duplicate-charge", "定点医药机构重复收费、超标准收费、分解项目收费", _SETTING),
            ("38-substitution", "定点医药机构串换药品、医用耗材、诊疗项目和服务设施", _SUBSTITUTION_SETTING),
            (
                "38-resale",
                "定点医药机构为参保人员利用其享受医疗保障待遇的机会转卖药品，接受返还现金、实物或者获得其他非法利益提供便利",
                _SETTING,
            ),
            (
                "38-out-of-scope",
                "定点医药机构将不属于保障基金支付范围的医药费用纳入医疗保障基金结算",
                _SETTING,
            ),
            ("38-other-loss", "定点医药机构造成医疗保障基金损失的其他违法行为", _SETTING),
        ),
    ),
    *_list(
        Treatment.LIGHTER,
        (_circumstance("第八条"),),
        (
            ("40-fraud-benefit", _FRAUD_BENEFIT, _SETTING),
            ("40-fraud-fund", _FRAUD_FUND.format("材料"), _SETTING),
            ("40-fraud-assistance", _FRAUD_ASSISTANCE, _SETTING),
            ("40-fraud-price", _FRAUD_PRICE, _SETTING),
        ),
    ),
    *_list(
        Treatment.FIRST_OFFENCE,
        (Condition(ConditionKind.FIRST_TIME), _circumstance("第六条")),
        (
            (
                "39-no-internal-system",
                "定点医药机构未建立医疗保障基金使用内部管理制度，或者没有专门机构或者人员负责医疗保障基金使用管理工作",
                _SETTING,
            ),
            (
                "39-records",
                "定点医药机构未按照规定保管财务账目、会计凭证、处方、病历、治疗检查记录、费用明细、药品和医用耗材出入库记录等资料",
                _SETTING,
            ),
            (
                "39-data-upload",
                "定点医药机构未按照规定通过医疗保障信息系统传送医疗保障基金使用有关数据",
                _SETTING,
            ),
            (
                "39-reporting",
                "定点医药机构未按照规定向医疗保障行政部门报告医疗保障基金使用监督管理所需信息",
                _SETTING,
            ),
            ("39-disclosure", "定点医药机构未按照规定向社会公开医药费用、费用结构等信息", _SETTING),
            (
                "39-consent",
                "定点医药机构除急诊、抢救等特殊情形外，未经参保人员或其近亲属、监护人同意提供医疗保障基金支付范围以外的医药服务",
                _SETTING,
            ),
        ),
    ),
)
