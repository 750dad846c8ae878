"""The staffing check before a commitment, a thin layer over ``spotcheck.core.staffing``.

``staffing_report(draw, runs)`` returns the JSON stored in ``Draw.staffing``::

    {"ok": bool, "runs": int, "failures": int, "rng_seed": int,
     "short": [department, ...],   # lacking people: capacity shortfall or named by a failed simulation
     "departments": [{"department", "inspectors", "needed", "capacity", "failures", "message"}, ...],
     "example": {"unit", "department", "message"} | None,   # first simulated failure
     "message": "Chinese summary"}

``ok`` is true only when every department has the capacity and no simulated reveal failed.
"""

from __future__ import annotations

import secrets
from typing import Any

from spotcheck.core import staffing as core_staffing

from .models import Draw

#: Stand-in sources before the proposer names the real ones (they only vary the simulated seeds).
_SIMULATION_SOURCES = ["人员配置模拟"]


def staffing_report(draw: Draw, runs: int) -> dict[str, Any]:
    data = {"draw_id": draw.draw_id, "units": draw.units, "strata": draw.strata,
            "randomness_sources": draw.randomness_sources or _SIMULATION_SOURCES, "teams": draw.teams}
    rng_seed = secrets.randbits(63)
    capacity = core_staffing.capacity(data)
    sim = core_staffing.simulate(data, runs, rng_seed)
    short = [d for d, c in capacity.items() if c["shortfall"]]
    short += [d for d in sorted(sim["by_department"]) if d not in short]
    departments = [
        {"department": d, "inspectors": c["inspectors"], "needed": c["needed"], "capacity": c["available"],
         "failures": sim["by_department"].get(d, 0), "message": c["message"]}
        for d, c in capacity.items()
    ]
    example = sim["by_unit_example"]
    ok = not short and sim["failures"] == 0
    if ok:
        message = sim["message"]
    else:
        lines = [c["message"] for c in capacity.values() if c["shortfall"]]
        if sim["failures"]:
            lines.append(sim["message"])
        message = f"{'、'.join(short)}缺少检查人员。" + "".join(lines)
    return {
        "ok": ok, "runs": sim["runs"], "failures": sim["failures"], "rng_seed": rng_seed, "short": short,
        "departments": departments, "message": message,
        "example": None if example is None else {k: example[k] for k in ("unit", "department", "message")},
    }
