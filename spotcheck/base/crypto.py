"""Personal data at rest (等保 2.0 第三级, 密评): SM4-GCM encryption and HMAC-SM3 digests, keys outside the database.

**Keys.** A key file (setting ``SPOTCHECK_FIELD_KEYS_FILE``, default ``var/field-keys.json``, mode 0600) or the
setting/environment variable ``SPOTCHECK_FIELD_KEYS`` (the same JSON text; it wins over the file) holds several
keys with ids, one of them current::

    {"version": 1, "current": "3f9a61c2",
     "keys": [{"id": "3f9a61c2", "key": "<base64 of 32 random bytes>", "created": "2026-12-08T10:00:00+08:00"}]}

Keys are never stored in the database. From each key's 32 bytes two keys are derived with HKDF-SM3: the cipher key
(SM4: 16 bytes; AES-256: 32 bytes) and the digest key (32 bytes, HMAC-SM3), so the digests of a column never use
the key that encrypts it. New values are encrypted with the current key; a value names its key, so older keys keep
decrypting until ``spotcheck keys rotate`` has re-encrypted every row (docs/deploy.md).

**Values.** A text token ``sm4gcm:v1:<key id>:<base64 nonce(12) + ciphertext + tag(16)>`` (``aes256gcm`` with
``SPOTCHECK_FIELD_CIPHER = "aes-256-gcm"``). The associated data is the token's header plus the column
(``directory.inspector.id_number``), so a token moved to another column, or given another key id, is refused.
The setting chooses the cipher of new values only; every token says its own.

**Digests.** ``HMAC-SM3(digest key, kind NUL normalised value)`` in hex, for exact-match lookup and uniqueness:
身份证号 stripped and upper-cased (``x`` → ``X``), phone numbers digits only, full-width characters (``１３８…``) folded
to ASCII first. The same number has the same digest
in every table under one key (it is a pseudonym, not an encryption); a lookup tries the digests under every key
in the key file, so it keeps working while a rotation is under way.

In dev (``SPOTCHECK_FIELD_KEYS_AUTOCREATE``) a missing key file is created on first use; elsewhere a missing key
is an error (a system check, and ``spotcheck.wsgi`` refuses to start). Standard library + ``cryptography`` only.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import re
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

from spotcheck.core.masking import fold_fullwidth

ENV_KEYS = "SPOTCHECK_FIELD_KEYS"
ENV_KEYS_FILE = "SPOTCHECK_FIELD_KEYS_FILE"

#: setting value → token prefix
CIPHERS = {"sm4-gcm": "sm4gcm", "aes-256-gcm": "aes256gcm"}
_KEY_LENGTH = {"sm4gcm": 16, "aes256gcm": 32}
VERSION = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16
MATERIAL_BYTES = 32
_KID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_TOKEN = re.compile(r"^(sm4gcm|aes256gcm):(v1):([A-Za-z0-9_-]{1,32}):([A-Za-z0-9+/=]+)$")


class FieldCryptoError(Exception):
    """Personal data cannot be encrypted or decrypted; ``message`` is plain Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FieldKeyMissing(FieldCryptoError):
    """No key is configured."""


class UnknownKey(FieldCryptoError):
    """A value names a key that is not in the key file."""


class DecryptionFailed(FieldCryptoError):
    """A stored value is not a valid token of its column (tampered, moved, or not encrypted)."""


# --- keys -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldKey:
    id: str
    material: bytes = field(repr=False)
    created: str = ""

    def _derive(self, info: str, length: int) -> bytes:
        return HKDF(hashes.SM3(), length, None, f"spotcheck/field/{info}".encode()).derive(self.material)

    @cached_property
    def digest_key(self) -> bytes:
        return self._derive("digest/hmac-sm3", 32)

    def cipher_key(self, prefix: str) -> bytes:
        cache = self.__dict__.setdefault("_cipher_keys", {})
        if prefix not in cache:
            cache[prefix] = self._derive(f"cipher/{prefix}", _KEY_LENGTH[prefix])
        return cache[prefix]

    def as_json(self) -> dict[str, str]:
        return {"id": self.id, "key": base64.b64encode(self.material).decode("ascii"), "created": self.created}


