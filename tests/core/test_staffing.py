"""Staffing feasibility: exact capacity arithmetic and the simulation over throw-away secrets."""

from __future__ import annotations

import copy
import hashlib
import json
import math
import random
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spotcheck.core import draw, staffing

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "draw-vectors"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def commit_time(name: str) -> dict[str, Any]:
    """A vector input as known before the reveal: no secret, randomness or events."""
    inp = load(name)["input"]
    return {k: inp[k] for k in draw.COMMIT_KEYS}


def test_capacity_vector_2_is_sufficient() -> None:
    cap = staffing.capacity(commit_time("vector-2.json"))
    assert list(cap) == ["县医疗保障局", "县市场监督管理局", "县卫生健康和体育局"]
    assert cap["县医疗保障局"] == {
        "inspectors": 6,
        "per_team": 2,
        "targets": 6,
        "needed": 12,
        "available": 18,
        "shortfall": False,
        "message": "县医疗保障局 人员充足：需要 12 人次，最多可提供 18 人次（6 人 × 每人最多 3 次）",
    }
    assert not any(v["shortfall"] for v in cap.values())


def test_capacity_vector_3_is_short() -> None:
    cap = staffing.capacity(commit_time("vector-3-unstaffable.json"))
    assert all(v["shortfall"] for v in cap.values())
    assert (
        cap["县市场监督管理局"]["message"]
        == "县市场监督管理局 缺少检查人员：需要 6 人次，最多可提供 4 人次（4 人 × 每人最多 1 次）"
    )
    assert cap["县医疗保障局"]["needed"] == 12 and cap["县医疗保障局"]["available"] == 6


def test_capacity_team_larger_than_department() -> None:
    inp = commit_time("vector-2.json")
    inp["teams"] = dict(
        inp["teams"],
        slots=[
            {"department": "县卫生健康和体育局", "count": 2},
            {"department": "县卫生健康和体育局", "count": 2},
        ],
        cap=100,
    )
    cap = staffing.capacity(inp)["县卫生健康和体育局"]
    assert cap["per_team"] == 4 and cap["shortfall"] is True
    assert cap["message"] == "县卫生健康和体育局 缺少检查人员：每个检查组需要 4 人，但该部门只有 3 名检查人员"


def test_capacity_missing_department_and_no_teams() -> None:
    inp = commit_time("vector-2.json")
    inp["teams"] = dict(inp["teams"], slots=[{"department": "县公安局", "count": 1}])
    cap = staffing.capacity(inp)["县公安局"]
    assert cap["inspectors"] == 0 and cap["available"] == 0 and cap["shortfall"]
    assert staffing.capacity(commit_time("vector-1.json")) == {}


def test_inputs_before_commit_and_invalid_inputs() -> None:
    inp = commit_time("vector-2.json")
    del inp["commit"]  # planning before a secret exists
    assert staffing.capacity(inp)["县医疗保障局"]["needed"] == 12
    assert staffing.simulate(inp, 3, rng_seed=1)["runs"] == 3
    full = load("vector-2.json")["input"]  # reveal-time keys are ignored
    assert staffing.capacity(full) == staffing.capacity(commit_time("vector-2.json"))
    bad = commit_time("vector-2.json")
    bad["teams"]["cap"] = 0
    for call in (lambda: staffing.capacity(bad), lambda: staffing.simulate(bad, 1, rng_seed=1)):
        with pytest.raises(draw.DrawError) as info:
            call()
        assert info.value.code == "invalid_input"
    with pytest.raises(ValueError):
        staffing.simulate(commit_time("vector-2.json"), -1)


def test_simulate_is_deterministic_with_a_seed() -> None:
    inp = commit_time("vector-2.json")
    a = staffing.simulate(inp, 30, rng_seed=42)
    assert a == staffing.simulate(inp, 30, rng_seed=42)
    assert a["runs"] == 30 and a["failures"] == 0 and a["failure_rate"] == "0/30"
    assert a["by_department"] == {} and a["by_unit_example"] is None
    assert "30 次" in a["message"]


