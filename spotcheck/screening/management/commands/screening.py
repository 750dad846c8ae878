"""``spotcheck screening import DIR_OR_FILES… --period 2023-10`` · ``spotcheck screening run BATCH_ID`` ·
``spotcheck screening demo [--period 2023-10] [--run]``.

- ``import`` reads mdtrt_d*/setl_d*/fee_list_d* (CSV or xlsx) from the given files or directories; any
  error stops the import (nothing is written) and is printed with file, row and field (exit status 2).
- ``run`` screens a batch with the policy settings in force and prints the hits per rule.
- ``demo`` imports a deterministic synthetic batch for the institutions in the database (a few per
  region), with one planted violation of every rule in every region that has two institutions.
Writes are recorded in the audit chain as done by ``cli``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from spotcheck.directory.models import Institution
from spotcheck.screening import actions, demo, io
from spotcheck.screening.models import ClaimBatch
from spotcheck.screening.rules import RULE_NAMES

ACTOR = "cli"


def demo_institutions(per_region: int) -> tuple[list[str], list[tuple[str, str]]]:
    """Up to ``per_region`` institutions of every region (hospitals first, then by code), and the
    first two of each region with at least two, where the violations are planted."""
    by_region: dict[str, list[str]] = {}
    for code, region in Institution.objects.order_by("region_id", "kind", "fixmedins_code").values_list(
            "fixmedins_code", "region_id"):
        if len(by_region.setdefault(region, [])) < per_region:
            by_region[region].append(code)
    codes = [c for region in sorted(by_region) for c in by_region[region]]
    pairs = [(cs[0], cs[1]) for _, cs in sorted(by_region.items()) if len(cs) >= 2]
    if not pairs and len(codes) >= 2:
        pairs = [(codes[0], codes[1])]
    return codes, pairs


class Command(BaseCommand):
    help = "系统数据检查：import 导入结算数据，run 运行筛查规则，demo 生成演示数据"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("verb", choices=["import", "run", "demo"])
        parser.add_argument("targets", nargs="*", help="import：文件或目录；run：批次编号")
        parser.add_argument("--period", default="", help="数据期间 YYYY-MM（import 必填；demo 默认 2023-10）")
        parser.add_argument("--seed", type=int, default=2023, help="demo：随机种子")
        parser.add_argument("--visits", type=int, default=300, help="demo：正常就诊记录数")
        parser.add_argument("--institutions", type=int, default=5, help="demo：每个区域使用的机构数")
        parser.add_argument("--run", action="store_true", help="demo：导入后立即运行筛查")

    def handle(self, *args: Any, **opts: Any) -> None:
        verb = opts["verb"]
        if verb == "import":
            if not opts["targets"]:
                raise CommandError("请指定要导入的文件或目录")
            if not opts["period"]:
                raise CommandError("请用 --period 指定数据期间，如 --period 2023-10")
            batch = self._import(lambda: io.sources_from_paths(opts["targets"], settings.SPOTCHECK_CLAIMS_MAX_ROWS),
                                 opts["period"])
        elif verb == "demo":
            codes, pairs = demo_institutions(opts["institutions"])
            if len(codes) < 2:
                raise CommandError("数据库中的机构不足两家，请先运行 spotcheck demo-data")
            period = opts["period"] or "2023-10"
            batch = self._import(
                lambda: demo.generate(codes, period, opts["seed"], opts["visits"], pairs=pairs), period)
            if opts["run"]:
                self._run(batch)
        else:
            if len(opts["targets"]) != 1 or not opts["targets"][0].isdigit():
                raise CommandError("用法：spotcheck screening run 批次编号")
            batch = ClaimBatch.objects.filter(pk=int(opts["targets"][0])).first()
            if batch is None:
                raise CommandError(f"批次 {opts['targets'][0]} 不存在")
            self._run(batch)

    def _import(self, sources: Any, period: str) -> ClaimBatch:
        try:
            batch = actions.import_batch(ACTOR, sources(), period)
        except io.ImportFailed as exc:
            for line in exc.errors:
                self.stderr.write(line)
            raise CommandError("导入失败，未写入任何数据", returncode=2)
        self.stdout.write(f"已导入批次 {batch.pk}（{batch.period}）：就诊 {batch.visit_count} 条，"
                          f"结算 {batch.settlement_count} 条，费用明细 {batch.fee_count} 条")
        return batch

    def _run(self, batch: ClaimBatch) -> None:
        try:
            run = actions.run_screening(ACTOR, batch)
        except actions.ActionRefused as exc:
            raise CommandError(exc.message, returncode=2)
        self.stdout.write(f"筛查 {run.pk}（批次 {batch.pk}）：疑点 {run.hit_count} 条，风险金额 {run.amount_total} 元")
        for rule, name in RULE_NAMES.items():
            self.stdout.write(f"  {name}\t{run.counts.get(rule, 0)}\t{run.amounts.get(rule, '0.00')} 元")
