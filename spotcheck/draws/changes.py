"""Changes to draw-relevant institution data since the area's previous draw (read only).

The approver of a commitment must not approve blind: an institution moved to a milder credit
stratum, re-typed, suspended or taken off 重点监控 just before a freeze changes its chance of being
drawn. :func:`report` lists, from the audit log, every change of a field in
``directory.ownership.DRAW_RELEVANT_FIELDS`` (区域, 机构类型, 机构类别, 医院等级, 协议状态, 信用等级,
重点监控) of an institution in the task's area, with who, when, before → after and the reason, and
counts institutions added to and removed from the directory of the area.

Window: from the freeze of the previous draw of the same area (a draw of a task with the same
region code that reached its commitment, i.e. whose pool was used) to the freeze of this draw; with
no previous draw, from 1 January (Beijing time) of the draw's year (or of the year it was frozen in,
when earlier: next year's tasks are drawn in December). Positions in the audit chain
(``AuditEvent.seq`` of the ``draw.freeze`` events) bound the window, not clock times: the demo's
replay of past tasks dates draws in the past while the audit log keeps the real time. A draw whose
freeze event is missing (rows made outside the actions) falls back to its ``frozen_at``.

An event belongs to the area when its region (the institution's region after the write) or the
``region_id`` it had before lies in the area, so a move out of the area is listed too. Events are
read in chunks; only the rows asked for are kept (the page shows the first ones and a count).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from spotcheck.accounts.models import User
from spotcheck.audit.models import AuditEvent
from spotcheck.core.codes import region_prefix
from spotcheck.directory.models import Region
from spotcheck.directory.ownership import DRAW_RELEVANT_FIELDS, field_label, value_label

from .models import Draw

INSTITUTION = "directory.institution"
FREEZE = "draw.freeze"
_BEIJING = ZoneInfo("Asia/Shanghai")
_FIELDS = ("seq", "at", "actor_id", "actor_name", "action", "object_id", "object_repr", "before", "after",
           "reason", "row_deleted")


@dataclass
class Change:
    """One changed field of one institution, in Chinese (labels, Beijing time)."""

    seq: int
    at: dt.datetime
    actor: str
    institution: str
    field: str
    before: str
    after: str
    reason: str

    @property
    def when(self) -> str:
        return timezone.localtime(self.at, _BEIJING).strftime("%Y-%m-%d %H:%M")


@dataclass
class Window:
    """Where the listed changes start and end (audit positions, or times when no event is known)."""

    since: str  # 中文 description of the start
    previous_draw_id: str = ""
    after_seq: int | None = None
    since_at: dt.datetime | None = None
    before_seq: int | None = None
    until_at: dt.datetime | None = None

    def q(self) -> Q:
        q = Q()
        if self.after_seq is not None:
            q &= Q(seq__gt=self.after_seq)
        if self.since_at is not None:
            q &= Q(at__gte=self.since_at)
        if self.before_seq is not None:
            q &= Q(seq__lt=self.before_seq)
        if self.until_at is not None:
            q &= Q(at__lte=self.until_at)
        return q


@dataclass
class Report:
    """The changes of one draw's window: ``changes`` holds at most the rows asked for, ``total`` all."""

    window: Window
    changes: list[Change] = field(default_factory=list)
    total: int = 0
    added: int = 0
    removed: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.changes)

    @property
    def summary(self) -> str:
        return (f"{self.window.since}至本次冻结：影响抽取概率的字段变更 {self.total} 条；"
                f"新增机构 {self.added} 家，删除机构 {self.removed} 家。")


def _freeze_seq(draw: Draw) -> int | None:
    return (AuditEvent.objects.filter(action=FREEZE, object_type="draws.draw", object_id=str(draw.pk))
            .order_by("seq").values_list("seq", flat=True).first())