def test_simulate_without_seed_uses_system_randomness() -> None:
    result = staffing.simulate(commit_time("vector-3-unstaffable.json"), 5)
    assert result["failures"] == 5 and result["failure_rate"] == "5/5"


def test_simulate_vector_3_always_fails() -> None:
    result = staffing.simulate(commit_time("vector-3-unstaffable.json"), 20, rng_seed=3)
    assert result["failures"] == 20 and result["failure_rate"] == "20/20"
    assert sum(result["by_department"].values()) == 20
    assert sum(result["by_unit"].values()) == 20
    assert "无法配齐" in result["message"]


def test_simulate_without_teams_and_zero_runs() -> None:
    assert staffing.simulate(commit_time("vector-1.json"), 10, rng_seed=1)["failures"] == 0
    assert staffing.simulate(commit_time("vector-2.json"), 0, rng_seed=1)["failure_rate"] == "0/0"


def exclusion_trap() -> dict[str, Any]:
    """Capacity is ample, but unit U0003 is excluded with every inspector of 县市场监督管理局."""
    units = [[f"U{i:04d}", "A"] for i in range(10)]
    return {
        "draw_id": "TRAP",
        "units": units,
        "strata": {"A": {"ratio": [1, 10], "rounding": "ceil", "min": 0, "max": None}},
        "commit": "0" * 64,
        "randomness_sources": ["x"],
        "teams": {
            "inspectors": [
                ["YB-1", "县医疗保障局"],
                ["YB-2", "县医疗保障局"],
                ["SJ-1", "县市场监督管理局"],
                ["SJ-2", "县市场监督管理局"],
            ],
            "slots": [
                {"department": "县医疗保障局", "count": 1},
                {"department": "县市场监督管理局", "count": 1},
            ],
            "cap": 5,
            "exclusions": [["U0003", "SJ-1"], ["U0003", "SJ-2"]],
        },
    }


def test_simulation_catches_exclusion_driven_failures() -> None:
    inp = exclusion_trap()
    assert not any(v["shortfall"] for v in staffing.capacity(inp).values())
    result = staffing.simulate(inp, 400, rng_seed=11)
    # U0003 is the single selected unit with probability 1/10: 40 expected, 5 sigma = 30.
    assert 10 <= result["failures"] <= 70
    assert result["by_unit"] == {"U0003": result["failures"]}
    assert result["by_department"] == {"县市场监督管理局": result["failures"]}
    example = result["by_unit_example"]
    assert example["unit"] == "U0003" and example["department"] == "县市场监督管理局"
    assert example["message"].startswith("无法为检查对象 U0003 配齐“县市场监督管理局”的检查人员")
    assert set(example) == {"run", "unit", "department", "message"}


# --------------------------------------------------------------------------------------------
# The fast simulation against a brute-force one: real SC-DRAW-1 reveals under random secrets.


def brute_force(inp: dict[str, Any], runs: int, seed: int) -> dict[str, Any]:
    """Failures of ``runs`` real reveals (``draw.compute``, whole pool ranked) under random secrets."""
    rng = random.Random(seed)
    failures, by_department, by_unit = 0, Counter(), Counter()
    for run in range(runs):
        secret = rng.getrandbits(256).to_bytes(32, "big")
        full = dict(inp, commit=hashlib.sha256(secret).hexdigest(), secret=secret.hex(),
                    public_randomness=f"模拟 {run}", events=[])
        try:
            draw.compute(full)
        except draw.DrawError as exc:
            assert exc.code == "unstaffable"
            failures += 1
            by_department[exc.details["department"]] += 1
            by_unit[exc.details["unit"]] += 1
    return {"failures": failures, "by_department": by_department, "by_unit": by_unit}


def close(a: int, b: int, runs: int) -> bool:
    """Two failure counts out of ``runs`` each agree within 5 standard deviations of their difference."""
    p = (a + b) / (2 * runs)
    return abs(a - b) <= 5 * math.sqrt(2 * runs * p * (1 - p)) + 1


