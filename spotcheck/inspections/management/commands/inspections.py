"""``spotcheck inspections ensure [--draw DRAW_ID]`` · ``spotcheck inspections overdue [--region CODE] [--all]``.

- ``ensure`` creates the missing inspection records of one revealed draw (or of every revealed draw);
  it is idempotent and recorded in the audit chain as done by ``cli``.
- ``overdue`` prints the open inspections whose 录入与公示 deadline has passed (``--all``: also the
  临期 ones), one line each with the team, so the responsible people can be told. Exit status 1 when
  any is overdue, 0 otherwise (usable from cron).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spotcheck.draws.models import Draw
from spotcheck.inspections import actions, deadlines
from spotcheck.inspections.models import Inspection


class Command(BaseCommand):
    help = "现场检查：生成检查记录（ensure）、列出逾期与临期的检查（overdue）"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        ensure = sub.add_parser("ensure", help="为已揭示的抽取生成检查记录")
        ensure.add_argument("--draw", default="", help="抽取编号；不填则处理全部已揭示的抽取")
        overdue = sub.add_parser("overdue", help="列出逾期（及临期）的检查")
        overdue.add_argument("--region", default="", help="区划代码前缀，如 140522")
        overdue.add_argument("--all", action="store_true", help="同时列出临期的检查")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "ensure":
            self._ensure(options["draw"])
        else:
            self._overdue(options["region"], options["all"])

    def _ensure(self, draw_id: str) -> None:
        if draw_id:
            draw = Draw.objects.filter(draw_id=draw_id).select_related("task").first()
            if draw is None:
                raise CommandError(f"抽取 {draw_id} 不存在")
            try:
                n = len(actions.ensure_for_draw("cli", draw))
            except actions.ActionRefused as exc:
                raise CommandError(exc.message)
        else:
            n = actions.ensure_for_revealed("cli")
        self.stdout.write(f"已生成 {n} 条检查记录")

    def _overdue(self, region: str, include_soon: bool) -> None:
        win = deadlines.window()
        limit = win.warn_until if include_soon else win.today - dt.timedelta(days=1)
        qs = (Inspection.objects.filter(status__in=deadlines.OPEN_STATUSES, assignment__active=True,
                                        due_date__lte=limit)
              .select_related("institution", "region", "task").order_by("due_date", "id"))
        if region:
            qs = qs.filter(region__code__startswith=region)
        overdue = 0
        for insp in qs:
            state = win.state(insp.due_date, insp.status)
            overdue += state == deadlines.OVERDUE
            team = "、".join(f"{m.inspector.name}({m.inspector.number})" for m in insp.active_members())
            estimated = "（预估）" if win.estimated(insp) else ""  # the year's official schedule is not loaded
            self.stdout.write(
                f"{deadlines.LABELS[state]}\t{insp.due_date}{estimated}\t{insp.region.name}\t{insp.institution.fixmedins_code}"
                f"\t{insp.institution.name}\t{insp.get_status_display()}\t{team}")
        self.stdout.write(f"共 {overdue} 条已逾期")
        if overdue:
            raise SystemExit(1)
