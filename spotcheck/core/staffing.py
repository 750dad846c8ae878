"""Can the inspector teams of a draw be staffed? Exact capacity arithmetic and a simulation.

Both functions take a draw input at commit time (no secret needed: ``secret``,
``public_randomness`` and ``events`` are ignored when present, and ``commit`` may be missing).

- ``capacity``: sample sizes are fixed before the reveal, so the number of inspector slots each
  department must fill is exact. Without exclusions, the least-loaded rule of SC-DRAW-1 staffs every
  team if and only if no department is short (needed <= cap × inspectors and enough inspectors for
  one team), because loads inside a department never differ by more than one.
- ``simulate``: exclusions (回避) can still make a draw fail as ``unstaffable``; repeating the
  SC-DRAW-1 team assignment over random selections (a uniformly random n-subset per stratum in a
  uniformly random order, exactly the distribution of a reveal under an unknown secret) estimates
  how often that happens. Only the selected units are handled, so a run costs one pick per team
  place however large the pool is.

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
    """Estimate how often the initial SC-DRAW-1 reveal fails as ``unstaffable``, over ``runs`` runs.

    Each run reproduces the distribution of a real reveal under an unknown secret without ranking
    the pool: SC-DRAW-1 selects in every stratum the n units of lowest HMAC rank, i.e. a uniformly
    random n-subset, and staffs the selected units in the order of their ranks, i.e. in a uniformly
    random order. A run therefore draws, from ``random.Random(rng_seed)`` (or the system CSPRNG
    when rng_seed is None), a random n-subset per stratum and a random order of their union, and
    then assigns the teams with the SC-DRAW-1 rule for those units in that order: slots in listed
    order; each pick takes, at the lowest load level below cap that still has an inspector of the
    slot's department outside the team so far and outside the unit's exclusions, one of those
    inspectors uniformly at random (SC-DRAW-1 takes HMAC(r) mod |E| in a keyed random permutation:
    the same distribution); the run fails at the first pick with no such inspector, naming that
    unit and department exactly as SC-DRAW-1's ``unstaffable`` error would. Reserves never matter
    (a reveal has no events). Cost: about one pick per team place per run, independent of the pool.

    Returns {"runs": R, "failures": F, "failure_rate": "F/R", "by_department": {department:
    failures naming it}, "by_unit": {unit: failures naming it}, "by_unit_example": first failure
    {"run", "unit", "department", "message"} or None, "message": Chinese summary}.
    """
    if type(runs) is not int or runs < 0:
        raise ValueError("runs must be a non-negative integer")
    prep = _prepare(data)
    rng: random.Random = random.SystemRandom() if rng_seed is None else random.Random(rng_seed)
    failures = 0
    by_department: dict[str, int] = {}
    by_unit: dict[str, int] = {}
    example: dict[str, Any] | None = None
    teams = prep.teams
    if teams is not None:
        labels = prep.labels
        groups = [([labels[i] for i in prep.groups[h]], prep.sizes[h]) for h in prep.strata if prep.sizes[h]]
        excluded: dict[str, set[str]] = {}
        for unit, ident in teams.exclusions:
            excluded.setdefault(unit, set()).add(ident)
        members: dict[str, list[str]] = {}
        for ident, d in teams.department.items():
            members.setdefault(d, []).append(ident)
        picks = [d for d, count in teams.slots for _ in range(count)]
        for run in range(runs):
            order: list[str] = []
            for group, n in groups:
                order += rng.sample(group, n)
            rng.shuffle(order)
            failed = _staff_run(order, picks, members, excluded, teams.cap, rng.random)
            if failed is None:
                continue
            unit, dept = failed
            failures += 1
            by_department[dept] = by_department.get(dept, 0) + 1
            by_unit[unit] = by_unit.get(unit, 0) + 1
            if example is None:
                example = {"run": run, "unit": unit, "department": dept, "message": (
                    f"无法为检查对象 {unit} 配齐“{dept}”的检查人员：该部门没有符合条件的人员"
                    f"（均已在本组、需要回避或已达到每人上限 cap={teams.cap}）")}
    if teams is None:
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


def _staff_run(
    order: list[str], picks: list[str], members: Mapping[str, list[str]], excluded: Mapping[str, set[str]],
    cap: int, random_fn: Any,
) -> tuple[str, str] | None:
    """Staff ``order`` by the least-loaded rule; (unit, department) of the first impossible pick, or None.

    ``picks`` lists the department of every team place in slot order. Per department, ``lv[i]``
    holds (in no particular order) the inspectors of the i-th lowest load level still below cap;
    a level that has emptied is dropped from the front, so ``lv[0]`` is the least-loaded level and
    ``len(lv)`` shrinks towards zero as loads approach cap. A pick draws a uniformly random index
    (O(1): the chosen inspector is swapped with the last and popped, then appended one level up).
    """
    levels: dict[str, list[list[str]]] = {}
    for d in picks:
        if d not in levels:
            levels[d] = [list(members.get(d, ()))] + [[] for _ in range(cap - 1)]
    plan = [(levels[d], d) for d in picks]
    for t in order:
        team: list[str] = []
        ex = excluded.get(t)
        for lv, d in plan:
            if lv:
                bucket = lv[0]
                n = len(bucket)
                if n:
                    i = int(random_fn() * n)
                    x = bucket[i]
                    if x not in team and (ex is None or x not in ex):
                        last = bucket.pop()
                        if i < n - 1:
                            bucket[i] = last
                        if len(lv) > 1:
                            lv[1].append(x)
                        team.append(x)
                        continue
            choice = _pick_blocked(lv, team, ex, random_fn)
            if choice is None:
                return t, d
            team.append(choice)
    return None


def _pick_blocked(lv: list[list[str]], team: list[str], ex: set[str] | None, random_fn: Any) -> str | None:
    """The pick of :func:`_staff_run` when the first random candidate was blocked (or lv[0] empty)."""
    while lv and not lv[0]:
        del lv[0]
    blocked = set(team) | ex if ex else set(team)
    for level, bucket in enumerate(lv):
        n = len(bucket)
        index = None
        for _ in range(8):  # rejection sampling: uniform over the bucket minus the blocked
            i = int(random_fn() * n) if n else 0
            if n and bucket[i] not in blocked:
                index = i
                break
        else:
            free = [i for i, x in enumerate(bucket) if x not in blocked]
            if free:
                index = free[int(random_fn() * len(free))]
        if index is None:
            continue
        x = bucket[index]
        last = bucket.pop()
        if index < n - 1:
            bucket[index] = last
        if level + 1 < len(lv):
            lv[level + 1].append(x)
        return x
    return None