@dataclass(frozen=True)
class Keyring:
    keys: dict[str, FieldKey]
    current: str
    source: str  # where the keys came from, for messages

    def get(self, kid: str) -> FieldKey:
        try:
            return self.keys[kid]
        except KeyError:
            raise UnknownKey(
                f"密钥 {kid} 不在{self.source}中（现有密钥：{'、'.join(self.keys) or '无'}）。"
                "该值是用另一把密钥加密的：请恢复包含该密钥的密钥文件（见 docs/deploy.md“个人信息加密存储”）"
            ) from None

    @property
    def current_key(self) -> FieldKey:
        return self.get(self.current)

    def as_json(self) -> dict[str, Any]:
        return {"version": 1, "current": self.current, "keys": [k.as_json() for k in self.keys.values()]}


def new_key(kid: str | None = None) -> FieldKey:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    return FieldKey(kid or secrets.token_hex(4), secrets.token_bytes(MATERIAL_BYTES), now)


def parse_keyring(text: str, where: str) -> Keyring:
    """The keys of the JSON text ``text`` (``where`` names it in errors)."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FieldCryptoError(f"{where}不是有效的 JSON：{exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise FieldCryptoError(f"{where}格式不正确：应为 {{\"current\": 密钥标识, \"keys\": [...]}}")
    keys: dict[str, FieldKey] = {}
    for item in data["keys"]:
        kid = str(item.get("id", "")) if isinstance(item, dict) else ""
        if not _KID.match(kid):
            raise FieldCryptoError(f"{where}中的密钥标识“{kid}”不合法（1–32 个字母、数字、- 或 _）")
        try:
            material = base64.b64decode(str(item.get("key", "")), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FieldCryptoError(f"{where}中密钥 {kid} 不是有效的 base64") from exc
        if len(material) != MATERIAL_BYTES:
            raise FieldCryptoError(f"{where}中密钥 {kid} 应为 {MATERIAL_BYTES} 字节，实为 {len(material)} 字节")
        if kid in keys:
            raise FieldCryptoError(f"{where}中密钥标识 {kid} 重复")
        keys[kid] = FieldKey(kid, material, str(item.get("created", "")))
    current = str(data.get("current", ""))
    if current not in keys:
        raise FieldCryptoError(f"{where}中的当前密钥“{current}”不在密钥列表中")
    return Keyring(keys, current, where)


def key_file() -> Path:
    return Path(settings.SPOTCHECK_FIELD_KEYS_FILE)


def env_keys_set() -> bool:
    return bool((getattr(settings, "SPOTCHECK_FIELD_KEYS", "") or "").strip())


def write_keyring(ring: Keyring, path: Path | str | None = None, *, create: bool = False) -> Path:
    """Write ``ring`` to the key file (mode 0600, replaced atomically); ``create`` refuses an existing file."""
    target = Path(path) if path else key_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(ring.as_json(), ensure_ascii=False, indent=2) + "\n"
    if create:
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError as exc:
            raise FieldCryptoError(f"密钥文件 {target} 已存在，不会覆盖（增加密钥请用 spotcheck keys generate --add）") from exc
    else:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    if not create:
        os.replace(tmp, target)
    os.chmod(target, 0o600)
    _cache.clear()
    return target


def generate_key_file(path: Path | str | None = None) -> Keyring:
    """A new key file holding one key, current. Refuses to overwrite."""
    key = new_key()
    ring = Keyring({key.id: key}, key.id, f"密钥文件 {path or key_file()}")
    write_keyring(ring, path, create=True)
    return ring


def add_key(path: Path | str | None = None, *, make_current: bool = True) -> tuple[Keyring, FieldKey]:
    """Add a new key to the key file (made current unless ``make_current`` is false)."""
    target = Path(path) if path else key_file()
    ring = read_key_file(target)
    key = new_key()
    while key.id in ring.keys:  # pragma: no cover - 1 in 4 billion
        key = new_key()
    updated = Keyring({**ring.keys, key.id: key}, key.id if make_current else ring.current, ring.source)
    write_keyring(updated, target)
    return updated, key


def remove_key(kid: str, path: Path | str | None = None) -> Keyring:
    """Drop a key that is not current from the key file (the caller checks that no value uses it)."""
    target = Path(path) if path else key_file()
    ring = read_key_file(target)
    ring.get(kid)
    if kid == ring.current:
        raise FieldCryptoError(f"密钥 {kid} 是当前密钥，不能删除")
    updated = Keyring({k: v for k, v in ring.keys.items() if k != kid}, ring.current, ring.source)
    write_keyring(updated, target)
    return updated


def read_key_file(path: Path | str) -> Keyring:
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise FieldCryptoError(f"无法读取密钥文件 {target}：{exc.strerror or exc}") from exc
    return parse_keyring(text, f"密钥文件 {target} ")


_cache: dict[Any, Keyring] = {}
_lock = threading.Lock()


def keyring() -> Keyring:
    """The configured keys: ``SPOTCHECK_FIELD_KEYS`` if set, else the key file (re-read when it changes).

    Creates the file when it is missing and ``SPOTCHECK_FIELD_KEYS_AUTOCREATE`` is on (dev); otherwise raises
    :class:`FieldKeyMissing` naming both places and the command that creates a key.
    """
    if env_keys_set():
        text = settings.SPOTCHECK_FIELD_KEYS.strip()
        ring = _cache.get(("env", text))
        if ring is None:
            ring = _cache[("env", text)] = parse_keyring(text, f"环境变量 {ENV_KEYS} ")
        return ring
    path = key_file()
    try:
        st = path.stat()
    except FileNotFoundError:
        if not getattr(settings, "SPOTCHECK_FIELD_KEYS_AUTOCREATE", False):
            raise FieldKeyMissing(missing_message(path)) from None
        with _lock:
            if not path.exists():
                try:
                    generate_key_file(path)
                except FieldCryptoError:  # pragma: no cover - another process created it meanwhile
                    pass
        st = path.stat()
    marker = ("file", str(path), st.st_mtime_ns, st.st_size, st.st_ino)
    ring = _cache.get(marker)
    if ring is None:
        ring = read_key_file(path)
        _cache.clear()
        _cache[marker] = ring
    return ring


def missing_message(path: Path) -> str:
    return (f"未配置个人信息加密密钥：密钥文件 {path} 不存在，环境变量 {ENV_KEYS} 也未设置。"
            f"请运行 spotcheck keys generate 生成密钥文件（或用环境变量 {ENV_KEYS_FILE} 指定其位置），"
            "并按 docs/deploy.md“个人信息加密存储”另行备份；丢失密钥即丢失全部已加密的身份证号和电话。")


def key_problem() -> str:
    """Why the keys cannot be used (plain Chinese), or "" when they can."""
    try:
        keyring()
    except FieldCryptoError as exc:
        return exc.message
    return ""


# --- values ---------------------------------------------------------------------------------------


def cipher_prefix() -> str:
    name = getattr(settings, "SPOTCHECK_FIELD_CIPHER", "sm4-gcm")
    try:
        return CIPHERS[name]
    except KeyError:
        raise FieldCryptoError(f"SPOTCHECK_FIELD_CIPHER 应为 {' 或 '.join(CIPHERS)}，实为“{name}”") from None


@dataclass(frozen=True)
class Token:
    prefix: str
    version: str
    kid: str
    blob: str

    @property
    def header(self) -> str:
        return f"{self.prefix}:{self.version}:{self.kid}"


def parse_token(value: str) -> Token | None:
    m = _TOKEN.match(value or "")
    return Token(*m.groups()) if m else None


def is_token(value: Any) -> bool:
    return isinstance(value, str) and parse_token(value) is not None


def token_key_id(value: str) -> str:
    t = parse_token(value)
    return t.kid if t else ""


def current_header() -> str:
    """The header a value written now gets (``sm4gcm:v1:<current key id>``)."""
    return f"{cipher_prefix()}:{VERSION}:{keyring().current}"


def _algorithm(prefix: str, key: bytes) -> Any:
    return algorithms.SM4(key) if prefix == "sm4gcm" else algorithms.AES(key)


def _aad(header: str, context: str) -> bytes:
    return f"{header}|{context}".encode()


def encrypt(plaintext: str, context: str, *, ring: Keyring | None = None, prefix: str | None = None) -> str:
    """The token of ``plaintext`` for the column ``context`` (``app.model.field``), under the current key."""
    ring = ring or keyring()
    prefix = prefix or cipher_prefix()
    key = ring.current_key
    header = f"{prefix}:{VERSION}:{key.id}"
    nonce = os.urandom(NONCE_BYTES)
    enc = Cipher(_algorithm(prefix, key.cipher_key(prefix)), modes.GCM(nonce)).encryptor()
    enc.authenticate_additional_data(_aad(header, context))
    body = enc.update(plaintext.encode("utf-8")) + enc.finalize()
    return f"{header}:{base64.b64encode(nonce + body + enc.tag).decode('ascii')}"


def decrypt(token: str, context: str, *, ring: Keyring | None = None) -> str:
    """The plaintext of ``token`` stored in the column ``context``; raises :class:`DecryptionFailed` or
    :class:`UnknownKey` with a message naming the column."""
    t = parse_token(token)
    if t is None:
        raise DecryptionFailed(f"{context} 中的值不是密文（未加密的旧数据，或被绕过系统直接改动）")
    key = (ring or keyring()).get(t.kid)
    try:
        raw = base64.b64decode(t.blob, validate=True)
    except (binascii.Error, ValueError):
        raise DecryptionFailed(f"{context} 中的密文格式损坏") from None
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionFailed(f"{context} 中的密文长度不对")
    nonce, body, tag = raw[:NONCE_BYTES], raw[NONCE_BYTES:-TAG_BYTES], raw[-TAG_BYTES:]
    dec = Cipher(_algorithm(t.prefix, key.cipher_key(t.prefix)), modes.GCM(nonce, tag)).decryptor()
    dec.authenticate_additional_data(_aad(t.header, context))
    try:
        plain = dec.update(body) + dec.finalize()
    except InvalidTag:
        raise DecryptionFailed(
            f"{context} 中的密文校验失败（密文被篡改、被移到了别的字段，或密钥 {t.kid} 不是加密时的那把）"
        ) from None
    return plain.decode("utf-8")


# --- digests --------------------------------------------------------------------------------------


def normalise(kind: str, value: str) -> str:
    """The form that is digested: full-width digits, letters, hyphen and space folded to ASCII first
    (``core.masking.fold_fullwidth``: ``１３８１２３４５６７８`` is ``13812345678``); then 身份证号 without spaces and
    upper-cased, phone numbers digits only."""
    text = fold_fullwidth(value or "").strip()
    if kind == "id_number":
        return text.replace(" ", "").upper()
    if kind == "phone":
        return "".join(ch for ch in text if ch.isdigit())
    return text


def digest(kind: str, value: str, *, kid: str | None = None, ring: Keyring | None = None) -> str:
    """HMAC-SM3 (hex) of the normalised ``value`` under key ``kid`` (default: current); "" for an empty value."""
    norm = normalise(kind, value)
    if not norm:
        return ""
    ring = ring or keyring()
    key = ring.get(kid) if kid else ring.current_key
    h = hmac.HMAC(key.digest_key, hashes.SM3())
    h.update(f"{kind}\x00{norm}".encode())
    return h.finalize().hex()


def digests(kind: str, value: str, *, ring: Keyring | None = None) -> list[str]:
    """The digests of ``value`` under every configured key (current first), for lookups during a rotation."""
    ring = ring or keyring()
    out = [digest(kind, value, kid=kid, ring=ring) for kid in [ring.current, *ring.keys]]
    return [d for d in dict.fromkeys(out) if d]


def key_ids(values: Iterable[str]) -> set[str]:
    return {token_key_id(v) for v in values if v}
