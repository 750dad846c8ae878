"""Signed checkpoints of the audit chain, kept outside the database (like Certificate Transparency).

A checkpoint says "the chain had ``seq`` events, the last one with hash ``hash``, at ``time``", signed with
an Ed25519 key that is *not* in the database (setting ``SPOTCHECK_AUDIT_SIGNING_KEY`` — the PEM text — or
the file ``SPOTCHECK_AUDIT_SIGNING_KEY_FILE``). Checkpoints are published on the portal; anyone can save
them. An insider who later deletes the newest events and rewrites ``ChainHead``, or rebuilds the chain
from some event on, leaves a chain that is internally consistent but no longer contains a checkpoint
taken earlier: :func:`verify_against` says so.

The signed message is the canonical JSON (sorted keys, no spaces, ASCII) of ``{seq, hash, time, key_id}``,
``time`` in UTC as ``YYYY-MM-DDTHH:MM:SSZ``; ``key_id`` is the first 16 hex digits of the SHA-256 of the
raw 32-byte public key. Signatures are base64.

Making a checkpoint appends no audit event (it would move the head past the checkpoint it signs); the
``Checkpoint`` table is append-only and every row carries its own signature and public key.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import transaction
from django.db.models import Max

from spotcheck.base.transactions import action

from .actions import wall_clock
from .models import GENESIS, AuditEvent, ChainHead, Checkpoint

log = logging.getLogger(__name__)

ENV_KEY = "SPOTCHECK_AUDIT_SIGNING_KEY"
ENV_KEY_FILE = "SPOTCHECK_AUDIT_SIGNING_KEY_FILE"
BEIJING = ZoneInfo("Asia/Shanghai")
URL_TIMEOUT = 10  # seconds

# Problems found by verify_against (the labels are shown as is).
BAD_SIGNATURE = "签名无效"
TRUNCATED = "链条被截短"
REWRITTEN = "历史被改写"


class CheckpointError(Exception):
    """A checkpoint cannot be made or read; ``message`` is plain Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SigningKeyMissing(CheckpointError):
    """No signing key is configured."""


# --- keys -----------------------------------------------------------------------------------------


def key_file() -> Path:
    return Path(settings.SPOTCHECK_AUDIT_SIGNING_KEY_FILE)


def _parse_private(pem: bytes, where: str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"{where}不是有效的私钥（PEM 格式）：{exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{where}不是 Ed25519 私钥；请用 spotcheck audit keygen 生成")
    return key


def env_key_set() -> bool:
    return bool((getattr(settings, "SPOTCHECK_AUDIT_SIGNING_KEY", "") or "").strip())


def describe_key_location(path: Path) -> str:
    """Where an existing key is: the file ``path`` if it exists, else the environment variable."""
    return f"密钥文件 {path}" if path.exists() else f"环境变量 {ENV_KEY}"


