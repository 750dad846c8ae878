"""``spotcheck restore DIR``: restore a ``spotcheck backup`` into an empty installation, then verify it.

Checks every file against the manifest first and refuses a non-empty installation (there is no
``--force``). After restoring it runs ``spotcheck audit verify``; exit 1 if anything fails.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from spotcheck.audit.backup import VENDOR_NAMES, BackupError, restore_backup


class Command(BaseCommand):
    help = "把 spotcheck backup 的备份恢复到一个空的安装，先核对每个文件的 SHA-256，恢复后自动校验审计日志"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", help="spotcheck backup 写出的备份目录")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = restore_backup(opts["directory"])
        except BackupError as exc:
            raise CommandError(f"恢复失败：{exc}") from exc
        m = result.manifest
        vendor = VENDOR_NAMES.get(m["database"]["vendor"], m["database"]["vendor"])
        self.stdout.write(
            f"已恢复 {m['created_at']} 的备份：{vendor} 数据库，{result.media_files} 个上传文件"
        )
        if result.migrations_applied:
            self.stdout.write(f"  已执行备份之后的 {result.migrations_applied} 个数据库迁移")
        for note in result.notes:
            self.stdout.write(f"  注意：{note}")
        self.stdout.write("正在校验审计日志（spotcheck audit verify）…")
        try:
            call_command("audit", "verify", stdout=self.stdout, stderr=self.stderr)
        except CommandError as exc:
            raise CommandError(f"数据已恢复，但审计校验未通过，请先查明原因再投入使用：{exc}") from exc
        self.stdout.write("恢复完成，审计校验通过")