def tight_input() -> dict[str, Any]:
    """Two strata (8 targets), two departments, exclusions that make about one reveal in six fail."""
    units = [[f"A{i:02d}", "A"] for i in range(12)] + [[f"B{i:02d}", "B"] for i in range(8)]
    inspectors = [[f"YB-{i}", "医保局"] for i in range(8)] + [[f"SJ-{i}", "市监局"] for i in range(4)]
    exclusions = [["A00", "SJ-0"], ["A00", "SJ-1"], ["A01", "SJ-1"], ["A01", "SJ-2"], ["B00", "SJ-0"],
                  ["B00", "SJ-2"], ["B01", "YB-0"], ["B01", "YB-1"], ["B01", "YB-2"], ["A02", "YB-3"]]
    return {
        "draw_id": "TIGHT", "units": units, "commit": "0" * 64, "randomness_sources": ["x"],
        "strata": {"A": {"ratio": [1, 3], "rounding": "ceil", "min": 0, "max": None},
                   "B": {"ratio": [1, 2], "rounding": "floor", "min": 0, "max": None}},
        "teams": {"inspectors": inspectors, "slots": [{"department": "医保局", "count": 2},
                                                      {"department": "市监局", "count": 1}],
                  "cap": 2, "exclusions": exclusions},
    }


@pytest.mark.parametrize("case", ["tight", "trap", "wide"])
def test_simulation_agrees_with_brute_force(case: str) -> None:
    if case == "tight":
        inp = tight_input()
    elif case == "trap":
        inp = exclusion_trap()
    else:  # fewer people, higher cap, rarer failures (in both departments)
        inp = tight_input()
        inp["teams"] = dict(inp["teams"], cap=3, inspectors=[
            *[[f"YB-{i}", "医保局"] for i in range(6)], *[[f"SJ-{i}", "市监局"] for i in range(3)]])
    runs = 1500
    fast = staffing.simulate(copy.deepcopy(inp), runs, rng_seed=7)
    slow = brute_force(inp, runs, seed=7)
    assert 0 < slow["failures"] < runs, slow  # a case where the estimate is informative
    assert close(fast["failures"], slow["failures"], runs), (fast["failure_rate"], slow["failures"])
    assert set(fast["by_department"]) == set(slow["by_department"])
    for dept, count in slow["by_department"].items():
        assert close(fast["by_department"][dept], count, runs), (dept, fast["by_department"], slow)
    for unit, count in slow["by_unit"].items():
        assert close(fast["by_unit"].get(unit, 0), count, runs), (unit, fast["by_unit"], slow["by_unit"])


def test_simulation_detects_a_brute_force_difference() -> None:
    """The comparison can fail: nine more exclusion pairs change the rate and the check notices."""
    inp = tight_input()
    stricter = copy.deepcopy(inp)
    stricter["teams"]["exclusions"] += [[u, f"SJ-{i}"] for u in ("A03", "A04", "B02") for i in range(3)]
    runs = 1500
    slow = brute_force(inp, runs, seed=7)
    fast = staffing.simulate(stricter, runs, rng_seed=7)
    assert not close(fast["failures"], slow["failures"], runs)


def test_short_department_is_reported() -> None:
    """A department short of people: every simulated reveal fails and names it."""
    inp = tight_input()
    inp["teams"] = dict(inp["teams"], exclusions=[], inspectors=[
        *[[f"YB-{i}", "医保局"] for i in range(8)], ["SJ-0", "市监局"]])
    cap = staffing.capacity(inp)
    assert cap["市监局"]["shortfall"] and not cap["医保局"]["shortfall"]
    result = staffing.simulate(inp, 50, rng_seed=5)
    assert result["failures"] == 50 and result["by_department"] == {"市监局": 50}
    assert "最常缺人的部门是 市监局（50 次）" in result["message"]