def read_private_key(path: Path | str) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file ``path``."""
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise CheckpointError(f"无法读取密钥文件 {path}：{exc.strerror or exc}") from exc
    return _parse_private(pem, f"密钥文件 {path} ")


def load_private_key() -> Ed25519PrivateKey:
    """The signing key: ``SPOTCHECK_AUDIT_SIGNING_KEY`` (PEM text) if set, else the key file.

    Raises :class:`SigningKeyMissing` naming both places and the command that creates a key.
    """
    if env_key_set():
        text = settings.SPOTCHECK_AUDIT_SIGNING_KEY.strip()
        return _parse_private(text.replace("\\n", "\n").encode("ascii", "replace"), f"环境变量 {ENV_KEY} ")
    path = key_file()
    if not path.is_file():
        raise SigningKeyMissing(
            f"未配置审计检查点签名密钥：密钥文件 {path} 不存在，环境变量 {ENV_KEY} 也未设置。"
            f"请运行 spotcheck audit keygen 生成密钥文件（或用环境变量 {ENV_KEY_FILE} 指定其位置），"
            "并按 docs/deploy.md 另行备份。"
        )
    return read_private_key(path)


def generate_key(path: Path | str | None = None) -> Path:
    """Write a new Ed25519 private key (PKCS#8 PEM, mode 0600) to ``path`` (default: the configured file).

    Refuses to overwrite an existing file: replacing the key is a rotation (docs/deploy.md).
    """
    target = Path(path) if path else key_file()
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise CheckpointError(
            f"密钥文件 {target} 已存在，不会覆盖。更换密钥请先按 docs/deploy.md 备份并移走旧文件。"
        ) from exc
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(target, 0o600)
    return target


def public_key_of(key: Ed25519PrivateKey | Ed25519PublicKey) -> Ed25519PublicKey:
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


def public_key_pem(key: Ed25519PrivateKey | Ed25519PublicKey | None = None) -> str:
    """The PEM text of the public key (of the configured signing key by default)."""
    pub = public_key_of(key if key is not None else load_private_key())
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """First 16 hex digits of the SHA-256 of the raw 32-byte public key."""
    raw = public_key_of(key).public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise CheckpointError(f"公钥无法读取（应为 PEM 格式）：{exc}") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("公钥不是 Ed25519 公钥")
    return key


# --- making checkpoints ---------------------------------------------------------------------------


def format_time(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def message(seq: int, chain_hash: str, time: str, kid: str) -> bytes:
    """The exact bytes that are signed."""
    body = {"seq": int(seq), "hash": chain_hash, "time": time, "key_id": kid}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _head() -> tuple[int, str]:
    head = ChainHead.objects.filter(pk=1).first()
    return (head.last_seq, head.last_hash) if head is not None else (0, GENESIS)


@action
def make_checkpoint() -> Checkpoint:
    """Sign the chain's current head (``ChainHead``), store the checkpoint and return it.

    Raises :class:`SigningKeyMissing` without a key, and :class:`CheckpointError` when the head disagrees
    with the event table (a broken chain is never signed: run ``spotcheck audit verify``).
    """
    key = load_private_key()
    seq, chain_hash = _head()
    previous = Checkpoint.objects.order_by("-seq", "-id").first()
    if previous is not None:
        # never sign over a rewritten history: the last checkpoint must still be in the chain, and the
        # events after it must link up to the head
        from .actions import verify_chain

        kept = AuditEvent.objects.filter(seq=previous.seq).values_list("hash", flat=True).first()
        if kept != previous.hash:
            raise CheckpointError(
                f"上一个检查点（第 {previous.seq} 号事件）已不在审计链中，历史可能被改写或截短，不签发新的检查点；"
                "请运行 spotcheck audit verify --checkpoint 查明原因"
            )
        report = verify_chain(start_seq=previous.seq, start_hash=previous.hash)
        if not report.ok:
            raise CheckpointError(f"审计链校验失败（{report.problem}），不签发检查点")
    newest = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first() if seq else GENESIS
    if newest != seq or found != chain_hash:
        raise CheckpointError(
            f"审计链链尾（第 {seq} 号事件）与事件表不一致，不签发检查点；请运行 spotcheck audit verify 查明原因"
        )
    at = wall_clock().replace(microsecond=0)
    kid = key_id(key)
    signature = key.sign(message(seq, chain_hash, format_time(at), kid))
    return Checkpoint.objects.create(
        seq=seq, hash=chain_hash, at=at, key_id=kid, signature=base64.b64encode(signature).decode("ascii"),
        public_key=public_key_pem(key),
    )


def _checkpoint_after_commit() -> None:
    """The on-commit hook of a publication: a checkpoint unless the newest one already covers the head.

    Never raises: a missing key is a logged warning, any other failure is logged with its traceback.
    """
    try:
        seq, chain_hash = _head()
        if Checkpoint.objects.filter(seq=seq, hash=chain_hash).exists():
            return
        make_checkpoint()
    except SigningKeyMissing as exc:
        log.warning("公示后未生成审计检查点：%s", exc.message)
    except Exception:  # a publication has committed; a checkpoint must never turn it into an error
        log.exception("公示后生成审计检查点失败")


def checkpoint_on_commit() -> None:
    """Make a checkpoint once the current transaction commits (after every publication and correction)."""
    transaction.on_commit(_checkpoint_after_commit)


# --- publishing -----------------------------------------------------------------------------------


def to_dict(cp: Checkpoint, *, with_public_key: bool = True) -> dict[str, Any]:
    """A checkpoint as published and printed (JSON types)."""
    data: dict[str, Any] = {
        "seq": cp.seq, "hash": cp.hash, "time": format_time(cp.at), "key_id": cp.key_id, "signature": cp.signature,
    }
    if with_public_key:
        data["public_key"] = cp.public_key
    return data


def current_public_key() -> tuple[str, str] | None:
    """(key_id, PEM) of the configured signing key, else of the newest checkpoint, else None."""
    try:
        key = load_private_key()
    except CheckpointError:
        newest = Checkpoint.objects.order_by("-id").values_list("key_id", "public_key").first()
        return (newest[0], newest[1]) if newest else None
    return key_id(key), public_key_pem(key)


def published_list() -> dict[str, Any]:
    """The portal's ``checkpoints.json``: newest first; the current public key once at the top, and every
    key that signed a listed checkpoint in ``public_keys`` (by key id, for checkpoints of a rotated key)."""
    rows = list(Checkpoint.objects.order_by("-id"))
    current = current_public_key()
    keys: dict[str, str] = {}
    for cp in rows:
        keys.setdefault(cp.key_id, cp.public_key)
    return {
        "format": "spotcheck-audit-checkpoints/1",
        "key_id": current[0] if current else None,
        "public_key": current[1] if current else None,
        "public_keys": keys,
        "signed_message": "canonical JSON of {seq, hash, time, key_id}: sorted keys, no spaces, ASCII; Ed25519",
        "checkpoints": [to_dict(cp, with_public_key=False) for cp in rows],
    }


# --- reading and verifying ------------------------------------------------------------------------


def _fetch(source: str) -> bytes:
    if source.startswith(("http://", "https://")):
        request = urllib.request.Request(source, headers={"User-Agent": "spotcheck-audit-verify"})
        try:
            with urllib.request.urlopen(request, timeout=URL_TIMEOUT) as response:  # noqa: S310 (http(s) only)
                return response.read()
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise CheckpointError(f"无法下载 {source}：{exc}") from exc
    try:
        return Path(source).read_bytes()
    except OSError as exc:
        raise CheckpointError(f"无法读取文件 {source}：{exc.strerror or exc}") from exc


def _normalise(item: Any, source: str, keys: dict[str, str], top_key: str | None) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise CheckpointError(f"{source} 中有一项不是检查点")
    missing = [k for k in ("seq", "hash", "time", "key_id", "signature") if k not in item]
    if missing:
        raise CheckpointError(f"{source} 不是检查点文件：缺少 {'、'.join(missing)}")
    try:
        seq = int(item["seq"])
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{source} 中的序号 seq 不是整数：{item['seq']!r}") from exc
    kid = str(item["key_id"])
    return {
        "seq": seq, "hash": str(item["hash"]), "time": str(item["time"]), "key_id": kid,
        "signature": str(item["signature"]), "public_key": item.get("public_key") or keys.get(kid) or top_key,
        "source": source,
    }


def parse_checkpoints(data: bytes | str | Any, source: str = "检查点") -> list[dict[str, Any]]:
    """Checkpoints from a single checkpoint object, the portal's list document, or a JSON array of them."""
    if isinstance(data, (bytes, str)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise CheckpointError(f"{source} 不是 JSON 文件：{exc}") from exc
    if isinstance(data, dict) and "checkpoints" in data:
        keys = data.get("public_keys") or {}
        top = data.get("public_key")
        if data.get("key_id") and top:
            keys = {**keys, str(data["key_id"]): top}
        items = data["checkpoints"]
        if not isinstance(items, list):
            raise CheckpointError(f"{source} 中的 checkpoints 不是列表")
        return [_normalise(i, source, keys, top) for i in items]
    if isinstance(data, list):
        return [_normalise(i, source, {}, None) for i in data]
    return [_normalise(data, source, {}, None)]


def load_checkpoints(source: str) -> list[dict[str, Any]]:
    """Read checkpoints from a file path or an http(s) URL (10 s timeout)."""
    return parse_checkpoints(_fetch(source), source)


@dataclass
class CheckpointCheck:
    """The outcome for one checkpoint: ``problem`` is "" (it holds) or one of the three labels."""

    seq: int
    hash: str
    time: str
    key_id: str
    problem: str = ""
    detail: str = ""
    source: str = ""

    @property
    def ok(self) -> bool:
        return not self.problem

    def when(self) -> str:
        try:
            at = dt.datetime.fromisoformat(self.time.replace("Z", "+00:00"))
        except ValueError:
            return self.time
        if at.tzinfo is None:
            at = at.replace(tzinfo=dt.UTC)
        return at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S") + "（北京时间）"

    def describe(self) -> str:
        head = f"检查点（第 {self.seq} 号事件，{self.when()}，密钥 {self.key_id}）"
        return f"{head}：通过" if self.ok else f"{head}：{self.problem}——{self.detail}"


def trusted_public_keys() -> dict[str, Ed25519PublicKey]:
    """Keys trusted by default: the configured signing key and the public keys pinned outside the database
    (``SPOTCHECK_AUDIT_TRUSTED_KEYS``: files of earlier keys after a rotation). Keys stored in the database
    are never trusted: an insider could add one and sign a forged history with it."""
    keys: dict[str, Ed25519PublicKey] = {}
    try:
        own = load_private_key()
        keys[key_id(own)] = own.public_key()
    except CheckpointError:
        pass
    for path in getattr(settings, "SPOTCHECK_AUDIT_TRUSTED_KEYS", []) or []:
        try:
            pub = load_public_key(Path(path).read_bytes())
        except (OSError, CheckpointError):
            log.warning("无法读取受信任的审计公钥文件 %s", path)
            continue
        keys.setdefault(key_id(pub), pub)
    return keys


def _as_keys(public_key: Any) -> dict[str, Ed25519PublicKey]:
    items = public_key if isinstance(public_key, (list, tuple, set)) else [public_key]
    out: dict[str, Ed25519PublicKey] = {}
    for k in items:
        if isinstance(k, Ed25519PrivateKey):
            k = k.public_key()
        elif isinstance(k, (str, bytes)):
            k = load_public_key(k)
        out[key_id(k)] = k
    return out


def _signature_problem(cp: dict[str, Any], keys: dict[str, Ed25519PublicKey]) -> str:
    key = keys.get(cp["key_id"])
    if key is None:
        known = "、".join(sorted(keys)) or "无（本机未配置签名密钥）"
        return f"签名密钥 {cp['key_id']} 不是本系统的签名密钥（本系统的密钥：{known}），检查点可能是伪造的"
    try:
        signature = base64.b64decode(cp["signature"], validate=True)
        key.verify(signature, message(cp["seq"], cp["hash"], cp["time"], cp["key_id"]))
    except (InvalidSignature, ValueError):
        return "签名与检查点内容不符：检查点被改动过，或不是用本系统的密钥签发的"
    return ""


def verify_against(checkpoints: Iterable[dict[str, Any]], public_key: Any = None) -> list[CheckpointCheck]:
    """Hold the chain in the database to ``checkpoints`` (dicts as :func:`parse_checkpoints` returns).

    Each is checked for a valid signature by ``public_key`` (a key, PEM text, or a list of them; default
    :func:`trusted_public_keys` — never the key a document brings with it, so a forged document signed
    with some other key fails), then for the event ``seq`` still being in the chain with the same hash.
    Together with an intact chain (``verify_chain``) an equal hash proves every event up to ``seq`` is
    unchanged. Problems: :data:`BAD_SIGNATURE`, :data:`TRUNCATED`, :data:`REWRITTEN`.
    """
    keys = _as_keys(public_key) if public_key is not None else trusted_public_keys()
    newest = AuditEvent.objects.aggregate(m=Max("seq"))["m"] or 0
    out = []
    for cp in checkpoints:
        check = CheckpointCheck(cp["seq"], cp["hash"], cp["time"], cp["key_id"], source=cp.get("source", ""))
        out.append(check)
        bad = _signature_problem(cp, keys)
        if bad:
            check.problem, check.detail = BAD_SIGNATURE, bad
            continue
        seq = cp["seq"]
        if seq == 0:
            found: str | None = GENESIS
        else:
            found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()
        if found is None and seq > newest:
            check.problem = TRUNCATED
            check.detail = (
                f"检查点签发时审计链已有 {seq} 条事件，现在只剩 {newest} 条：最新的 {seq - newest} 条事件被删除了"
            )
        elif found is None:
            check.problem, check.detail = REWRITTEN, f"第 {seq} 号事件已不在审计链中（其后的事件仍在）"
        elif found != cp["hash"]:
            check.problem = REWRITTEN
            check.detail = (
                f"第 {seq} 号事件的哈希与检查点不符（现为 {found[:16]}…，检查点为 {cp['hash'][:16]}…）："
                "这条事件或它之前的事件被改动或重写了"
            )
    return out
