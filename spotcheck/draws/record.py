"""The facts of a draw for its written record (抽取记录), rendered elsewhere as PDF/DOCX.

``draw_record_context(draw)`` gathers inputs, digests, who did each step and when, the results and
the events. It contains the confidential results, so callers must check ``access.sees_everything``
before rendering it for a user. It never contains the secret before the reveal (after the reveal
the secret is part of the published package and appears as ``secret``).
"""

from __future__ import annotations

from typing import Any

from .actions import ERROR_LABELS, preview_sizes
from .models import Draw, DrawStatus, EventStatus
from .presenters import excluded_inspectors, percent, reserve, team_needs


def _who(user: Any, at: Any) -> dict[str, Any] | None:
    if at is None:
        return None
    return {"user": str(user) if user else "系统", "username": getattr(user, "username", ""), "at": at}


def draw_record_context(draw: Draw) -> dict[str, Any]:
    """Everything the draw record shows, as plain data (datetimes stay ``datetime``)."""
    task = draw.task
    sizes = preview_sizes(draw)
    revealed = draw.status == DrawStatus.REVEALED
    ctx: dict[str, Any] = {
        "draw_id": draw.draw_id,
        "status": draw.status,
        "status_display": draw.get_status_display(),
        "task": {
            "name": task.name, "region_code": task.region_id, "region_name": task.region.name,
            "period_start": task.period_start, "period_end": task.period_end,
            "ratio": [task.ratio_num, task.ratio_den], "credit_scaled": task.credit_scaled,
            "directed": task.directed, "cross_area": task.cross_area,
            "items": [f"{i.seq}. {i.name}" for i in task.items.order_by("seq")],
        },
        "steps": {
            "frozen": _who(draw.frozen_by, draw.frozen_at),
            "staffing_checked": _who(None, draw.staffing_checked_at),
            "staffing_override": _who(draw.override_by, draw.override_at),
            "commit_proposed": _who(draw.commit_proposed_by, draw.commit_proposed_at),
            "committed": _who(draw.committed_by, draw.committed_at),
            "reveal_proposed": _who(draw.reveal_proposed_by, draw.reveal_proposed_at),
            "revealed": _who(draw.revealed_by, draw.revealed_at),
            "closed": _who(draw.closed_by, draw.closed_at),
        },
        "strata": [
            {"stratum": h, "ratio": s["ratio"], "percent": percent(s["ratio"]), "rounding": s["rounding"],
             "population": sizes[h]["population"], "sample_size": sizes[h]["sample_size"]}
            for h, s in draw.strata.items()
        ],
        "unit_count": len(draw.units),
        "excluded_institutions": [
            {"fixmedins_code": e.institution.fixmedins_code, "name": e.institution.name,
             "reason": e.get_reason_display(), "detail": e.detail}
            for e in draw.exclusions.select_related("institution")
        ],
        "teams": None if draw.teams is None else {
            "slots": draw.teams["slots"], "cap": draw.teams["cap"],
            "inspector_count": len(draw.teams["inspectors"]),
            "exclusion_pair_count": len(draw.teams["exclusions"]),
            "needs": team_needs(draw),
        },
        "excluded_inspectors": [
            {"number": number, "name": p.name if p else "", "reason": why} for p, number, why in excluded_inspectors(draw)
        ],
        "staffing": draw.staffing,
        "override_reason": draw.override_reason,
        "commitment": draw.commitment,
        "randomness_sources": draw.randomness_sources,
        "public_randomness": draw.public_randomness,
        "error": None if not draw.error_code else {
            "code": draw.error_code, "label": ERROR_LABELS.get(draw.error_code, ""), "message": draw.error_message,
            "unit": draw.error_unit, "department": draw.error_department,
        },
        "seed": draw.package["seed"] if revealed else None,
        "secret": draw.package["secret"] if revealed else None,
        "selection": [],
        "replaced": [],
        "reserve": reserve(draw) if revealed else [],
        "events": [],
    }
    if revealed:
        for a in draw.assignments.select_related("institution").prefetch_related("members__inspector__department"):
            row = {
                "position": a.position + 1, "fixmedins_code": a.institution.fixmedins_code,
                "name": a.institution.name, "stratum": a.stratum,
                "team": [{"number": m.inspector.number, "name": m.inspector.name,
                          "department": m.inspector.department.name}
                         for m in sorted(a.members.all(), key=lambda m: m.position) if m.active],
            }
            (ctx["selection"] if a.active else ctx["replaced"]).append(row)
        ctx["selection"].sort(key=lambda r: r["position"])
        for e in draw.events.filter(status=EventStatus.APPROVED).order_by("seq").select_related(
            "institution", "inspector", "requested_by", "decided_by"
        ):
            ctx["events"].append({
                "seq": e.seq, "type": e.get_type_display(), "fixmedins_code": e.institution.fixmedins_code,
                "inspector": e.inspector.number if e.inspector else None, "reason": e.spec["reason"],
                "requested": _who(e.requested_by, e.requested_at), "approved": _who(e.decided_by, e.decided_at),
            })
    return ctx
