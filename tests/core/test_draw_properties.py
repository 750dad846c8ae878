"""Properties of SC-DRAW-1 (spotcheck/core/draw.py).

The central check compares draw.compute with ``reference``, a deliberately naive transcription of
the spec written independently in this file (plain loops, hmac.digest, json.dumps, linear scans),
on random valid inputs with random events.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import io
import json
import math
import random
import unicodedata
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spotcheck.core import draw

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "draw-vectors"


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------
# The naive reference implementation of the spec (valid base inputs only)


class RefError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def ref_canon(x: Any) -> bytes:
    return json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def ref_h(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def ref_label(s: str) -> str:
    s = s.strip("\t\n\x0b\x0c\r ")
    out = "".join(chr(ord(c) - 32) if "a" <= c <= "z" else c for c in s)
    if not (1 <= len(out) <= 64) or any(c not in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ._-" for c in out):
        raise RefError("invalid_input")
    return out


def ref_sample_size(n_units: int, p: int, q: int, rounding: str, lo: int, hi: int | None) -> int:
    exact = Fraction(n_units * p, q)
    if rounding == "ceil":
        n = math.ceil(exact)
    elif rounding == "floor":
        n = math.floor(exact)
    else:
        n = math.floor(exact + Fraction(1, 2))
    n = max(n, lo)
    if hi is not None:
        n = min(n, hi)
    return min(n, n_units)


def reference(inp: dict[str, Any]) -> dict[str, Any]:
    """Spec-literal SC-DRAW-1. Returns the five package keys, or raises RefError(code)."""
    units = [[ref_label(label), h] for label, h in inp["units"]]
    snapshot = ref_h(ref_canon(sorted(units)))
    teams_in = inp["teams"]
    teams_params = None
    if teams_in is not None:
        inspectors = [[ref_label(i), d] for i, d in teams_in["inspectors"]]
        exclusions = sorted({(ref_label(u), ref_label(i)) for u, i in teams_in["exclusions"]})
        teams_params = {
            "slots": teams_in["slots"],
            "cap": teams_in["cap"],
            "inspectors_digest": ref_h(ref_canon(sorted(inspectors))),
            "exclusions_digest": ref_h(ref_canon([list(p) for p in exclusions])),
        }
    params = {
        "algorithm": "SC-DRAW-1",
        "draw_id": inp["draw_id"],
        "snapshot_digest": snapshot,
        "strata": inp["strata"],
        "commit": inp["commit"],
        "randomness_sources": inp["randomness_sources"],
        "teams": teams_params,
    }
    params_digest = ref_h(ref_canon(params))
    if ref_h(bytes.fromhex(inp["secret"])) != inp["commit"]:
        raise RefError("commit_mismatch")
    text = unicodedata.normalize("NFC", inp["public_randomness"]).replace("\r\n", "\n")
    text = text.strip("\t\n\x0b\x0c\r ")
    seed = hmac.digest(bytes.fromhex(inp["secret"]), f"SC-DRAW-1\n{params_digest}\n{text}".encode(), "sha256")

    def rank(label: str) -> bytes:
        return hmac.digest(seed, ("unit\n" + label).encode(), "sha256")

    result_strata: dict[str, Any] = {}
    reserve: dict[str, list[str]] = {}
    selected_all: list[str] = []
    for h, spec in inp["strata"].items():
        members = sorted((label for label, hh in units if hh == h), key=lambda u: (rank(u), u))
        n = ref_sample_size(
            len(members), spec["ratio"][0], spec["ratio"][1], spec["rounding"], spec["min"], spec["max"]
        )
        result_strata[h] = {
            "population": len(members),
            "sample_size": n,
            "selected": members[:n],
            "reserve": members[n:],
        }
        reserve[h] = members[n:]
        selected_all += members[:n]
    order = sorted(selected_all, key=lambda u: (rank(u), u))
    stratum_of = {label: h for label, h in units}

    teams: dict[str, list[str]] = {}
    if teams_in is not None:
        tseed = hmac.digest(seed, b"teams", "sha256")
        dept_of = {i: d for i, d in inspectors}
        perm = {}
        for d in {s["department"] for s in teams_in["slots"]}:
            ids = [i for i, dd in inspectors if dd == d]
            perm[d] = sorted(ids, key=lambda i: (hmac.digest(tseed, ("insp\n" + i).encode(), "sha256"), i))
        load = {i: 0 for i, _ in inspectors}
        picks: dict[str, int] = {}
        excl = set(exclusions)
        cap = teams_in["cap"]

        def pick(t: str, d: str, team: list[str]) -> str:
            j = picks.get(t, 0)
            picks[t] = j + 1
            eligible = [i for i in perm.get(d, []) if i not in team and (t, i) not in excl and load[i] < cap]
            if not eligible:
                raise RefError("unstaffable")
            m = min(load[i] for i in eligible)
            e = [i for i in eligible if load[i] == m]
            r = int.from_bytes(hmac.digest(tseed, f"pick\n{t}\n{j}".encode(), "sha256"), "big")
            choice = e[r % len(e)]
            load[choice] += 1
            return choice

        def staff(t: str) -> list[str]:
            team: list[str] = []
            for slot in teams_in["slots"]:
                for _ in range(slot["count"]):
                    team.append(pick(t, slot["department"], team))
            return team

        for t in order:
            teams[t] = staff(t)

    ever = set(order)
    for ev in inp["events"]:
        t = ref_label(ev["unit"])
        if t not in order:
            raise RefError("invalid_input")
        if ev["type"] == "replace_inspector":
            if teams_in is None:
                raise RefError("invalid_input")
            i = ref_label(ev["inspector"])
            if i not in teams[t]:
                raise RefError("invalid_input")
            k = teams[t].index(i)
            load[i] -= 1
            excl.add((t, i))
            rest = teams[t][:k] + teams[t][k + 1 :]
            teams[t] = rest[:k] + [pick(t, dept_of[i], rest)] + rest[k:]
        else:
            if teams_in is not None:
                for member in teams.pop(t):
                    load[member] -= 1
            order.remove(t)
            candidates = [u for u in reserve[stratum_of[t]] if u not in ever]
            if not candidates:
                raise RefError("reserve_exhausted")
            order.append(candidates[0])
            ever.add(candidates[0])
            if teams_in is not None:
                teams[candidates[0]] = staff(candidates[0])
    return {
        "algorithm": "SC-DRAW-1",
        "snapshot_digest": snapshot,
        "params_digest": params_digest,
        "seed": seed.hex(),
        "result": {
            "strata": result_strata,
            "order": order,
            "teams": None if teams_in is None else {t: teams[t] for t in order},
        },
    }


# ------------------------------------------------------------------------------------------
# Strategies for valid inputs

STRATUM_IDS = ["140681|优秀", "140681|差", 'a"b\\c', "层\n二", "", "H|\u00e9", "z", "\x7f\t"]
DEPARTMENTS = ["县医疗保障局", "县市场监督管理局", '卫健"局', "D"]
WS = ["", " ", "\t", "\n", "\r\n", "\x0b\x0c"]


@st.composite
def label_variant(draw_: st.DrawFn, label: str) -> str:
    """A spelling of a normalised label that normalises back to it."""
    chars = [c.lower() if c.isalpha() and draw_(st.booleans()) else c for c in label]
    return draw_(st.sampled_from(WS)) + "".join(chars) + draw_(st.sampled_from(WS))


@st.composite
def valid_inputs(draw_: st.DrawFn, with_teams: bool | None = None, max_units: int = 30) -> dict[str, Any]:
    """Random valid inputs; events are mostly derived from the actual state (valid), some random."""
    strata_ids = draw_(st.lists(st.sampled_from(STRATUM_IDS), min_size=1, max_size=4, unique=True))
    strata = {}
    for h in strata_ids:
        q = draw_(st.integers(1, 20))
        strata[h] = {
            "ratio": [draw_(st.integers(1, (q + 1) // 2) | st.integers(0, q)), q],
            "rounding": draw_(st.sampled_from(["ceil", "floor", "half_up"])),
            "min": draw_(st.integers(0, 4)),
            "max": draw_(st.one_of(st.none(), st.integers(0, 8))),
        }
    names = draw_(
        st.lists(
            st.text("0123456789ABCDEFXYZ._-", min_size=1, max_size=8),
            min_size=min(4, max_units),
            max_size=max_units,
            unique=True,
        )
    )
    units = [[draw_(label_variant(n)), draw_(st.sampled_from(strata_ids))] for n in names]
    secret = draw_(st.binary(min_size=32, max_size=32)).hex()
    teams = None
    if with_teams is None:
        with_teams = draw_(st.booleans())
    if with_teams:
        departments = draw_(st.lists(st.sampled_from(DEPARTMENTS), min_size=1, max_size=3, unique=True))
        inspectors = []
        for k, dept in enumerate(departments):
            few = draw_(st.integers(0, 9)) == 0  # now and then a department too small to staff
            for i in range(draw_(st.integers(0, 2) if few else st.integers(3, 8))):
                inspectors.append([draw_(label_variant(f"{'ABC'[k]}-{i:02d}")), dept])
        draw_(st.randoms(use_true_random=False)).shuffle(inspectors)
        slots = [
            {"department": draw_(st.sampled_from(departments)), "count": draw_(st.integers(1, 2))}
            for _ in range(draw_(st.integers(1, 3)))
        ]
        exclusions = []
        if names and inspectors:
            for _ in range(draw_(st.integers(0, 8))):
                exclusions.append([draw_(st.sampled_from(names)), draw_(st.sampled_from(inspectors))[0]])
        teams = {
            "inspectors": inspectors,
            "slots": slots,
            "cap": draw_(st.integers(1, 3) if draw_(st.integers(0, 9)) == 0 else st.integers(4, 12)),
            "exclusions": exclusions,
        }
    inp = {
        "draw_id": draw_(st.sampled_from(["2026-阳城-001", "x", 'VEC "q"'])),
        "units": units,
        "strata": strata,
        "commit": hashlib.sha256(bytes.fromhex(secret)).hexdigest(),
        "randomness_sources": draw_(
            st.lists(st.sampled_from(["双色球第2026135期", "大乐透", "x\ny"]), min_size=1, max_size=2)
        ),
        "teams": teams,
        "secret": secret,
        "public_randomness": draw_(st.text(max_size=20)) + "\u0065\u0301\r\n",  # NFC and CRLF matter
        "events": [],
    }
    for _ in range(draw_(st.integers(0, 4))):
        state = outcome(reference, inp)
        if isinstance(state, tuple) or not names:
            break
        order, teams_now = state["result"]["order"], state["result"]["teams"]
        if order and draw_(st.integers(0, 9)) > 0:  # usually a valid event on the current state
            unit = draw_(st.sampled_from(order))
            if teams_now is not None and teams_now[unit] and draw_(st.booleans()):
                ev = {
                    "type": "replace_inspector",
                    "unit": draw_(label_variant(unit)),
                    "inspector": draw_(label_variant(draw_(st.sampled_from(teams_now[unit])))),
                    "reason": "回避",
                }
            else:
                ev = {"type": "replace_unit", "unit": draw_(label_variant(unit)), "reason": "机构已注销"}
        else:  # an arbitrary unit, often not selected now
            ev = {"type": "replace_unit", "unit": draw_(st.sampled_from(names)), "reason": "x"}
        if draw_(st.booleans()):
            ev["at"] = "2026-05-01T09:00:00+08:00"
        inp["events"].append(ev)
    return inp


def outcome(fn: Any, inp: dict[str, Any]) -> Any:
    try:
        return fn(inp)
    except (draw.DrawError, RefError) as exc:
        return ("error", exc.code)


ALL_CODES = {"invalid_input", "commit_mismatch", "unstaffable", "reserve_exhausted"}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_inputs())
def test_compute_agrees_with_reference(inp: dict[str, Any]) -> None:
    expected = outcome(reference, inp)
    got = outcome(draw.compute, inp)
    if isinstance(expected, tuple):
        assert got == expected
        return
    if isinstance(got, tuple):
        raise AssertionError(f"compute failed with {got}, reference succeeded")
    assert {k: got[k] for k in draw.PACKAGE_KEYS} == expected
    assert {k: v for k, v in got.items() if k not in draw.PACKAGE_KEYS} == inp
    assert draw.verify(got) == []
    assert draw.dumps(got) == json.dumps(got, ensure_ascii=False, indent=1)


def stress_input(rnd: random.Random) -> dict[str, Any]:
    """A medium-size draw with tight capacity, many exclusions and events taken from the state."""
    n_units = rnd.randint(100, 400)
    strata = {
        f"S{k}": {
            "ratio": [rnd.randint(1, 3), 10],
            "rounding": rnd.choice(["ceil", "floor", "half_up"]),
            "min": rnd.randint(0, 3),
            "max": rnd.choice([None, 40]),
        }
        for k in range(rnd.randint(1, 5))
    }
    units = [[f"U{i:05d}", rnd.choice(list(strata))] for i in range(n_units)]
    departments = ["甲", "乙", "丙"]
    inspectors = [
        [f"{'JYB'[k]}{i:03d}", d] for k, d in enumerate(departments) for i in range(rnd.randint(4, 15))
    ]
    rnd.shuffle(inspectors)
    slots = [
        {"department": "甲", "count": 2},
        {"department": "乙", "count": 1},
        {"department": "丙", "count": 1},
    ]
    exclusions = [[rnd.choice(units)[0], rnd.choice(inspectors)[0]] for _ in range(rnd.randint(0, 300))]
    secret = rnd.getrandbits(256).to_bytes(32, "big").hex()
    inp: dict[str, Any] = {
        "draw_id": "STRESS",
        "units": units,
        "strata": strata,
        "commit": hashlib.sha256(bytes.fromhex(secret)).hexdigest(),
        "randomness_sources": ["r"],
        "teams": None,
        "secret": secret,
        "public_randomness": f"stress {rnd.random()}",
        "events": [],
    }
    # A cap just above what the busiest department needs on average: loads reach the cap often.
    targets = sum(s["sample_size"] for s in draw.commitment(inp)["strata"].values())
    per_team = {"甲": 2, "乙": 1, "丙": 1}
    sizes = {d: sum(1 for _i, dd in inspectors if dd == d) for d in departments}
    cap = max(math.ceil(targets * per_team[d] / sizes[d] * rnd.uniform(1.0, 1.4)) for d in departments)
    inp["teams"] = {"inspectors": inspectors, "slots": slots, "cap": max(cap, 1), "exclusions": exclusions}
    for _ in range(rnd.randint(0, 25)):
        state = outcome(reference, inp)
        if isinstance(state, tuple) or not state["result"]["order"]:
            break
        unit = rnd.choice(state["result"]["order"])
        if rnd.random() < 0.6:
            member = rnd.choice(state["result"]["teams"][unit])
            inp["events"].append(
                {"type": "replace_inspector", "unit": unit, "inspector": member, "reason": "r"}
            )
        else:
            inp["events"].append({"type": "replace_unit", "unit": unit, "reason": "r"})
    return inp


def test_stress_against_reference() -> None:
    rnd = random.Random(20260523)
    seen = set()
    for _ in range(40):
        inp = stress_input(rnd)
        expected = outcome(reference, inp)
        got = outcome(draw.compute, inp)
        if isinstance(expected, tuple):
            assert got == expected
            seen.add(expected[1])
        else:
            assert not isinstance(got, tuple), got
            assert {k: got[k] for k in draw.PACKAGE_KEYS} == expected
            seen.add(f"ok with {len(inp['events'])} events" if inp["events"] else "ok")
    assert "ok" in " ".join(seen) and "unstaffable" in seen, seen


@settings(max_examples=150, deadline=None)
@given(valid_inputs(with_teams=True))
def test_compute_only_raises_allowed_codes_and_verifies(inp: dict[str, Any]) -> None:
    try:
        package = draw.compute(inp)
    except draw.DrawError as exc:
        assert exc.code in ALL_CODES
        assert exc.message
        if exc.code == "unstaffable":
            assert set(exc.details) == {"unit", "department"}
        return
    assert draw.verify(package) == []
    assert draw.verify(json.loads(json.dumps(package))) == []


@settings(max_examples=100, deadline=None)
@given(valid_inputs(), st.randoms(use_true_random=False))
def test_order_of_lists_and_keys_does_not_matter(inp: dict[str, Any], rnd: random.Random) -> None:
    shuffled = copy.deepcopy(inp)
    rnd.shuffle(shuffled["units"])
    keys = list(shuffled["strata"])
    rnd.shuffle(keys)
    shuffled["strata"] = {h: shuffled["strata"][h] for h in keys}
    if shuffled["teams"] is not None:
        rnd.shuffle(shuffled["teams"]["inspectors"])
        rnd.shuffle(shuffled["teams"]["exclusions"])
        shuffled["teams"]["exclusions"] += shuffled["teams"]["exclusions"][:2]  # duplicates are harmless
    top = list(shuffled)
    rnd.shuffle(top)
    shuffled = {k: shuffled[k] for k in top}
    a, b = outcome(draw.compute, inp), outcome(draw.compute, shuffled)
    if isinstance(a, tuple):
        assert a == b
    else:
        assert {k: a[k] for k in draw.PACKAGE_KEYS} == {k: b[k] for k in draw.PACKAGE_KEYS}


def test_order_invariance_on_vector_2() -> None:
    vector = load("vector-2.json")
    rnd = random.Random(7)
    for _ in range(20):
        inp = copy.deepcopy(vector["input"])
        rnd.shuffle(inp["units"])
        rnd.shuffle(inp["teams"]["inspectors"])
        rnd.shuffle(inp["teams"]["exclusions"])
        inp["strata"] = dict(reversed(list(inp["strata"].items())))
        package = draw.compute(inp)
        assert {k: package[k] for k in draw.PACKAGE_KEYS} == {
            k: vector["package"][k] for k in draw.PACKAGE_KEYS
        }


@settings(max_examples=60, deadline=None)
@given(valid_inputs(max_units=60))
def test_two_workers_give_the_same_package(inp: dict[str, Any]) -> None:
    original = draw._PARALLEL_MIN_UNITS
    draw._PARALLEL_MIN_UNITS = 1
    try:
        assert outcome(lambda x: draw.compute(x, workers=2), inp) == outcome(draw.compute, inp)
    finally:
        draw._PARALLEL_MIN_UNITS = original


# ------------------------------------------------------------------------------------------
# Inclusion probability


def test_each_unit_is_selected_with_probability_n_over_n() -> None:
    """Over a fixed set of 4,000 public-randomness values, every unit's inclusion count must lie
    within 5 binomial standard deviations of R·n/N (for each unit, count ~ Binomial(R, n/N) if the
    ranks behave as uniform random; the seed set is fixed, so the test is deterministic).
    """
    units = [[f"H{i:04d}", "A"] for i in range(10)] + [[f"P{i:04d}", "B"] for i in range(7)]
    strata = {
        "A": {"ratio": [3, 10], "rounding": "floor", "min": 0, "max": None},  # n = 3 of 10
        "B": {"ratio": [1, 3], "rounding": "half_up", "min": 0, "max": None},
    }  # n = 2 of 7
    secret = "11" * 32
    base = {
        "draw_id": "STAT",
        "units": units,
        "strata": strata,
        "commit": hashlib.sha256(bytes.fromhex(secret)).hexdigest(),
        "randomness_sources": ["test"],
        "teams": None,
        "secret": secret,
        "public_randomness": "",
        "events": [],
    }
    runs = 4000
    counts = {u[0]: 0 for u in units}
    first = {u[0]: 0 for u in units}
    for k in range(runs):
        package = draw.compute(dict(base, public_randomness=f"round {k}"))
        for h, r in package["result"]["strata"].items():
            assert r["sample_size"] == (3 if h == "A" else 2)
            for label in r["selected"]:
                counts[label] += 1
        first[package["result"]["order"][0]] += 1
    for label, count in counts.items():
        p = Fraction(3, 10) if label.startswith("H") else Fraction(2, 7)
        mean = runs * p
        sigma = math.sqrt(runs * p * (1 - p))
        assert abs(count - mean) <= 5 * sigma, (label, count, float(mean))
    # The first unit of the inspection order is one of the 5 selected, each equally likely a priori:
    # P(first = u) = P(u selected) / 5 for every unit u.
    for label, count in first.items():
        p = (Fraction(3, 10) if label.startswith("H") else Fraction(2, 7)) / 5
        assert abs(count - runs * p) <= 5 * math.sqrt(runs * p * (1 - p)), (label, count)


# ------------------------------------------------------------------------------------------
# Tampering


def tamper_cases() -> list[tuple[str, Any]]:
    def setter(path: list[Any], value: Any) -> Any:
        def apply(pkg: dict[str, Any]) -> None:
            obj = pkg
            for key in path[:-1]:
                obj = obj[key]
            obj[path[-1]] = value

        return apply

    def delete(key: str) -> Any:
        def apply(pkg: dict[str, Any]) -> None:
            del pkg[key]

        return apply

    def mutate(fn: Any) -> Any:
        return fn

    return [
        ("draw_id", setter(["draw_id"], "VEC-2b")),
        ("units: one removed", mutate(lambda p: p["units"].pop(5))),
        ("units: stratum changed", setter(["units", 3, 1], "140522|P")),
        ("units: one added", mutate(lambda p: p["units"].append(["H99999999999", "140522|H"]))),
        ("strata", setter(["strata", "140522|H", "min"], 2)),
        ("commit", setter(["commit"], "0" * 64)),
        ("randomness_sources", mutate(lambda p: p["randomness_sources"].append("另一个来源"))),
        ("teams.cap", setter(["teams", "cap"], 4)),
        ("teams.slots", setter(["teams", "slots", 0, "count"], 1)),
        ("teams.inspectors", setter(["teams", "inspectors", 0, 1], "县市场监督管理局")),
        ("teams.exclusions", mutate(lambda p: p["teams"]["exclusions"].pop())),
        ("secret", setter(["secret"], "1" * 64)),
        ("public_randomness", setter(["public_randomness"], "大乐透 26135: 05 11 17 22 34 + 03 13")),
        ("events: one dropped", mutate(lambda p: p["events"].pop())),
        ("events: unit changed", setter(["events", 1, "unit"], "P14052200003")),
        ("algorithm", setter(["algorithm"], "SC-DRAW-2")),
        ("algorithm missing", delete("algorithm")),
        ("snapshot_digest", setter(["snapshot_digest"], "f" * 64)),
        ("params_digest", setter(["params_digest"], "f" * 64)),
        ("seed", setter(["seed"], "f" * 64)),
        ("result missing", delete("result")),
        ("selected label", setter(["result", "strata", "140522|H", "selected", 0], "H14052200002")),
        ("reserve order", mutate(lambda p: p["result"]["strata"]["140522|P"]["reserve"].reverse())),
        ("population as float", setter(["result", "strata", "140522|P", "population"], 20.0)),
        ("sample_size as string", setter(["result", "strata", "140522|P", "sample_size"], "2")),
        ("order", mutate(lambda p: p["result"]["order"].reverse())),
        ("order extra unit", mutate(lambda p: p["result"]["order"].append("H14052200053"))),
        ("team member", setter(["result", "teams", "H14052200010", 1], "YB-006")),
        ("team order", mutate(lambda p: p["result"]["teams"]["H14052200010"].reverse())),
        ("teams null", setter(["result", "teams"], None)),
        ("extra result key", setter(["result", "note"], "x")),
        ("extra top-level key", setter(["note"], "x")),
        ("lower-case label in result", setter(["result", "order", 0], "p14052200003")),
    ]


@pytest.mark.parametrize("name,apply", tamper_cases(), ids=[c[0] for c in tamper_cases()])
def test_tampering_fails_verification(name: str, apply: Any) -> None:
    package = load("vector-2.json")["package"]
    assert draw.verify(package) == []
    apply(package)
    diffs = draw.verify(package)
    assert diffs, name
    assert all(isinstance(d, str) and d for d in diffs)


def test_changes_outside_the_computation_still_verify() -> None:
    """What the spec implies for fields that do not enter the computation.

    The package is checked against a recomputation *from its own input fields*. An event's
    ``reason`` and ``at`` are carried for people and enter no digest, so editing them yields a
    different but equally valid package (their integrity comes from the product's audit chain, not
    from SC-DRAW-1). Likewise equivalent spellings of the input (a label with spaces or lower case,
    CRLF in the public randomness) compute the same result.
    """
    package = load("vector-2.json")["package"]
    package["events"][0]["reason"] = "另一个理由"
    package["events"][1]["at"] = "2026-06-01T10:00:00+08:00"
    package["units"][0][0] = "  h14052200001\t"
    package["public_randomness"] = "\r\n" + package["public_randomness"] + " \n"
    assert draw.verify(package) == []
    package["events"][0]["reason"] = ""  # but it must still be a non-empty string
    assert draw.verify(package) != []


@settings(max_examples=200, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=5)
        ),
        max_leaves=20,
    )
)
def test_verify_never_raises_on_garbage(value: Any) -> None:
    result = draw.verify(value)
    assert isinstance(result, list) and result


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_verify_never_raises_on_mutated_packages(data: st.DataObject) -> None:
    package = load(data.draw(st.sampled_from(["vector-1.json", "vector-2.json"])))["package"]
    junk = (
        st.none()
        | st.booleans()
        | st.integers(-3, 3)
        | st.floats(allow_nan=False)
        | st.text(max_size=4)
        | st.just([])
        | st.just({})
        | st.just(["\ud800", "x"])
    )
    obj: Any = package
    for _ in range(data.draw(st.integers(1, 4))):
        if isinstance(obj, dict) and obj:
            key = data.draw(st.sampled_from(sorted(obj)))
        elif isinstance(obj, list) and obj:
            key = data.draw(st.integers(0, len(obj) - 1))
        else:
            break
        if data.draw(st.booleans()) or not isinstance(obj[key], (dict, list)):
            obj[key] = data.draw(junk)
            break
        obj = obj[key]
    result = draw.verify(package)
    assert isinstance(result, list)
    try:
        draw.compute({k: v for k, v in package.items() if k not in draw.PACKAGE_KEYS})
    except draw.DrawError as exc:
        assert exc.code in ALL_CODES


# ------------------------------------------------------------------------------------------
# Conventions: canon, HMAC, normalisation, sample size, JSON I/O


@pytest.mark.parametrize(
    "value,expected",
    [
        ('a"b\\c', b'"a\\"b\\\\c"'),
        ("\b\f\n\r\t", b'"\\b\\f\\n\\r\\t"'),
        ("\x00\x01\x1f", b'"\\u0000\\u0001\\u001f"'),
        ("\x1b", b'"\\u001b"'),  # lowercase hex
        ("\x7f/\u2028", '"\x7f/\u2028"'.encode()),  # DEL, slash and U+2028 are not escaped
        ("阳城é😀", '"阳城é😀"'.encode()),  # non-ASCII as UTF-8
        ({"b": 1, "a": [None, -2, "x"], "A": {}}, b'{"A":{},"a":[null,-2,"x"],"b":1}'),
        ({"\uffff": 1, "\U0001f600": 2, "é": 3, "z": 4}, '{"z":4,"é":3,"\uffff":1,"\U0001f600":2}'.encode()),
        ([], b"[]"),
        ({}, b"{}"),
        (10**30, b"1000000000000000000000000000000"),
        ([[["H1", "s"]]], b'[[["H1","s"]]]'),
    ],
)
def test_canon_bytes(value: Any, expected: bytes) -> None:
    assert draw.canon(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        1.0,
        True,
        False,
        [1, True],
        {"a": 0.5},
        {1: "a"},
        ("a",),
        "\ud800",
        ["ok", "\udfff"],
        {"\ud800": 1},
        b"x",
    ],
)
def test_canon_rejects(value: Any) -> None:
    with pytest.raises(draw.DrawError) as info:
        draw.canon(value)
    assert info.value.code == "invalid_input"


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.integers() | st.text(),
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=4)
        ),
        max_leaves=25,
    )
)
def test_canon_equals_the_json_dumps_expression(value: Any) -> None:
    try:
        expected = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode(
            "utf-8"
        )
    except UnicodeEncodeError:
        with pytest.raises(draw.DrawError):
            draw.canon(value)
        return
    assert draw.canon(value) == expected


@settings(max_examples=200)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda children: (
            st.lists(children, max_size=5)
            | st.dictionaries(st.text(max_size=4), children, max_size=4)
            | st.lists(st.lists(st.text(max_size=3), min_size=2, max_size=2), max_size=4)
        ),
        max_leaves=30,
    )
)
def test_dumps_equals_json_dumps_indent_1(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=1)
    assert draw.dumps(value) == expected
    original = draw._CHUNK
    draw._CHUNK = 2  # long lists are written in pieces: check the piece boundaries too
    try:
        assert draw.dumps(value) == expected
    finally:
        draw._CHUNK = original


def test_write_json_streams_the_same_text() -> None:
    package = load("vector-2.json")["package"]
    stream = io.BytesIO()
    draw.write_json(package, stream)
    assert stream.getvalue() == (json.dumps(package, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def test_snapshot_digest_across_hashing_chunks() -> None:
    rnd = random.Random(5)
    units = [[f"U{i:06d}", rnd.choice(["甲", '乙"', "c"])] for i in range(70_000)]  # > one 65,536-unit chunk
    rnd.shuffle(units)
    spec = {"ratio": [1, 100], "rounding": "ceil", "min": 0, "max": None}
    inp = {
        "draw_id": "D",
        "units": units,
        "strata": {"甲": spec, '乙"': spec, "c": spec},
        "commit": "0" * 64,
        "randomness_sources": ["r"],
        "teams": None,
    }
    expected = hashlib.sha256(ref_canon(sorted(units))).hexdigest()
    assert draw.commitment(inp)["snapshot_digest"] == expected


@given(st.binary(max_size=100), st.binary(max_size=10), st.binary(max_size=80))
def test_fast_hmac_equals_hmac_digest(key: bytes, prefix: bytes, msg: bytes) -> None:
    assert draw._hmac_fn(key, prefix)(msg) == hmac.digest(key, prefix + msg, "sha256")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("H14068100001", "H14068100001"),
        (" h14068100004 ", "H14068100004"),
        ("\t\n\x0b\x0c\r yb-001\r\n", "YB-001"),
        ("a.b_c-9", "A.B_C-9"),
        ("X" * 64, "X" * 64),
    ],
)
def test_normalise_label(raw: str, expected: str) -> None:
    assert draw.normalise_label(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "X" * 65,
        "H1406810000１",
        "Ｈ1",
        "ß",
        "H 1",
        "H/1",
        "\u00a0H1",
        "H1\u3000",
        "\x1cH1",
        "ı",
        "ﬀ",
        "H1\u0085",
        1,
        None,
        ["H1"],
    ],
)
def test_normalise_label_rejects(raw: Any) -> None:
    with pytest.raises(draw.DrawError) as info:
        draw.normalise_label(raw, "units[3]")
    assert info.value.code == "invalid_input"
    assert "units[3]" in info.value.message


def test_label_message_matches_brief_style() -> None:
    with pytest.raises(draw.DrawError) as info:
        draw.normalise_label("Ｈ14068100001", "units[3]")
    assert info.value.message.startswith("units[3] 的标签 'Ｈ14068100001' 不合法：只允许 0-9 A-Z . _ -")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("双色球 2026135\r\n红球 03 蓝球 09 \n", "双色球 2026135\n红球 03 蓝球 09"),
        ("e\u0301", "\u00e9"),  # NFC
        (" a\r\n\r\nb\t", "a\n\nb"),
        ("\u3000x\u3000", "\u3000x\u3000"),  # ideographic space is not whitespace here
        ("a\rb", "a\rb"),  # a lone CR inside is kept
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert draw.normalise_text(raw) == expected


@pytest.mark.parametrize("raw", ["", " \r\n\t", "\ud800x", 5])
def test_normalise_text_rejects(raw: Any) -> None:
    with pytest.raises(draw.DrawError):
        draw.normalise_text(raw)


@pytest.mark.parametrize(
    "args,expected",
    [
        ((200, 3, 200, "ceil", 0, None), 3),
        ((6, 9, 1000, "ceil", 0, None), 1),
        ((6, 9, 1000, "floor", 0, None), 0),
        ((20, 1, 10, "half_up", 0, 2), 2),
        ((25, 1, 10, "half_up", 0, None), 3),  # 2.5 rounds up
        ((24, 1, 10, "half_up", 0, None), 2),
        ((40, 1, 10, "ceil", 1, None), 4),
        ((3, 0, 1, "ceil", 5, None), 3),  # min never exceeds N
        ((0, 1, 1, "ceil", 2, 7), 0),
        ((10, 1, 1, "ceil", 0, 0), 0),
    ],
)
def test_sample_size_table(args: tuple[Any, ...], expected: int) -> None:
    assert draw.sample_size(*args) == expected


@given(
    st.integers(0, 10**6),
    st.integers(1, 10**4).flatmap(lambda q: st.tuples(st.integers(0, q), st.just(q))),
    st.sampled_from(["ceil", "floor", "half_up"]),
    st.integers(0, 50),
    st.none() | st.integers(0, 10**6),
)
def test_sample_size_properties(
    n_units: int, pq: tuple[int, int], rounding: str, lo: int, hi: int | None
) -> None:
    p, q = pq
    n = draw.sample_size(n_units, p, q, rounding, lo, hi)
    assert n == ref_sample_size(n_units, p, q, rounding, lo, hi)
    assert 0 <= n <= n_units
    if hi is not None:
        assert n <= hi
    assert n >= min(lo, n_units, hi if hi is not None else lo)
    exact = Fraction(n_units * p, q)
    if hi is None and lo == 0:
        assert abs(n - exact) < 1


def test_sample_size_rejects_unknown_rounding() -> None:
    with pytest.raises(ValueError):
        draw.sample_size(10, 1, 2, "round", 0, None)


def test_loads_is_strict() -> None:
    assert draw.loads(b'\xef\xbb\xbf{"a": [1, "\\u00e9"]}') == {"a": [1, "é"]}
    assert draw.loads("\ufeff[]") == []
    for bad in ['{"a": 1, "a": 1}', "[NaN]", "[Infinity]", "{", b"\xff", "[1] x"]:
        with pytest.raises(draw.DrawError) as info:
            draw.loads(bad)
        assert info.value.code == "invalid_input"


# ------------------------------------------------------------------------------------------
# Strict validation of the input


def vector_input(name: str = "vector-2.json") -> dict[str, Any]:
    return load(name)["input"]


def invalid_cases() -> list[tuple[str, Any]]:
    def at(path: list[Any], value: Any) -> Any:
        def apply(inp: dict[str, Any]) -> None:
            obj = inp
            for key in path[:-1]:
                obj = obj[key]
            obj[path[-1]] = value

        return apply

    def drop(path: list[Any]) -> Any:
        def apply(inp: dict[str, Any]) -> None:
            obj = inp
            for key in path[:-1]:
                obj = obj[key]
            del obj[path[-1]]

        return apply

    return [
        ("input not an object", lambda inp: inp.clear() or inp.update({"x": 1})),
        ("missing key", drop(["events"])),
        ("draw_id empty", at(["draw_id"], "")),
        ("draw_id not string", at(["draw_id"], 7)),
        ("draw_id lone surrogate", at(["draw_id"], "a\udc00")),
        ("units not list", at(["units"], {})),
        ("unit of three", at(["units", 0], ["H1", "140522|H", "x"])),
        ("unit as object", at(["units", 0], {"label": "H1"})),
        ("unit label int", at(["units", 0, 0], 1)),
        ("unit stratum int", at(["units", 0, 1], 1)),
        ("label with inner space", at(["units", 0, 0], "H 1")),
        ("label too long", at(["units", 0, 0], "H" * 65)),
        ("duplicate after normalisation", at(["units", 1, 0], " h14052200001")),
        ("strata not object", at(["strata"], [])),
        ("stratum extra key", at(["strata", "140522|H", "note"], "x")),
        ("stratum missing key", drop(["strata", "140522|H", "max"])),
        ("ratio of three", at(["strata", "140522|H", "ratio"], [1, 2, 3])),
        ("ratio p > q", at(["strata", "140522|H", "ratio"], [3, 2])),
        ("ratio q = 0", at(["strata", "140522|H", "ratio"], [0, 0])),
        ("ratio negative", at(["strata", "140522|H", "ratio"], [-1, 2])),
        ("ratio boolean", at(["strata", "140522|H", "ratio"], [True, 2])),
        ("rounding unknown", at(["strata", "140522|H", "rounding"], "round")),
        ("min negative", at(["strata", "140522|H", "min"], -1)),
        ("min float", at(["strata", "140522|H", "min"], 1.0)),
        ("max boolean", at(["strata", "140522|H", "max"], False)),
        ("max negative", at(["strata", "140522|H", "max"], -3)),
        ("commit short", at(["commit"], "abc")),
        (
            "commit with newline",
            at(["commit"], "61627ad1387840717d95e8972ff15dfcea74432b542dedbc070a85786c2a2be3\n"),
        ),
        (
            "secret upper-case",
            at(["secret"], "046FF92D88B1EBF65B4CF2E41F06803ABBCBFBA5731D7631ACB6719A3151E1CE"),
        ),
        ("secret int", at(["secret"], 5)),
        ("sources empty", at(["randomness_sources"], [])),
        ("sources empty string", at(["randomness_sources"], [""])),
        ("sources not list", at(["randomness_sources"], "x")),
        ("public_randomness blank", at(["public_randomness"], " \r\n ")),
        ("public_randomness not string", at(["public_randomness"], ["x"])),
        ("teams not object", at(["teams"], [])),
        ("teams extra key", at(["teams", "note"], 1)),
        ("inspector of one", at(["teams", "inspectors", 0], ["YB-001"])),
        ("inspector bad id", at(["teams", "inspectors", 0, 0], "YB 001")),
        ("inspector duplicate", at(["teams", "inspectors", 1, 0], "yb-001")),
        ("inspector department int", at(["teams", "inspectors", 0, 1], 3)),
        ("slots empty", at(["teams", "slots"], [])),
        ("slot extra key", at(["teams", "slots", 0, "x"], 1)),
        ("slot department empty", at(["teams", "slots", 0, "department"], "")),
        ("slot count zero", at(["teams", "slots", 0, "count"], 0)),
        ("slot count boolean", at(["teams", "slots", 0, "count"], True)),
        ("cap zero", at(["teams", "cap"], 0)),
        ("cap float", at(["teams", "cap"], 3.0)),
        ("exclusion unknown inspector", at(["teams", "exclusions", 0, 1], "YB-999")),
        ("exclusion of three", at(["teams", "exclusions", 0], ["H14052200001", "YB-001", "x"])),
        ("events not list", at(["events"], {})),
        ("event unknown type", at(["events", 0, "type"], "swap")),
        ("event extra key", at(["events", 0, "note"], "x")),
        ("event missing reason", drop(["events", 0, "reason"])),
        ("event empty reason", at(["events", 0, "reason"], "")),
        ("event at empty", at(["events", 0, "at"], "")),
        ("event at int", at(["events", 0, "at"], 20260101)),
        ("event inspector not on team", at(["events", 0, "inspector"], "YB-004")),
        ("event unit not selected", at(["events", 0, "unit"], "H14052200002")),
        ("event unit bad label", at(["events", 0, "unit"], "H 1")),
        ("replace_unit with inspector key", at(["events", 1, "inspector"], "YB-001")),
        ("replaced unit replaced again", lambda inp: inp["events"].append(dict(inp["events"][1]))),
    ]


@pytest.mark.parametrize("name,apply", invalid_cases(), ids=[c[0] for c in invalid_cases()])
def test_invalid_inputs(name: str, apply: Any) -> None:
    inp = copy.deepcopy(vector_input())
    apply(inp)
    with pytest.raises(draw.DrawError) as info:
        draw.compute(inp)
    assert info.value.code == "invalid_input", info.value.message
    assert info.value.message


def test_input_must_be_an_object() -> None:
    for value in (None, [], "x", 1):
        with pytest.raises(draw.DrawError) as info:
            draw.compute(value)  # type: ignore[arg-type]
        assert info.value.code == "invalid_input"


def test_valid_edge_cases() -> None:
    base = vector_input("vector-1.json")
    # no units at all, an empty stratum table, and a teams block with a slot department nobody has
    empty = dict(base, units=[], strata={}, events=[])
    package = draw.compute(empty)
    assert package["result"] == {"strata": {}, "order": [], "teams": None}
    teams = {"inspectors": [], "slots": [{"department": "无人部门", "count": 1}], "cap": 1, "exclusions": []}
    package = draw.compute(dict(empty, teams=teams))
    assert package["result"]["teams"] == {}
    with pytest.raises(draw.DrawError) as info:
        draw.compute(dict(base, teams=teams, events=[]))
    assert info.value.code == "unstaffable" and info.value.details["department"] == "无人部门"
    # an event with "at" is accepted; the label in an event is normalised
    events = [
        {"type": "replace_unit", "unit": " p14068100026 ", "reason": "停业", "at": "2026-05-01T09:00:00Z"}
    ]
    assert draw.compute(dict(base, events=events))["result"] == load("vector-1.json")["package"]["result"]