def test_large_pool_costs_only_the_selected_units() -> None:
    """100,000 units: the simulation handles the 1,000 selected ones per run, not the pool."""
    units = [[f"U{i:06d}", f"S{i % 10}"] for i in range(100_000)]
    inp = {
        "draw_id": "BIG", "units": units, "randomness_sources": ["x"],
        "strata": {f"S{j}": {"ratio": [1, 100], "rounding": "ceil", "min": 0, "max": None} for j in range(10)},
        "teams": {"inspectors": [[f"YB-{i}", "医保局"] for i in range(400)], "slots": [{"department": "医保局", "count": 1}],
                  "cap": 3, "exclusions": [["U000000", "YB-0"]]},
    }
    result = staffing.simulate(inp, 20, rng_seed=1)
    assert result["failures"] == 0 and result["runs"] == 20


@st.composite
def no_exclusion_inputs(draw_: st.DrawFn) -> dict[str, Any]:
    n_units = draw_(st.integers(1, 40))
    departments = ["甲", "乙"]
    inspectors = [
        [f"{'JY'[k]}-{i}", d] for k, d in enumerate(departments) for i in range(draw_(st.integers(0, 6)))
    ]
    slots = [
        {"department": draw_(st.sampled_from(departments)), "count": draw_(st.integers(1, 3))}
        for _ in range(draw_(st.integers(1, 3)))
    ]
    return {
        "draw_id": "CAP",
        "units": [[f"U{i}", "A"] for i in range(n_units)],
        "strata": {
            "A": {"ratio": [draw_(st.integers(1, 10)), 10], "rounding": "ceil", "min": 0, "max": None}
        },
        "randomness_sources": ["x"],
        "teams": {
            "inspectors": inspectors,
            "slots": slots,
            "cap": draw_(st.integers(1, 8)),
            "exclusions": [],
        },
    }


@settings(max_examples=60, deadline=None)
@given(no_exclusion_inputs(), st.integers(0, 2**32))
def test_capacity_is_exact_without_exclusions(inp: dict[str, Any], rng_seed: int) -> None:
    """Without exclusions a draw fails as unstaffable exactly when capacity() reports a shortfall."""
    short = any(v["shortfall"] for v in staffing.capacity(inp).values())
    result = staffing.simulate(copy.deepcopy(inp), 4, rng_seed=rng_seed)
    assert result["failures"] == (4 if short else 0), (staffing.capacity(inp), result)


# --------------------------------------------------------------------------------------------
# Boundaries, messages and the pick rule (survivors of mutation testing, docs/mutation-testing.md)


def one_of_three(exclusions: list[list[str]]) -> dict[str, Any]:
    """One unit selected out of U0-U2; 医保局 YB-0/YB-1 and 市监局 SJ-0, one of each per team."""
    return {
        "draw_id": "ONE", "units": [[f"U{i}", "A"] for i in range(3)], "randomness_sources": ["x"],
        "strata": {"A": {"ratio": [1, 3], "rounding": "ceil", "min": 0, "max": None}},
        "teams": {"inspectors": [["YB-0", "医保局"], ["YB-1", "医保局"], ["SJ-0", "市监局"]],
                  "slots": [{"department": "医保局", "count": 1}, {"department": "市监局", "count": 1}],
                  "cap": 5, "exclusions": exclusions},
    }


def test_invalid_input_messages() -> None:
    with pytest.raises(draw.DrawError) as info:
        staffing.capacity([])  # type: ignore[arg-type]
    assert (info.value.code, info.value.message) == ("invalid_input", "输入必须是 JSON 对象")
    extra = dict(commit_time("vector-2.json"), note="x")
    with pytest.raises(draw.DrawError) as info:
        staffing.simulate(extra, 1, rng_seed=1)
    assert info.value.code == "invalid_input"
    assert info.value.message.startswith("输入 必须恰好包含键 draw_id、units、strata、commit、randomness_sources、teams：")
    assert info.value.message.endswith("多余 'note'")
    with pytest.raises(ValueError, match="^runs must be a non-negative integer$"):
        staffing.simulate(commit_time("vector-2.json"), -1)


