"""``spotcheck planning load-examples [--year 2023] [--user USERNAME]``.

Loads the seed documents' item lists and plans (idempotent). Without ``--user`` the command acts
as the system actor (all areas, audited as ``cli``); with it, only the user's area is loaded.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from spotcheck.directory.io import resolve_actor
from spotcheck.planning.examples import load_examples


class Command(BaseCommand):
    help = "抽查事项与计划：load-examples 载入朔州、阳城 2023 年度事项清单与计划示例（可重复运行）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("verb", choices=["load-examples"])
        parser.add_argument("--year", type=int, default=2023, help="示例年度（默认 2023）")
        parser.add_argument("--user", help="以该用户身份载入（按其权限和管辖区域）；缺省为系统身份，审计日志记为 cli")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            report = load_examples(resolve_actor(opts["user"]), opts["year"])
        except LookupError as exc:
            raise CommandError(str(exc))
        except ValidationError as exc:
            raise CommandError("；".join(exc.messages))
        for line in report.lines():
            self.stdout.write(line)
