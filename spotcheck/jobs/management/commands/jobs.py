"""``spotcheck jobs reap``: mark failed the background jobs whose worker died (``spotcheck worker`` does
this itself at start and every minute; see ``jobs.actions.reap_stale_jobs``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from spotcheck.jobs import actions


class Command(BaseCommand):
    help = "后台任务：将处理进程已中断的任务标记为失败（reap）"

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="command", required=True)
        sub.add_parser("reap", help="将处理进程已中断的任务标记为失败")

    def handle(self, *args: Any, **options: Any) -> None:
        reaped = actions.reap_stale_jobs(actor="cli")
        self.stdout.write(f"已将 {len(reaped)} 个任务标记为失败" + (f"：{reaped}" if reaped else ""))
