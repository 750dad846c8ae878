"""``spotcheck keys``: the keys that encrypt personal data at rest (身份证号, phone numbers; spotcheck/base/crypto.py).

- ``generate``: create the key file (one key, current); ``--add`` adds a new key to an existing file (current
  unless ``--not-current``); ``--if-missing`` does nothing when a key is configured; ``--print`` prints a new
  key file's JSON instead of writing one (for ``SPOTCHECK_FIELD_KEYS`` held outside the file system).
- ``rotate``: add a new current key, then re-encrypt every encrypted value and recompute its digest, in batches
  (each batch one action with one ``keys.reencrypt`` audit event per row). Interrupted, it is simply run again:
  while rows remain under an older key it continues instead of adding another key (``--resume`` only continues).
- ``status``: the keys, the current one, and how many values each key encrypts, per table.
- ``retire KEY_ID``: remove a key no value uses any more from the key file (after a rotation, and a backup).

The command runs without the system checks, so ``generate`` works before a key exists. See docs/deploy.md,
“个人信息加密存储 (SM4)”.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

ACTOR = "spotcheck keys rotate"


class Command(BaseCommand):
    help = "个人信息加密密钥：generate 生成密钥文件或增加密钥；rotate 轮换并重新加密；status 查看；retire 删除不再使用的旧密钥"
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("verb", choices=["generate", "rotate", "status", "retire"])
        parser.add_argument("key_id", nargs="?", default="", help="retire：要删除的旧密钥标识")
        parser.add_argument("--path", default="", help="generate：密钥文件位置（默认为设置中的密钥文件）")
        parser.add_argument("--add", action="store_true", help="generate：在已有密钥文件中增加一把新密钥")
        parser.add_argument("--not-current", action="store_true", help="generate --add：新密钥不设为当前密钥")
        parser.add_argument("--if-missing", action="store_true", help="generate：已配置密钥时什么也不做")
        parser.add_argument("--print", action="store_true", help="generate：只输出新密钥文件内容（JSON），不写文件")
        parser.add_argument("--resume", action="store_true", help="rotate：不增加新密钥，只把仍用旧密钥的值重新加密")
        parser.add_argument("--batch", type=int, default=500, help="rotate：每批（一个事务）重新加密的行数")

    def handle(self, *args: Any, **opts: Any) -> None:
        from spotcheck.base import crypto

        try:
            getattr(self, f"_{opts['verb']}")(opts)
        except crypto.FieldCryptoError as exc:
            raise CommandError(exc.message) from exc

    # --- generate ---------------------------------------------------------------------------------

    def _generate(self, opts: dict[str, Any]) -> None:
        from spotcheck.base import crypto

        if opts["print"]:
            key = crypto.new_key()
            ring = crypto.Keyring({key.id: key}, key.id, "")
            self.stdout.write(json.dumps(ring.as_json(), ensure_ascii=False))
            return
        target = Path(opts["path"]) if opts["path"] else crypto.key_file()
        if opts["add"]:
            ring, key = crypto.add_key(target, make_current=not opts["not_current"])
            state = "，并设为当前密钥" if ring.current == key.id else "（未设为当前密钥）"
            self.stdout.write(f"已在密钥文件 {target} 中增加密钥 {key.id}{state}。请重新备份密钥文件。")
            if ring.current == key.id:
                self.stdout.write("已有数据仍用旧密钥加密：运行 spotcheck keys rotate --resume 重新加密。")
            return
        if opts["if_missing"] and (target.exists() or (not opts["path"] and crypto.env_keys_set())):
            where = f"密钥文件 {target}" if target.exists() else f"环境变量 {crypto.ENV_KEYS}"
            self.stdout.write(f"已有个人信息加密密钥（{where}），未生成新密钥")
            return
        ring = crypto.generate_key_file(target)
        self.stdout.write(
            f"已生成个人信息加密密钥文件：{target}（仅本用户可读），当前密钥 {ring.current}。\n"
            "请立即另行备份此文件（不要与数据库备份放在一起）：丢失密钥即无法解密已加密的身份证号和电话。"
            "见 docs/deploy.md“个人信息加密存储 (SM4)”。"
        )

    # --- rotate -----------------------------------------------------------------------------------

    def _pending(self) -> dict[str, int]:
        from spotcheck.base import crypto
        from spotcheck.base.fields import encrypted_models, stale_filter

        header = crypto.current_header()
        out = {}
        for model in encrypted_models():
            annotations, stale = stale_filter(model, header)
            out[model._meta.label_lower] = model._base_manager.annotate(**annotations).filter(stale).count()
        return out

    def _rotate(self, opts: dict[str, Any]) -> None:
        from spotcheck.audit.actions import reencrypt_batch
        from spotcheck.base import crypto

        if opts["batch"] < 1:
            raise CommandError("--batch 至少为 1")
        crypto.keyring()  # a key must exist
        pending = sum(self._pending().values())
        if opts["resume"] or pending:
            if not opts["resume"]:
                self.stdout.write(f"上次轮换尚未完成（{pending} 行仍用旧密钥或旧算法）：继续重新加密，不增加新密钥")
        elif crypto.env_keys_set():
            raise CommandError(
                f"密钥由环境变量 {crypto.ENV_KEYS} 提供，本命令不能修改：请用 spotcheck keys generate --print "
                "生成新密钥，把它加入该变量并设为 current，重启服务后运行 spotcheck keys rotate --resume"
            )
        else:
            ring, key = crypto.add_key()
            self.stdout.write(f"已增加新密钥 {key.id} 并设为当前密钥（{crypto.key_file()}）；请重新备份密钥文件")
        ring = crypto.keyring()
        total = 0
        for _ in range(3):  # a second pass picks up rows written meanwhile by a process with the old key
            done_now = 0
            for label in self._pending():
                count = 0
                while True:
                    n = reencrypt_batch(ACTOR, label, size=opts["batch"])
                    if not n:
                        break
                    count += n
                    self.stdout.write(f"  {label}：已重新加密 {count} 行")
                done_now += count
            total += done_now
            if not done_now or not sum(self._pending().values()):
                break
        left = sum(self._pending().values())
        if left:
            raise CommandError(f"仍有 {left} 行未能重新加密，请再次运行 spotcheck keys rotate --resume")
        old = [k for k in ring.keys if k != ring.current]
        self.stdout.write(f"OK：共重新加密 {total} 行，全部数据均使用当前密钥 {ring.current}。")
        if old:
            self.stdout.write(
                f"旧密钥 {'、'.join(old)} 已不再使用；确认数据库备份也已更新后，可用 spotcheck keys retire 密钥标识 "
                "从密钥文件删除（之前的数据库备份仍需旧密钥才能读出个人信息，请与其一同保管）。"
            )

    # --- status / retire --------------------------------------------------------------------------

    def _usage(self) -> dict[str, Counter[str]]:
        from spotcheck.base.fields import key_usage

        return {model._meta.label_lower: counts for model, counts in key_usage().items()}

    def _status(self, opts: dict[str, Any]) -> None:
        from spotcheck.base import crypto

        ring = crypto.keyring()
        self.stdout.write(f"密钥来源：{ring.source.strip()}；新写入算法：{crypto.cipher_prefix()}")
        for kid, key in ring.keys.items():
            mark = "（当前）" if kid == ring.current else ""
            self.stdout.write(f"  密钥 {kid}{mark} 创建于 {key.created or '未知'}")
        for label, counts in self._usage().items():
            shown = "，".join(f"{k} {n} 个值" for k, n in sorted(counts.items())) or "无加密值"
            self.stdout.write(f"  {label}：{shown}")

    def _retire(self, opts: dict[str, Any]) -> None:
        from spotcheck.base import crypto

        kid = opts["key_id"]
        if not kid:
            raise CommandError("用法：spotcheck keys retire 密钥标识")
        if crypto.env_keys_set():
            raise CommandError(f"密钥由环境变量 {crypto.ENV_KEYS} 提供：请直接从该变量中删除密钥 {kid}")
        used = sum(n for counts in self._usage().values() for k, n in counts.items() if k.startswith(f"{kid}（"))
        if used:
            raise CommandError(f"仍有 {used} 个值用密钥 {kid} 加密，不能删除：请先运行 spotcheck keys rotate --resume")
        crypto.remove_key(kid)
        self.stdout.write(f"已从密钥文件 {crypto.key_file()} 删除密钥 {kid}。请重新备份密钥文件。")
