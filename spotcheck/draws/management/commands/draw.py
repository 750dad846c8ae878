"""``spotcheck draw compute INPUT.json`` · ``spotcheck draw verify PACKAGE.json`` · ``spotcheck draw export DRAW_ID``.

- ``compute`` prints the SC-DRAW-1 package of an input; on failure it names the spec's error code
  with a Chinese message and exits with status 2.
- ``verify`` prints ``OK`` (status 0) or one line per difference (status 1).
- ``export`` prints the package of a stored, revealed draw (refused before the reveal, status 1);
  the export is recorded in the audit chain as done by ``cli``.

``-`` as the file name reads standard input. The computation is ``spotcheck.core.draw``.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spotcheck.core import draw as core
from spotcheck.draws.actions import ERROR_LABELS, record_download
from spotcheck.draws.models import Draw

#: Exit statuses (the same as the standalone ``draw.py``).
EXIT_DIFFERENT = 1
EXIT_ERROR = 2


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    try:
        with open(name, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CommandError(f"无法读取文件 {name}：{exc.strerror or exc}", returncode=EXIT_ERROR)


def _failure(exc: core.DrawError) -> CommandError:
    label = ERROR_LABELS.get(exc.code, exc.code)
    return CommandError(f"错误 {exc.code}（{label}）：{exc.message}", returncode=EXIT_ERROR)


class Command(BaseCommand):
    help = "SC-DRAW-1 抽取：compute 计算结果包，verify 校验结果包，export 导出已揭示抽取的结果包"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("verb", choices=["compute", "verify", "export"])
        parser.add_argument("target", help="compute/verify：JSON 文件（- 为标准输入）；export：抽取编号")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb, target = opts["verb"], opts["target"]
        if verb == "compute":
            try:
                package = core.compute(core.loads(_read(target)))
            except core.DrawError as exc:
                raise _failure(exc)
            self.stdout.write(core.dumps(package))
        elif verb == "verify":
            try:
                package = core.loads(_read(target))
            except core.DrawError as exc:
                raise CommandError(exc.message, returncode=EXIT_DIFFERENT)
            diffs = core.verify(package)
            if diffs:
                raise CommandError("结果包校验不通过：\n" + "\n".join(diffs), returncode=EXIT_DIFFERENT)
            self.stdout.write("OK")
        else:
            draw = Draw.objects.filter(draw_id=target).first()
            if draw is None:
                raise CommandError(f"抽取 {target} 不存在", returncode=EXIT_DIFFERENT)
            if not draw.is_revealed:
                raise CommandError(
                    f"抽取 {target} 当前状态为“{draw.get_status_display()}”，揭示之前不能导出结果包",
                    returncode=EXIT_DIFFERENT,
                )
            record_download("cli", draw, f"{draw.draw_id}-package.json")
            self.stdout.write(core.dumps(draw.package))
