"""``spotcheck audit verify``: recompute the hash chain; exit 1 naming the first bad event."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spotcheck.audit.actions import verify_chain


class Command(BaseCommand):
    help = "审计日志哈希链：verify 校验整条链"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("verb", choices=["verify"])

    def handle(self, *args: Any, **opts: Any) -> None:
        report = verify_chain()
        if not report.ok:
            raise CommandError(f"审计链校验失败：{report.problem}（已校验 {report.checked} 条正常事件）")
        self.stdout.write(f"OK：审计链完整，共 {report.checked} 条事件")