@pytest.mark.parametrize(("ratio", "short"), [([0, 3], False), ([1, 3], True)])
def test_a_team_larger_than_its_department_matters_only_when_there_are_targets(
    ratio: list[int], short: bool
) -> None:
    inp = one_of_three([])
    inp["strata"]["A"]["ratio"] = ratio  # 0 or 1 target
    inp["teams"]["slots"] = [{"department": "医保局", "count": 3}]
    cap = staffing.capacity(inp)["医保局"]
    assert (cap["targets"], cap["shortfall"]) == (ratio[0], short)


def test_simulation_messages() -> None:
    assert staffing.simulate(commit_time("vector-1.json"), 3, rng_seed=1)["message"] == "本次抽取不组建检查组，无需模拟。"
    assert staffing.simulate(one_of_three([]), 7, rng_seed=1)["message"] == "模拟抽取 7 次，每次都能配齐全部检查组。"


def test_the_department_named_is_the_one_that_fails_most_often() -> None:
    # U0 and U2 cannot be staffed from 医保局, U1 not from 市监局: 医保局 fails about twice as often,
    # although "市监局" sorts after "医保局".
    inp = one_of_three([["U0", "YB-0"], ["U0", "YB-1"], ["U2", "YB-0"], ["U2", "YB-1"], ["U1", "SJ-0"]])
    result = staffing.simulate(inp, 300, rng_seed=4)
    counts = result["by_department"]
    assert result["failures"] == 300 and counts["医保局"] > counts["市监局"] > 0
    assert result["message"] == (
        f"模拟抽取 300 次，其中 300 次无法配齐检查组；最常缺人的部门是 医保局（{counts['医保局']} 次）。"
        "请增加该部门的检查人员、提高每人上限 cap 或减少回避关系。"
    )


def test_a_seed_makes_an_informative_simulation_reproducible() -> None:
    a = staffing.simulate(tight_input(), 300, rng_seed=9)
    assert 0 < a["failures"] < 300
    assert staffing.simulate(tight_input(), 300, rng_seed=9) == a
    assert staffing.simulate(tight_input(), 300, rng_seed=10) != a


@pytest.mark.parametrize(
    ("inspectors", "count", "exclusions"),
    [
        (["YB-0"], 2, []),  # one person cannot fill two places of a team
        (["YB-0", "YB-1", "YB-2"], 3, [["U0", "YB-2"], ["U1", "YB-2"], ["U2", "YB-2"]]),  # two eligible for three
    ],
)
def test_an_inspector_is_never_picked_twice_for_one_team(
    inspectors: list[str], count: int, exclusions: list[list[str]]
) -> None:
    inp = one_of_three(exclusions)
    inp["teams"] = dict(inp["teams"], inspectors=[[i, "医保局"] for i in inspectors],
                        slots=[{"department": "医保局", "count": count}], cap=count)
    result = staffing.simulate(inp, 200, rng_seed=2)
    assert result["failures"] == 200, result


def test_pick_blocked_is_uniform_over_the_free_and_moves_the_pick_one_level_up() -> None:
    # random_fn always 0.5: index 1 of 3 is blocked every time, so the fallback takes free[1 of 2] = "c"
    levels: list[list[str]] = [["b", "a", "c"], [], []]
    assert staffing._pick_blocked(levels, ["a"], None, lambda: 0.5) == "c"
    assert levels == [["b", "a"], ["c"], []]  # load 0 → 1, not to the top level
    # a free first candidate is taken directly: int(0.5 × 3) = 1
    levels = [["b", "x", "c"], [], []]
    assert staffing._pick_blocked(levels, ["a"], None, lambda: 0.5) == "x"
    assert levels == [["b", "c"], ["x"], []]
    # empty lowest levels are dropped; exclusions block like team members; nobody left → None
    levels = [[], ["p", "q"], []]
    assert staffing._pick_blocked(levels, [], {"p"}, lambda: 0.0) == "q"
    assert levels == [["p"], ["q"]]
    assert staffing._pick_blocked([["p"]], ["p"], None, lambda: 0.0) is None
