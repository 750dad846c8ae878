"""``spotcheck export KIND FILE.xlsx|FILE.csv`` — export a directory in the import format.

``--filter NAME=VALUE`` (repeatable) uses the same filters as the web list (e.g. ``region=140522``,
``kind=H``, ``credit_grade=差``, ``q=医院``). ``--template`` writes the empty import template.
``--user USERNAME`` exports what that user may see (masked if the user may not change the
directory); without it the system actor (``cli``) exports everything. ``--mask`` always masks
身份证号 and phone numbers (for files that leave the bureau).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from spotcheck.directory import io


class Command(BaseCommand):
    help = "把名录导出为 Excel/CSV（与导入模板格式相同）：institutions | inspectors | conflicts"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("kind", choices=io.KINDS)
        parser.add_argument("file", help="目标文件，扩展名 .xlsx 或 .csv 决定格式")
        parser.add_argument("--user", help="以该用户身份导出（按其权限和管辖区域）；缺省为系统身份 cli")
        parser.add_argument("--filter", action="append", default=[], metavar="NAME=VALUE",
                            help="与网页列表相同的筛选条件，可重复，如 region=140522")
        parser.add_argument("--mask", action="store_true", help="脱敏身份证号和联系电话")
        parser.add_argument("--template", action="store_true", help="只导出空白导入模板")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = Path(opts["file"])
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in io.FORMATS:
            raise CommandError("文件扩展名应为 .xlsx 或 .csv")
        kind = opts["kind"]
        if opts["template"]:
            path.write_bytes(io.template_file(kind, fmt))
            self.stdout.write(f"已写入导入模板 {path}")
            return
        params: dict[str, str] = {}
        for item in opts["filter"]:
            name, sep, value = item.partition("=")
            if not sep:
                raise CommandError(f"筛选条件 {item} 应写成 NAME=VALUE")
            params[name.strip()] = value.strip()
        try:
            actor = io.resolve_actor(opts["user"])
            data = io.export_for(actor, kind, params, fmt, mask=opts["mask"])
        except (LookupError, PermissionDenied) as exc:
            raise CommandError(str(exc))
        except ValidationError as exc:
            raise CommandError("筛选条件不正确：" + "；".join(exc.messages))
        path.write_bytes(data)
        self.stdout.write(f"已导出到 {path}")