def window(draw: Draw) -> Window:
    """The window of ``draw`` (see the module docstring)."""
    task = draw.task
    own = _freeze_seq(draw)
    used = (Draw.objects.filter(task__region_id=task.region_id, committed_at__isnull=False)
            .exclude(pk=draw.pk))
    if own is None:
        used = used.filter(frozen_at__lt=draw.frozen_at)
    ids = {str(pk): draw_id for pk, draw_id in used.values_list("pk", "draw_id")}
    w = Window(since="")
    previous = None
    if ids:
        events = AuditEvent.objects.filter(action=FREEZE, object_type="draws.draw", object_id__in=list(ids))
        if own is not None:
            events = events.filter(seq__lt=own)
        previous = events.order_by("-seq").values_list("seq", "object_id").first()
    if own is not None:
        w.before_seq = own
    else:
        w.until_at = draw.frozen_at
    if previous is not None:
        w.after_seq, w.previous_draw_id = previous[0], ids[previous[1]]
    else:
        earlier = used.filter(frozen_at__lte=draw.frozen_at).order_by("-frozen_at", "-id").first()
        if earlier is not None and _freeze_seq(earlier) is None:  # draws made without their events
            w.since_at, w.previous_draw_id = earlier.frozen_at, earlier.draw_id
    if w.previous_draw_id:
        w.since = f"上次抽取（{w.previous_draw_id}）冻结以来"
    else:  # a task of next year is often drawn in December: start with the earlier year
        year = min(draw.year, timezone.localtime(draw.frozen_at, _BEIJING).year)
        w.since_at = dt.datetime(year, 1, 1, tzinfo=_BEIJING)
        w.since = f"{year} 年 1 月 1 日以来（本区域此前没有已提交的抽取）"
    return w


def _events(draw: Draw, w: Window) -> Iterator[dict[str, Any]]:
    prefix = region_prefix(draw.task.region_id)
    relevant = (Q(after__has_any_keys=list(DRAW_RELEVANT_FIELDS)) | Q(row_deleted=True) | Q(action="delete")
                | Q(action__endswith=".delete"))
    qs = (AuditEvent.objects.filter(object_type=INSTITUTION).filter(w.q()).filter(relevant)
          .filter(Q(region_code__startswith=prefix) | Q(before__region_id__startswith=prefix))
          .order_by("seq").values(*_FIELDS))
    yield from qs.iterator(chunk_size=2000)


def _is_create(e: dict[str, Any]) -> bool:
    return (e["action"] == "create" or e["action"].endswith(".create")) and not e["before"]


def _is_delete(e: dict[str, Any]) -> bool:
    return bool(e["row_deleted"]) or e["action"] == "delete" or e["action"].endswith(".delete")


def _scan(draw: Draw, w: Window, start: int, stop: int | None, report: Report) -> list[tuple[dict[str, Any], str]]:
    """Count everything into ``report``; return (event, field) of the changes ``start``..``stop``."""
    kept: list[tuple[dict[str, Any], str]] = []
    for e in _events(draw, w):
        if _is_delete(e):
            report.removed += 1
            continue
        if _is_create(e):
            report.added += 1
            continue
        before, after = e["before"] or {}, e["after"] or {}
        for name in DRAW_RELEVANT_FIELDS:
            if name in after and before.get(name) != after[name]:
                if start <= report.total and (stop is None or report.total < stop):
                    kept.append((e, name))
                report.total += 1
    return kept


def _resolve(kept: list[tuple[dict[str, Any], str]]) -> list[Change]:
    codes = {str(v) for e, n in kept if n == "region_id" for v in ((e["before"] or {}).get(n), e["after"].get(n)) if v}
    regions = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    users = User.objects.in_bulk({e["actor_id"] for e, _ in kept if e["actor_id"]})
    rows = []
    for e, name in kept:
        user = users.get(e["actor_id"])
        who = e["actor_name"] or "系统"
        if user is not None and str(user) != user.username:
            who = f"{user}（{user.username}）"
        rows.append(Change(
            seq=e["seq"], at=e["at"], actor=who, institution=e["object_repr"], field=field_label(name),
            before=value_label(name, (e["before"] or {}).get(name), regions),
            after=value_label(name, e["after"].get(name), regions), reason=e["reason"] or "（未填写）",
        ))
    return rows


def report(draw: Draw, limit: int | None = 100, offset: int = 0) -> Report:
    """The changes of ``draw``'s window: all counts, and the rows ``offset``..``offset + limit``."""
    w = window(draw)
    rep = Report(w)
    kept = _scan(draw, w, offset, None if limit is None else offset + limit, rep)
    rep.changes = _resolve(kept)
    return rep


class ChangeList:
    """The changes of a draw as a sequence for ``Paginator``: each page reads only its rows."""

    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self._total: int | None = None

    def __len__(self) -> int:
        if self._total is None:
            self._total = report(self.draw, limit=0).total
        return self._total

    def __getitem__(self, index: slice) -> list[Change]:
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("ChangeList supports slices only")
        start = index.start or 0
        limit = None if index.stop is None else max(0, index.stop - start)
        return report(self.draw, limit=limit, offset=start).changes
