"""``spotcheck audit verify``: the hash chain, then every tracked table against the chain.

Exit 1 naming the first bad event, or the first differences by table, business key, field, the value
found and the value last recorded, with the number of the last legitimate event. ``--checkpoint FILE_OR_URL``
also holds the chain to saved signed checkpoints (``audit.checkpoints``). ``spotcheck audit checkpoint`` signs
and prints one; ``spotcheck audit keygen`` creates the signing key file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from spotcheck.audit.verify import verify_all


class Command(BaseCommand):
    help = "审计日志哈希链：verify 校验整条链（--checkpoint 核对保存的检查点）；checkpoint 签发检查点；keygen 生成签名密钥"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("verb", choices=["verify", "checkpoint", "keygen", "accept"])
        parser.add_argument("target", nargs="*", metavar="TABLE ID",
                            help="accept：表（如 directory.institution）和行编号")
        parser.add_argument("--reason", default="", help="accept：接受现值的原因（必填，记入审计链）")
        parser.add_argument("--checkpoint", action="append", default=[], metavar="FILE_OR_URL",
                            help="verify：再核对保存的检查点（文件或 http(s) 地址，可重复）")
        parser.add_argument("--path", default="", help="keygen：密钥文件位置（默认为设置中的密钥文件）")
        parser.add_argument("--if-missing", action="store_true", help="keygen：已有密钥时什么也不做")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["verb"] == "accept":
            return self._accept(opts)
        if opts["verb"] in ("checkpoint", "keygen"):
            return self._checkpoint_verb(opts)
        problem = None
        try:
            self._verify()
        except CommandError as exc:
            if not opts["checkpoint"]:
                raise
            problem = exc
        if opts["checkpoint"]:
            self._verify_checkpoints(opts["checkpoint"], problem)

    def _accept(self, opts: dict[str, Any]) -> None:
        """``accept TABLE ID --reason``: record a row's current values as its state, after examination."""
        from spotcheck.audit.actions import accept_row

        if len(opts["target"]) != 2:
            raise CommandError("用法：spotcheck audit accept 表 行编号 --reason 原因（表如 directory.institution）")
        label, pk = opts["target"]
        try:
            event = accept_row("spotcheck audit accept", label, pk, opts["reason"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"已记录第 {event.seq} 号事件：接受 {event.object_repr} 的现值（原因：{event.reason}）")

    def _checkpoint_verb(self, opts: dict[str, Any]) -> None:
        """``checkpoint``: sign the chain head, store and print it; ``keygen``: create the signing key file."""
        from spotcheck.audit import checkpoints as cps

        try:
            if opts["verb"] == "checkpoint":
                cp = cps.make_checkpoint()
                self.stdout.write(json.dumps(cps.to_dict(cp), ensure_ascii=False, indent=2))
                return
            target = Path(opts["path"]) if opts["path"] else cps.key_file()
            if opts["if_missing"] and (target.exists() or (not opts["path"] and cps.env_key_set())):
                self.stdout.write(f"已有审计检查点签名密钥（{cps.describe_key_location(target)}），未生成新密钥")
                return
            key = cps.read_private_key(cps.generate_key(target))
        except cps.CheckpointError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"已生成审计检查点签名密钥：{target}（仅本用户可读），密钥标识 {cps.key_id(key)}。\n"
            "请另行备份此文件（不要与数据库备份放在一起），见 docs/deploy.md。公钥：\n" + cps.public_key_pem(key)
        )

    def _verify_checkpoints(self, sources: list[str], problem: CommandError | None) -> None:
        """Hold the chain to saved checkpoints; exit 1 naming each that fails (and ``problem``, if any)."""
        from spotcheck.audit import checkpoints as cps

        try:
            items = [cp for source in sources for cp in cps.load_checkpoints(source)]
        except cps.CheckpointError as exc:
            earlier = f"{problem}；" if problem else ""
            raise CommandError(f"{earlier}检查点无法读取：{exc.message}") from exc
        results = cps.verify_against(items)
        for r in results:
            (self.stdout if r.ok else self.stderr).write(f"  {r.describe()}")
        failed = [r for r in results if not r.ok]
        if failed:
            kinds = "、".join(dict.fromkeys(r.problem for r in failed))
            first = failed[0].describe()
            earlier = f"{problem}；" if problem else ""
            raise CommandError(
                f"{earlier}检查点核对失败（{kinds}）：{len(failed)}/{len(results)} 个检查点不符，首个：{first}"
            )
        if problem:
            raise problem
        self.stdout.write(f"OK：{len(results)} 个检查点都在审计链中（签名有效、哈希一致）")

    def _verify(self) -> None:
        report = verify_all()
        chain = report.chain
        if not chain.ok:
            raise CommandError(f"审计链校验失败：{chain.problem}（已校验 {chain.checked} 条正常事件）")
        self.stdout.write(f"审计链完整：共 {chain.checked} 条事件")
        data = report.data
        assert data is not None
        if not data.ok:
            for diff in data.differences:
                self.stderr.write(f"  {diff.describe()}")
            more = f"（只列出前 {len(data.differences)} 处）" if data.more else ""
            raise CommandError(
                f"数据校验失败：{len(data.differences)} 处数据与审计链记录不符{more}，"
                "说明有人绕过系统直接改动了数据库"
            )
        self.stdout.write(
            f"OK：审计链完整，{data.tables} 张表共 {data.rows} 行数据与审计链记录一致（用时 {report.seconds:.1f} 秒）"
        )
