"""Tests for spotcheck.core.lenience (pure Python; no Django needed)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from spotcheck.core.lenience import (
    DEFAULT_CIRCUMSTANCES,
    DEFAULT_ENTRIES,
    DEFAULT_STATUTES,
    Circumstance,
    Condition,
    ConditionKind,
    Entry,
    FindingFacts,
    LenienceParams,
    PenaltyRange,
    Treatment,
    act_article,
    describe_conditions,
    deviation_requires_reason,
    recommend,
    statutory_range,
)

PARAMS = LenienceParams(amount_threshold=Decimal("1000"))
ACT_CODES = sorted({e.act_code for e in DEFAULT_ENTRIES} | {"38-split-admission", "39-refuse-inspection"})
CIRCUMSTANCE_CODES = [c.code for c in DEFAULT_CIRCUMSTANCES]

amounts = st.decimals(min_value=0, max_value=10_000_000, places=2, allow_nan=False, allow_infinity=False)
findings = st.builds(
    FindingFacts,
    act_code=st.sampled_from(ACT_CODES),
    amount=amounts,
    corrected_on_site=st.booleans(),
    earlier_same_act_count=st.integers(min_value=0, max_value=5),
    circumstances=st.frozensets(st.sampled_from(CIRCUMSTANCE_CODES)),
)


def finding(
    act: str, amount: str, *, corrected: bool = True, earlier: int = 0, ticks: set[str] | None = None
) -> FindingFacts:
    return FindingFacts(act, Decimal(amount), corrected, earlier, frozenset(ticks or ()))


def money(r: PenaltyRange) -> tuple[Decimal, Decimal, Decimal]:
    return r.min_fine, r.max_fine, r.refund


# --------------------------------------------------------------------------------------------
# the seed's lists


def test_default_entries_transcribe_the_four_lists() -> None:
    by_kind: dict[Treatment, list[Entry]] = {}
    for entry in DEFAULT_ENTRIES:
        by_kind.setdefault(entry.kind, []).append(entry)
    assert {k: len(v) for k, v in by_kind.items()} == {
        Treatment.MITIGATED: 4,
        Treatment.NO_PENALTY: 6,
        Treatment.LIGHTER: 4,
        Treatment.FIRST_OFFENCE: 6,
    }
    for entries in by_kind.values():
        assert [e.number for e in entries] == list(range(1, len(entries) + 1))
    assert {e.act_code for e in by_kind[Treatment.NO_PENALTY]} == {
        "38-over-treatment",
        "38-duplicate-charge",
        "38-substitution",
        "38-resale",
        "38-out-of-scope",
        "38-other-loss",
    }
    assert {e.act_code for e in by_kind[Treatment.FIRST_OFFENCE]} == {
        "39-no-internal-system",
        "39-records",
        "39-data-upload",
        "39-reporting",
        "39-disclosure",
        "39-consent",
    }
    fraud = {"40-fraud-benefit", "40-fraud-fund", "40-fraud-assistance", "40-fraud-price"}
    assert {e.act_code for e in by_kind[Treatment.MITIGATED]} == fraud
    assert {e.act_code for e in by_kind[Treatment.LIGHTER]} == fraud
    keys = [(e.kind, e.act_code) for e in DEFAULT_ENTRIES]
    assert len(keys) == len(set(keys))
    assert all("山西省医疗保障行政处罚裁量基准规则" in e.basis for e in DEFAULT_ENTRIES)


def test_conditions_read_like_the_seed() -> None:
    no_penalty = next(e for e in DEFAULT_ENTRIES if e.act_code == "38-duplicate-charge")
    assert describe_conditions(no_penalty, PARAMS) == (
        "单项违规费用小于 1,000.00 元或者符合《山西省医疗保障行政处罚裁量基准规则》第六条规定的情形之一"
    )
    first = next(e for e in DEFAULT_ENTRIES if e.act_code == "39-records")
    assert describe_conditions(first, PARAMS).startswith("首次发现该项违规行为或者")


def test_placeholder_circumstances_ask_for_the_provincial_text() -> None:
    assert [(c.code, c.article) for c in DEFAULT_CIRCUMSTANCES] == [
        ("art6", "第六条"),
        ("art7", "第七条"),
        ("art8", "第八条"),
    ]
    assert all("请管理员录入" in c.text for c in DEFAULT_CIRCUMSTANCES)


# --------------------------------------------------------------------------------------------
# recommend


def test_small_duplicate_charge_corrected_on_site_is_not_punished() -> None:
    rec = recommend(finding("38-duplicate-charge", "800"), DEFAULT_ENTRIES, PARAMS)
    assert rec.treatment == "不予处罚"
    assert rec.entry is not None
    assert rec.entry.act_text == "定点医药机构重复收费、超标准收费、分解项目收费"
    assert rec.entry.basis in rec.explanation
    assert "《不予处罚事项清单》第 2 项“定点医药机构重复收费、超标准收费、分解项目收费”" in rec.explanation
    assert "800.00 元小于 1,000.00 元" in rec.explanation
    assert "退回 800.00 元" in rec.explanation  # the loss is refunded all the same
    assert rec.statutory == statutory_range(38, Decimal("800"), corrected=True)


def test_threshold_is_strict_and_a_parameter() -> None:
    at = recommend(finding("38-duplicate-charge", "1000"), DEFAULT_ENTRIES, PARAMS)
    assert at.treatment is Treatment.STATUTORY and at.entry is None
    assert "不符合《不予处罚事项清单》第 2 项" in at.explanation
    langfang = LenienceParams(amount_threshold=Decimal("3000"))
    assert (
        recommend(finding("38-duplicate-charge", "2999.99"), DEFAULT_ENTRIES, langfang).treatment
        == "不予处罚"
    )


def test_article_six_circumstance_lifts_the_amount_limit() -> None:
    rec = recommend(finding("38-substitution", "50000", ticks={"art6"}), DEFAULT_ENTRIES, PARAMS)
    assert rec.treatment is Treatment.NO_PENALTY
    assert "第六条规定的情形" in rec.explanation
    # a circumstance of another article does not
    other = recommend(finding("38-substitution", "50000", ticks={"art8"}), DEFAULT_ENTRIES, PARAMS)
    assert other.treatment is Treatment.STATUTORY


def test_first_offence_of_a_management_failure() -> None:
    first = recommend(finding("39-records", "0", corrected=False), DEFAULT_ENTRIES, PARAMS)
    assert first.treatment == "首违不罚"
    assert first.statutory.min_fine == Decimal(10000)  # what would apply without lenience
    again = recommend(finding("39-records", "0", corrected=False, earlier=1), DEFAULT_ENTRIES, PARAMS)
    assert again.treatment is Treatment.STATUTORY
    assert "回溯期内此前发现同一行为 1 次" in again.explanation


def test_fraud_prefers_mitigation_over_lighter() -> None:
    both = recommend(finding("40-fraud-fund", "5000", ticks={"art7", "art8"}), DEFAULT_ENTRIES, PARAMS)
    assert both.treatment is Treatment.MITIGATED
    assert "法定最低罚款 10,000.00 元以下" in both.explanation
    lighter = recommend(finding("40-fraud-fund", "5000", ticks={"art8"}), DEFAULT_ENTRIES, PARAMS)
    assert lighter.treatment is Treatment.LIGHTER
    assert "10,000.00 元～25,000.00 元内从低" in lighter.explanation
    # the amount threshold is not a condition of the fraud lists
    assert recommend(finding("40-fraud-fund", "10"), DEFAULT_ENTRIES, PARAMS).treatment is Treatment.STATUTORY


def test_act_outside_the_lists() -> None:
    rec = recommend(finding("38-split-admission", "10"), DEFAULT_ENTRIES, PARAMS)
    assert rec.treatment is Treatment.STATUTORY and rec.entry is None
    assert "不在包容审慎清单内" in rec.explanation


def test_entries_are_data() -> None:
    custom = Entry(
        kind="首违不罚",  # type: ignore[arg-type]  # as stored in a database row
        number=1,
        act_code="38-split-admission",
        act_text="分解住院、挂床住院",
        setting_basis="《医疗保障基金使用监督管理条例》第三十八条",
        basis="本地规定",
        conditions=(Condition("first_time"),),  # type: ignore[arg-type]
    )
    assert custom.kind is Treatment.FIRST_OFFENCE and custom.conditions[0].kind is ConditionKind.FIRST_TIME
    rec = recommend(finding("38-split-admission", "5000"), [custom], PARAMS)
    assert rec.treatment is Treatment.FIRST_OFFENCE and rec.entry == custom
    assert recommend(finding("38-duplicate-charge", "800"), [custom], PARAMS).treatment is Treatment.STATUTORY


def test_admin_entered_circumstances_are_cited() -> None:
    params = LenienceParams(
        amount_threshold=Decimal("1000"),
        circumstances=(Circumstance("art6-1", "第六条", "违法行为轻微并及时改正，没有造成危害后果的"),),
    )
    rec = recommend(finding("38-resale", "9000", ticks={"art6-1"}), DEFAULT_ENTRIES, params)
    assert rec.treatment is Treatment.NO_PENALTY
    assert "违法行为轻微并及时改正，没有造成危害后果的" in rec.explanation
    with pytest.raises(ValueError, match="未定义的裁量情形代码：art6"):
        recommend(finding("38-resale", "9000", ticks={"art6"}), DEFAULT_ENTRIES, params)


def test_bad_input_is_refused() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        FindingFacts("38-duplicate-charge", 800.0, True, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="非负"):
        FindingFacts("38-duplicate-charge", Decimal("-1"), True, 0)
    with pytest.raises(ValueError, match="格式"):
        FindingFacts("重复收费", Decimal("1"), True, 0)
    with pytest.raises(TypeError):
        LenienceParams(amount_threshold=1000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="41"):
        statutory_range(41, Decimal("1"), True)
    with pytest.raises(ValueError):
        Condition(ConditionKind.CIRCUMSTANCE)
    assert act_article("40-fraud-price") == 40


# --------------------------------------------------------------------------------------------
# statutory ranges


def test_statutory_ranges() -> None:
    assert money(statutory_range(38, Decimal("800"), True)) == (Decimal(800), Decimal(1600), Decimal(800))
    assert money(statutory_range(40, Decimal("800"), True)) == (Decimal(1600), Decimal(4000), Decimal(800))
    corrected = statutory_range(39, Decimal("0"), True)
    assert money(corrected) == (Decimal(0), Decimal(0), Decimal(0))
    assert "已改正，不处罚款" in corrected.note
    refused = statutory_range(39, Decimal("0"), False)
    assert (refused.min_fine, refused.max_fine) == (Decimal(10000), Decimal(50000))
    assert "拒不改正或者造成严重后果" in statutory_range(38, Decimal("1"), False).note
    assert "未造成基金损失，不处罚款" in statutory_range(38, Decimal("0"), True).note
    assert statutory_range(38, Decimal("800"), True).note.startswith(
        "《医疗保障基金使用监督管理条例》第三十八条："
    )


def test_statutes_are_data() -> None:
    amended = dataclasses.replace(DEFAULT_STATUTES[38], min_multiple=Decimal("1.5"), max_multiple=Decimal(3))
    params = LenienceParams(amount_threshold=Decimal("1000"), statutes={**DEFAULT_STATUTES, 38: amended})
    rec = recommend(finding("38-duplicate-charge", "2000"), DEFAULT_ENTRIES, params)
    assert money(rec.statutory) == (Decimal(3000), Decimal(6000), Decimal(2000))
    assert "造成损失金额的 1.5～3 倍" in rec.explanation


def test_deviation_requires_reason() -> None:
    assert not deviation_requires_reason("不予处罚", "不予处罚")
    assert deviation_requires_reason("不予处罚", Treatment.STATUTORY)
    assert deviation_requires_reason("依法处罚", "从轻处罚")
    with pytest.raises(ValueError):
        deviation_requires_reason("不予处罚", "罚款")


# --------------------------------------------------------------------------------------------
# properties


@given(findings)
def test_no_penalty_at_or_above_threshold_needs_article_six(facts: FindingFacts) -> None:
    rec = recommend(facts, DEFAULT_ENTRIES, PARAMS)
    if facts.amount >= PARAMS.amount_threshold and "art6" not in facts.circumstances:
        assert rec.treatment is not Treatment.NO_PENALTY


@given(findings)
def test_recommendation_is_consistent(facts: FindingFacts) -> None:
    rec = recommend(facts, DEFAULT_ENTRIES, PARAMS)
    assert (rec.entry is None) == (rec.treatment is Treatment.STATUTORY)
    if rec.entry is not None:
        assert rec.entry.kind is rec.treatment and rec.entry.act_code == facts.act_code
        assert rec.entry.act_text in rec.explanation and rec.entry.basis in rec.explanation
    assert rec.statutory == statutory_range(
        act_article(facts.act_code), facts.amount, facts.corrected_on_site
    )
    assert rec == recommend(facts, reversed(DEFAULT_ENTRIES), PARAMS)  # list order does not matter here


def _floats(value: object) -> list[object]:
    """Every float reachable from a (nested) dataclass value."""
    if isinstance(value, float):
        return [value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [f for fld in dataclasses.fields(value) for f in _floats(getattr(value, fld.name))]
    return []


@given(findings)
def test_results_never_use_float(facts: FindingFacts) -> None:
    rec = recommend(facts, DEFAULT_ENTRIES, PARAMS)
    assert _floats(rec) == []
    assert all(type(v) is Decimal for v in money(rec.statutory))


@given(st.sampled_from([38, 39, 40]), amounts, amounts, st.booleans())
def test_ranges_are_monotone_in_the_amount(article: int, a: Decimal, b: Decimal, corrected: bool) -> None:
    low, high = sorted((a, b))
    r_low, r_high = statutory_range(article, low, corrected), statutory_range(article, high, corrected)
    assert all(x <= y for x, y in zip(money(r_low), money(r_high), strict=True))
    for r in (r_low, r_high):
        assert Decimal(0) <= r.min_fine <= r.max_fine


@given(st.sampled_from([38, 40]), amounts, st.booleans())
def test_multiples_are_exact(article: int, amount: Decimal, corrected: bool) -> None:
    r = statutory_range(article, amount, corrected)
    low, high = (1, 2) if article == 38 else (2, 5)
    assert money(r) == (amount * low, amount * high, amount)


# --------------------------------------------------------------------------------------------
# exact texts and boundaries (survivors of mutation testing, docs/mutation-testing.md)

_ART38 = "《医疗保障基金使用监督管理条例》第三十八条：责令改正，可以约谈有关负责人"
_ART39 = "《医疗保障基金使用监督管理条例》第三十九条：责令改正，可以约谈有关负责人"
_CLOSING = "本建议供参考，由办案人员决定；决定与建议不一致的，须记录理由。"


def test_statutory_notes_exactly() -> None:
    """The notes are shown to case handlers as they are: every part, separator and branch."""
    assert statutory_range(38, Decimal("800"), True).note == (
        f"{_ART38}；责令退回 800.00 元；处罚款 800.00 元～1,600.00 元（造成损失金额的 1～2 倍）"
    )
    assert statutory_range(38, Decimal("800"), False).note == (
        f"{_ART38}；责令退回 800.00 元；处罚款 800.00 元～1,600.00 元（造成损失金额的 1～2 倍）；"
        "拒不改正或者造成严重后果的，责令暂停相关责任部门 6 个月以上 1 年以下涉及医疗保障基金使用的医药服务"
    )
    assert statutory_range(38, Decimal("0"), True).note == f"{_ART38}；未造成基金损失，不处罚款"
    # art. 39 orders no refund, whatever the amount, and has no extra measure when not corrected
    corrected = statutory_range(39, Decimal("500"), True)
    assert money(corrected) == (Decimal(0), Decimal(0), Decimal(0))
    assert corrected.note == f"{_ART39}；已改正，不处罚款（拒不改正的，处 10,000.00 元～50,000.00 元罚款）"
    refused = statutory_range(39, Decimal("500"), False)
    assert money(refused) == (Decimal(10000), Decimal(50000), Decimal(0))
    assert refused.note == f"{_ART39}；处罚款 10,000.00 元～50,000.00 元（拒不改正）"


def test_fixed_fine_without_correction_clause_is_called_a_fixed_amount() -> None:
    fixed = dataclasses.replace(DEFAULT_STATUTES[39], article=41, title="第四十一条", fine_only_if_uncorrected=False)
    for corrected in (True, False):
        r = statutory_range(41, Decimal("5"), corrected, {41: fixed})
        assert money(r) == (Decimal(10000), Decimal(50000), Decimal(0))
        assert r.note == "第四十一条：责令改正，可以约谈有关负责人；处罚款 10,000.00 元～50,000.00 元（定额）"


def test_multiples_are_printed_without_exponent() -> None:
    tenfold = dataclasses.replace(DEFAULT_STATUTES[40], max_multiple=Decimal(10))
    note = statutory_range(40, Decimal("100"), True, {40: tenfold}).note
    assert note.endswith("处罚款 200.00 元～1,000.00 元（骗取金额的 2～10 倍）")


def test_no_penalty_explanation_exactly() -> None:
    rec = recommend(finding("38-duplicate-charge", "800", ticks={"art6"}), DEFAULT_ENTRIES, PARAMS)
    placeholder = DEFAULT_CIRCUMSTANCES[0].text
    assert rec.explanation == (
        "建议不予处罚：适用《不予处罚事项清单》第 2 项“定点医药机构重复收费、超标准收费、分解项目收费”，"
        "适用情形为单项违规费用小于 1,000.00 元或者符合《山西省医疗保障行政处罚裁量基准规则》第六条规定的情形之一。"
        "本案：单项违规费用 800.00 元，已当场改正，回溯期内此前发现同一行为 0 次。"
        "符合：单项违规费用 800.00 元小于 1,000.00 元；"
        f"符合《山西省医疗保障行政处罚裁量基准规则》第六条规定的情形：{placeholder}。"
        "设定法律依据：《行政处罚法》，《医疗保障基金使用监督管理条例》；"
        "不予处罚法律依据：《国家医疗保障局规范医疗保障基金使用监督管理行政处罚裁量权办法》，"
        "《山西省医疗保障行政处罚裁量基准规则》。"
        "不处罚款；仍应责令改正并退回 800.00 元。"
        f"法定幅度：{statutory_range(38, Decimal('800'), True).note}。{_CLOSING}"
    )


def test_first_offence_without_refund_and_not_corrected() -> None:
    rec = recommend(finding("39-records", "0", corrected=False), DEFAULT_ENTRIES, PARAMS)
    assert "本案：单项违规费用 0.00 元，未当场改正，回溯期内此前发现同一行为 0 次。" in rec.explanation
    assert "符合：回溯期内此前未发现同一违规行为。" in rec.explanation
    assert "不处罚款；仍应责令改正。法定幅度：" in rec.explanation  # nothing to refund under art. 39


def test_statutory_explanations_exactly() -> None:
    outside = recommend(finding("38-split-admission", "10"), DEFAULT_ENTRIES, PARAMS)
    assert outside.explanation == (
        "建议依法处罚：该违法行为不在包容审慎清单内。"
        "本案：单项违规费用 10.00 元，已当场改正，回溯期内此前发现同一行为 0 次。"
        f"法定幅度：{statutory_range(38, Decimal('10'), True).note}。{_CLOSING}"
    )
    fraud = recommend(finding("40-fraud-fund", "5000", corrected=False, earlier=2), DEFAULT_ENTRIES, PARAMS)
    assert fraud.explanation.startswith(
        "建议依法处罚：不符合《减轻处罚事项清单》第 2 项（适用情形：符合《山西省医疗保障行政处罚裁量基准规则》"
        "第七条规定的情形之一）；《从轻处罚事项清单》第 2 项（适用情形：符合《山西省医疗保障行政处罚裁量基准规则》"
        "第八条规定的情形之一）。本案：单项违规费用 5,000.00 元，未当场改正，回溯期内此前发现同一行为 2 次。"
    )


def test_several_ticked_circumstances_are_all_cited() -> None:
    params = LenienceParams(
        amount_threshold=Decimal("1000"),
        circumstances=(Circumstance("a", "第六条", "情形甲"), Circumstance("b", "第六条", "情形乙")),
    )
    rec = recommend(finding("38-resale", "9000", ticks={"a", "b"}), DEFAULT_ENTRIES, params)
    assert "第六条规定的情形：情形甲；情形乙。" in rec.explanation
    with pytest.raises(ValueError, match="^未定义的裁量情形代码：x、y$"):
        recommend(finding("38-resale", "9000", ticks={"y", "x"}), DEFAULT_ENTRIES, params)


def test_validation_messages() -> None:
    with pytest.raises(TypeError, match="^违规金额必须是 Decimal，不能是 float$"):
        FindingFacts("38-duplicate-charge", 800.0, True, 0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^违规金额必须是 Decimal，不能是 int$"):
        statutory_range(38, 800, True)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="^金额阈值必须是 Decimal"):
        LenienceParams(amount_threshold=1000)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="^此前发现次数不能为负数$"):
        FindingFacts("38-duplicate-charge", Decimal(1), True, -1)
    assert FindingFacts("38-duplicate-charge", Decimal(1), True, 0).earlier_same_act_count == 0
    with pytest.raises(ValueError, match="^裁量情形代码重复$"):
        LenienceParams(amount_threshold=Decimal(1), circumstances=(DEFAULT_CIRCUMSTANCES[0],) * 2)
    with pytest.raises(ValueError, match="^只有“符合情形”条件需要填写条款（如 第六条）$"):
        Condition(ConditionKind.CIRCUMSTANCE)
    with pytest.raises(ValueError, match="^只有“符合情形”条件需要填写条款"):
        Condition(ConditionKind.FIRST_TIME, "第六条")
    assert Condition(ConditionKind.CIRCUMSTANCE, "第六条").article == "第六条"


_ENTRY = {
    "kind": Treatment.NO_PENALTY,
    "number": 1,
    "act_code": "38-duplicate-charge",
    "act_text": "重复收费",
    "setting_basis": "条例",
    "basis": "办法",
    "conditions": (Condition(ConditionKind.FIRST_TIME),),
}


@pytest.mark.parametrize(
    "change", [{"number": 0}, {"act_text": ""}, {"basis": ""}, {"conditions": ()}], ids=str
)
def test_each_missing_entry_field_is_refused_on_its_own(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="^清单条目 38-duplicate-charge 缺少序号、事项、依据或适用情形$"):
        Entry(**{**_ENTRY, **change})  # type: ignore[arg-type]


def test_entry_and_finding_normalise_their_collections() -> None:
    entry = Entry(**{**_ENTRY, "conditions": [Condition(ConditionKind.FIRST_TIME)]})  # type: ignore[arg-type]
    assert type(entry.conditions) is tuple
    with pytest.raises(ValueError, match="^清单条目的类别不能是“依法处罚”$"):
        Entry(**{**_ENTRY, "kind": Treatment.STATUTORY})  # type: ignore[arg-type]
    facts = FindingFacts("38-duplicate-charge", Decimal(1), True, 0, {"art6"})  # type: ignore[arg-type]
    assert type(facts.circumstances) is frozenset
