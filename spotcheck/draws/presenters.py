"""Read-only summaries of a draw shared by the page, the API and the draw record.

Callers decide visibility (``draws.access``); these functions only read.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from spotcheck.directory.models import Inspector, Institution

from .actions import preview_sizes
from .models import Draw


def percent(ratio: list[int]) -> str:
    """``[9, 1000]`` → ``"0.9%"`` (exact decimal when it terminates, else 4 places)."""
    p, q = ratio
    value = Decimal(p * 100) / Decimal(q)
    text = format(value.quantize(Decimal("0.0001")).normalize(), "f")
    return f"{text}%"


def strata_rows(draw: Draw) -> list[dict[str, Any]]:
    """One row per stratum: id, ratio ``[p, q]`` and as a percentage, population N, sample size n."""
    sizes = (draw.commitment or {}).get("strata") or preview_sizes(draw)
    return [
        {"stratum": h, "ratio": s["ratio"], "percent": percent(s["ratio"]), "rounding": s["rounding"],
         "population": sizes[h]["population"], "sample_size": sizes[h]["sample_size"]}
        for h, s in draw.strata.items()
    ]


def total_sample(draw: Draw) -> int:
    return sum(row["sample_size"] for row in preview_sizes(draw).values())


def team_needs(draw: Draw) -> list[dict[str, Any]]:
    """Per slot: people per team, picks needed (count × selected), eligible people and their capacity."""
    if not draw.teams:
        return []
    n = total_sample(draw)
    cap = draw.teams["cap"]
    eligible = Counter(dept for _number, dept in draw.teams["inspectors"])
    return [
        {"department": s["department"], "count": s["count"], "needed": s["count"] * n,
         "eligible": eligible[s["department"]], "capacity": eligible[s["department"]] * cap,
         "short": s["count"] * n > eligible[s["department"]] * cap}
        for s in draw.teams["slots"]
    ]


def eligible_by_department(draw: Draw) -> list[tuple[str, list[Inspector]]]:
    """Eligible inspectors grouped by department, in frozen order."""
    if not draw.teams:
        return []
    numbers = [number for number, _dept in draw.teams["inspectors"]]
    people = Inspector.objects.in_bulk(numbers, field_name="number")
    groups: dict[str, list[Inspector]] = {}
    for number, dept in draw.teams["inspectors"]:
        groups.setdefault(dept, []).append(people[number])
    return list(groups.items())


def excluded_inspectors(draw: Draw) -> list[tuple[Inspector | None, str, str]]:
    people = Inspector.objects.in_bulk([n for n, _ in draw.inspector_exclusions], field_name="number")
    return [(people.get(number), number, reason) for number, reason in draw.inspector_exclusions]


def reserve(draw: Draw) -> list[dict[str, Any]]:
    """The initial reserve (候补) per stratum in rank order as ``(code, name, already used)``; [] before
    the reveal."""
    if not draw.package:
        return []
    strata = draw.package["result"]["strata"]
    codes = [code for s in strata.values() for code in s["reserve"]]
    names = dict(Institution.objects.filter(fixmedins_code__in=codes).values_list("fixmedins_code", "name"))
    used = set(draw.assignments.values_list("institution__fixmedins_code", flat=True))
    return [
        {"stratum": h, "units": [(code, names.get(code, ""), code in used) for code in s["reserve"]]}
        for h, s in strata.items() if s["reserve"]
    ]


def reserve_summary(draw: Draw) -> list[dict[str, Any]]:
    """Per stratum: how many reserve (候补) units the package holds and how many have been used; [] before
    the reveal. Reads the package only (the full lists are on the paginated reserve page)."""
    if not draw.package:
        return []
    strata = draw.package["result"]["strata"]
    used = set(draw.assignments.values_list("institution__fixmedins_code", flat=True))
    return [
        {"stratum": h, "count": len(s["reserve"]), "used": sum(1 for code in s["reserve"] if code in used)}
        for h, s in strata.items()
    ]


def reserve_entries(draw: Draw, stratum: str | None = None) -> list[tuple[str, int, str]]:
    """``(stratum, rank from 1, code)`` of the initial reserve lists (one stratum or all), package order."""
    if not draw.package:
        return []
    return [
        (h, k, code)
        for h, s in draw.package["result"]["strata"].items() if stratum in (None, "", h)
        for k, code in enumerate(s["reserve"], start=1)
    ]


def eligible_counts(draw: Draw) -> list[tuple[str, int]]:
    """``(department, eligible inspectors)`` in frozen order."""
    if not draw.teams:
        return []
    return list(Counter(dept for _number, dept in draw.teams["inspectors"]).items())
