"""Who may see what of a draw (不提前告知: drawn institutions must not learn of a check in advance).

- The draw itself (status, commitment, failure) follows area scope: ``Draw.objects.restrict(user)``;
  another area's draw is a 404.
- The frozen pool, the drawn list, the teams, the reserve and the package are visible to the task's
  staff (``draw`` permission with the task area in scope) and to auditors (``audit``), always.
- An inspector-role user sees only the assignments whose current team includes them
  (``User.inspector_number``), and only once the task's inspections have started.
- Nobody else sees them here; publication of results is the disclosure app's job.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from spotcheck.base.permissions import can
from spotcheck.base.roles import Role
from spotcheck.base.scope import allowed
from spotcheck.planning.models import Task, TaskStatus

from .models import Assignment, Draw


def is_staff_for(user: Any, task: Task) -> bool:
    """The task's staff: may run its draws (``draw`` permission, task area in scope)."""
    return allowed(user, "draw", task.region_id)


def sees_everything(user: Any, draw: Draw) -> bool:
    """Staff of the task and auditors see the pool, the results and the package."""
    return is_staff_for(user, draw.task) or can(user, "audit")


def inspections_started(task: Task, today: dt.date | None = None) -> bool:
    return task.status == TaskStatus.INSPECTING or task.period_start <= (today or timezone.localdate())


def visible_assignments(user: Any, draw: Draw) -> QuerySet[Assignment]:
    """Active assignments of ``draw`` that ``user`` may see (none before the reveal)."""
    qs = draw.assignments.filter(active=True).select_related("institution").order_by("position")
    if not draw.is_revealed:
        return qs.none()
    if sees_everything(user, draw):
        return qs
    if (
        getattr(user, "role", None) == Role.INSPECTOR
        and user.inspector_number
        and allowed(user, "view", draw.task.region_id)
        and inspections_started(draw.task)
    ):
        return qs.filter(members__active=True, members__inspector__number=user.inspector_number).distinct()
    return qs.none()
