"""``spotcheck backup DIR``: database, uploaded files and checkpoint public key, with a SHA-256 manifest.

See :mod:`spotcheck.audit.backup`. Exit 1 (nothing left in ``DIR``) when the backup cannot be made.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spotcheck.audit.backup import MEDIA_DIR, VENDOR_NAMES, BackupError, create_backup


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB" if n >= 1024 * 1024 else f"{n / 1024:.1f} KB"


class Command(BaseCommand):
    help = "备份数据库、上传文件和检查点签名公钥到一个新的空目录，并写出带 SHA-256 校验值的清单"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("directory", help="备份目录（不存在或为空）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = create_backup(opts["directory"])
        except BackupError as exc:
            raise CommandError(f"备份失败：{exc}") from exc
        m = result.manifest
        files = m["files"]
        db = m["database"]
        media = [meta for rel, meta in files.items() if rel.startswith(MEDIA_DIR + "/")]
        head = m["audit_head"]
        self.stdout.write(f"备份完成：{result.directory}")
        self.stdout.write(
            f"  数据库：{VENDOR_NAMES.get(db['vendor'], db['vendor'])}，{_size(files[db['file']]['size'])}"
        )
        self.stdout.write(f"  上传文件：{len(media)} 个，{_size(sum(x['size'] for x in media))}")
        self.stdout.write(f"  审计链：至第 {head['seq']} 号事件，链头哈希 {head['hash'][:16]}…")
        self.stdout.write(f"  签名公钥：{'已备份' if m['public_key'] else '未备份'}")
        for note in result.notes:
            self.stdout.write(f"  注意：{note}")
        self.stdout.write(f"  清单 manifest.json 记录了 {len(files)} 个文件的 SHA-256 校验值")
