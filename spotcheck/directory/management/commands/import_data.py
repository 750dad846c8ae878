"""``spotcheck import KIND FILE`` — all-or-nothing import of institutions, inspectors, conflicts
(.xlsx/.csv in the export format) or regions (GB/T 2260 CSV ``code,name[,parent]``).

``--user USERNAME`` imports as that user (permission ``change`` — ``admin`` for regions — and the
user's area apply, and the audit chain names the user). Without it the command acts as the system
actor: no area limit, recorded in the audit chain as ``cli``. On any error the per-row report is
printed to stderr (``第 5 行「统一社会信用代码」：…``), nothing is written and the exit status is 1. The file
first passes the upload check of every import (``base.uploads.check_path``: type by content, size cap).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from spotcheck.base import uploads
from spotcheck.directory import io


class Command(BaseCommand):
    help = "从 Excel/CSV 导入名录（全部成功或全部不写入）：institutions | inspectors | conflicts | regions"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=[*io.KINDS, "regions"])
        parser.add_argument("file", help=".xlsx 或 .csv 文件（regions 只接受 CSV）")
        parser.add_argument("--user", help="以该用户身份导入（按其权限和管辖区域）；缺省为系统身份，审计日志记为 cli")
        parser.add_argument("--reason", default="",
                            help="变更原因：文件修改已有机构的机构类型、类别、等级、区划或协议状态时必填，记入审计日志")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            actor = io.resolve_actor(opts["user"])
        except LookupError as exc:
            raise CommandError(str(exc))
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"文件 {path} 不存在")
        kind = opts["kind"]
        try:  # the upload check of every import (type by content, size cap) before the file is read
            uploads.check_path(path, "regions" if kind == "regions" else "directory")
        except uploads.UploadRejected as exc:
            raise CommandError(f"{exc}；未写入任何数据")
        data = path.read_bytes()
        try:
            if kind == "regions":
                result = io.import_regions(data, path.name, actor=actor)
            else:
                result = io.import_file(kind, data, path.name, actor=actor, progress=self.progress,
                                        reason=opts["reason"])
        except PermissionDenied as exc:
            raise CommandError(str(exc))
        if not result.ok:
            for error in result.errors:
                self.stderr.write(str(error))
            if result.unlisted:
                self.stderr.write(io.unlisted_text(result.unlisted))
            raise CommandError(f"导入失败：共 {result.error_count} 处错误，未写入任何数据")
        self.stdout.write(
            f"导入完成：共 {result.rows} 行，新增 {result.created}，更新 {result.updated}，未变化 {result.unchanged}"
        )

    def progress(self, done: int, total: int, message: str) -> None:
        if self.stderr.isatty():
            self.stderr.write(message)
