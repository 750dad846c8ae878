"""Can the inspector teams of a draw be staffed? Exact capacity arithmetic and a simulation.

Both functions take a draw input at commit time (no secret needed: ``secret``,
``public_randomness`` and ``events`` are ignored when present, and ``commit`` may be missing).

- ``capacity``: sample sizes are fixed before the reveal, so the number of inspector slots each
  department must fill is exact. Without exclusions, the least-loaded rule of SC-DRAW-1 staffs every
  team if and only if no department is short (needed <= cap × inspectors and enough inspectors for
  one team), because loads inside a department never differ by more than one.
- ``simulate``: exclusions (回避) can still make a draw fail as ``unstaffable``; running the real
  SC-DRAW-1 assignment under many throw-away secrets estimates how often that happens.

Standard library only.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from spotcheck.core import draw

_PLACEHOLDER_COMMIT = "0" * 64


def _prepare(data: Mapping[str, Any]) -> draw._Prepared:
    """Validate the commit-time part of an input (DrawError("invalid_input") when invalid)."""
    if not isinstance(data, Mapping):
        raise draw.DrawError("invalid_input", "输入必须是 JSON 对象")
    commit_time = {k: v for k, v in data.items() if k not in draw.REVEAL_KEYS}
    commit_time.setdefault("commit", _PLACEHOLDER_COMMIT)
    with draw._gc_paused():
        draw._check_keys(commit_time, draw.COMMIT_KEYS, (), "输入")
        return draw._Prepared(commit_time)


def capacity(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Per slot department: can its share of all teams be filled? ({} when teams is null).

    Each value: {"inspectors": k, "per_team": c, "targets": T, "needed": T × c,
    "available": cap × k, "shortfall": bool, "message": Chinese explanation}. ``shortfall`` is
    true when needed > available or, if T > 0, when a single team needs more than k inspectors.
    Raises DrawError("invalid_input") for an invalid input.
    """
    prep = _prepare(data)
    teams = prep.teams
    if teams is None:
        return {}
    targets = sum(prep.sizes.values())
    per_team: dict[str, int] = {}
    for dept, count in teams.slots:
        per_team[dept] = per_team.get(dept, 0) + count
    inspectors: dict[str, int] = {}
    for dept in teams.department.values():
        inspectors[dept] = inspectors.get(dept, 0) + 1
    out: dict[str, dict[str, Any]] = {}
    for dept, count in per_team.items():
        k = inspectors.get(dept, 0)
        needed = targets * count
        available = teams.cap * k
        too_few = targets > 0 and count > k
        short = needed > available or too_few
        if too_few:
            message = f"{dept} 缺少检查人员：每个检查组需要 {count} 人，但该部门只有 {k} 名检查人员"
        elif short:
            message = (f"{dept} 缺少检查人员：需要 {needed} 人次，最多可提供 {available} 人次"
                       f"（{k} 人 × 每人最多 {teams.cap} 次）")
        else:
            message = (f"{dept} 人员充足：需要 {needed} 人次，最多可提供 {available} 人次"
                       f"（{k} 人 × 每人最多 {teams.cap} 次）")
        out[dept] = {
            "inspectors": k,
            "per_team": count,
            "targets": targets,
            "needed": needed,
            "available": available,
            "shortfall": short,
            "message": message,
        }
    return out


def simulate(data: Mapping[str, Any], runs: int, rng_seed: int | None = None) -> dict[str, Any]:
    """Run the SC-DRAW-1 selection and team assignment ``runs`` times with throw-away secrets.

    Each run draws a random secret and a random stand-in for the public randomness (from
    ``random.Random(rng_seed)``, or the system CSPRNG when rng_seed is None) and performs the
    initial draw without events. Returns {"runs": R, "failures": F, "failure_rate": "F/R",
    "by_department": {department: failures naming it}, "by_unit": {unit: failures naming it},
    "by_unit_example": first failure {"run", "unit", "department", "message", "secret",
    "public_randomness"} or None, "message": Chinese summary}. A run is exactly ``compute`` of the
    input with commit = H(secret), that secret and that public randomness, and no events, so any
    failure can be replayed. Cost is about one full draw per run.
    """
    if type(runs) is not int or runs < 0:
        raise ValueError("runs must be a non-negative integer")
    prep = _prepare(data)
    rng: random.Random = random.SystemRandom() if rng_seed is None else random.Random(rng_seed)
    failures = 0
    by_department: dict[str, int] = {}
    by_unit: dict[str, int] = {}
    example: dict[str, Any] | None = None
    if prep.teams is not None:
        for run in range(runs):
            secret = rng.getrandbits(256).to_bytes(32, "big").hex()
            randomness = f"模拟 {run}: {rng.getrandbits(64):016x}"
            # The run is exactly compute() of the input with commit = H(secret), this secret and
            # this public randomness, without events.
            params_digest = draw.H(draw.canon(dict(prep.params, commit=draw.H(bytes.fromhex(secret)))))
            try:
                with draw._gc_paused():
                    draw._draw(prep, draw._seed(params_digest, secret, randomness), [])
            except draw.DrawError as exc:
                if exc.code != "unstaffable":
                    raise
                failures += 1
                dept = str(exc.details.get("department"))
                unit = str(exc.details.get("unit"))
                by_department[dept] = by_department.get(dept, 0) + 1
                by_unit[unit] = by_unit.get(unit, 0) + 1
                if example is None:
                    example = {"run": run, "unit": unit, "department": dept, "message": exc.message,
                               "secret": secret, "public_randomness": randomness}
    if prep.teams is None:
        message = "本次抽取不组建检查组，无需模拟。"
    elif failures == 0:
        message = f"模拟抽取 {runs} 次，每次都能配齐全部检查组。"
    else:
        worst = max(by_department, key=lambda d: by_department[d])
        message = (f"模拟抽取 {runs} 次，其中 {failures} 次无法配齐检查组；"
                   f"最常缺人的部门是 {worst}（{by_department[worst]} 次）。"
                   "请增加该部门的检查人员、提高每人上限 cap 或减少回避关系。")
    return {
        "runs": runs,
        "failures": failures,
        "failure_rate": f"{failures}/{runs}",
        "by_department": by_department,
        "by_unit": by_unit,
        "by_unit_example": example,
        "message": message,
    }
