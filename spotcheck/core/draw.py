"""SC-DRAW-1：可公开验证的“双随机”抽取程序 / SC-DRAW-1: the publicly verifiable draw.

中文说明
--------
本文件是医保基金“双随机、一公开”检查抽取算法 SC-DRAW-1 的完整实现，只使用 Python 标准库
（Python 3.8 及以上），不依赖任何其他文件。任何人（纪检监察、公证处、记者、被检查机构）都可以
下载本文件，用它独立地重新计算一次已公布的抽取结果：被抽中的机构、候补名单、检查顺序和每个
检查组的人员。

    python draw.py verify package.json    校验公布的结果包；一致时输出 OK（退出码 0），
                                          否则逐条列出不一致之处（退出码 1）
    python draw.py compute input.json     由输入计算结果包并输出到标准输出（退出码 0）；
                                          输入无效或无法完成时输出“错误 <代码>: <说明>”（退出码 2）

文件名写作 “-” 时从标准输入读取。

English
-------
This single file implements SC-DRAW-1, the draw algorithm of the SpotCheck platform for the
medical-insurance "double random, one public" inspections, with the Python standard library only
(Python 3.8+). Anybody can download it and recompute a published draw bit for bit: the selected
institutions, the reserve lists, the inspection order and every inspector team.

    python draw.py verify package.json    prints OK (exit 0) or one line per difference (exit 1)
    python draw.py compute input.json     prints the package JSON (exit 0), or on failure
                                          "错误 <code>: <message>" on stderr (exit 2)

"-" as the file name reads standard input. The algorithm is specified in SC-DRAW-1 (draw-spec.md):
commit to the directory snapshot, the parameters and H(secret) before a public random value exists;
rank every unit by HMAC-SHA256 under a seed derived from the revealed secret and the public value;
select the lowest ranks per stratum; staff teams by the least-loaded rule; replay later events.

Python API: canon, normalise_label, normalise_text, sample_size, commitment, compute, verify,
loads, dumps, dump_pieces, write_json, main; errors are DrawError with .code, .message (Simplified
Chinese) and .details. Input order never matters for the result, but giving units already sorted by
label makes large draws markedly faster.
"""

from __future__ import annotations

import gc
import hashlib
import hmac
import json
import json.encoder
import operator
import os
import pickle
import re
import sys
import unicodedata
from bisect import bisect_left, insort
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import islice
from typing import Any, BinaryIO

ALGORITHM = "SC-DRAW-1"
ERROR_CODES = ("invalid_input", "commit_mismatch", "unstaffable", "reserve_exhausted")
INPUT_KEYS = (
    "draw_id", "units", "strata", "commit", "randomness_sources", "teams",
    "secret", "public_randomness", "events",
)
COMMIT_KEYS = INPUT_KEYS[:6]
REVEAL_KEYS = INPUT_KEYS[6:]
PACKAGE_KEYS = ("algorithm", "snapshot_digest", "params_digest", "seed", "result")
ROUNDINGS = ("ceil", "floor", "half_up")
_PARALLEL_MIN_UNITS = 100_000  # below this a second process costs more than it saves

WHITESPACE = "\t\n\x0b\x0c\r "
_LABEL_CHARS = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ._-"
_LABEL_RE = re.compile(r"[0-9A-Z._-]{1,64}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_IPAD = bytes(x ^ 0x36 for x in range(256))
_OPAD = bytes(x ^ 0x5C for x in range(256))
_encode_str: Callable[[str], str] = json.encoder.encode_basestring  # ensure_ascii=False string encoder


class DrawError(Exception):
    """A draw that cannot produce a package.

    ``code`` is one of ERROR_CODES, ``message`` a Simplified-Chinese explanation naming the field,
    ``details`` machine-readable facts (for ``unstaffable``: {"unit": t, "department": d}).
    """

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})


def _invalid(message: str, **details: Any) -> DrawError:
    return DrawError("invalid_input", message, details)


def _show(value: Any, limit: int = 24) -> str:
    """Short printable rendering of a value for messages."""
    if isinstance(value, str):
        text = value if len(value) <= limit else value[:limit] + "…"
        text = json.dumps(text, ensure_ascii=False)[1:-1].replace("\\\"", '"')
        return "'" + text.encode("utf-8", "backslashreplace").decode("utf-8") + "'"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit * 2:
        text = text[: limit * 2] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: the draw allocates millions of acyclic objects."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# Conventions: canon, H, HMAC, normalisation


def _check_canon_value(x: Any, depth: int = 0) -> None:
    if depth > 200:
        raise _invalid("JSON 嵌套层数过深")
    t = type(x)
    if t is str or t is int or x is None:
        return
    if t is list:
        if set(map(type, x)) <= {str, int}:
            return
        for item in x:
            _check_canon_value(item, depth + 1)
        return
    if t is dict:
        for key, value in x.items():
            if type(key) is not str:
                raise _invalid(f"JSON 对象的键必须是字符串：{_show(key)}")
            _check_canon_value(value, depth + 1)
        return
    if t is bool:
        raise _invalid("规范 JSON 中不允许布尔值")
    if t is float:
        raise _invalid(f"规范 JSON 中不允许浮点数：{_show(x)}")
    raise _invalid(f"规范 JSON 中不允许的值类型：{t.__name__}")


def canon(x: Any) -> bytes:
    """Canonical JSON bytes of x (SC-DRAW-1 ``canon``).

    Equals ``json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()``
    for values built from str, int, list, dict (str keys) and None. Floats, booleans, other types
    and lone surrogates raise DrawError("invalid_input").
    """
    _check_canon_value(x)
    text = json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid("字符串中含有孤立的代理字符（lone surrogate）") from None


def H(data: bytes) -> str:
    """SHA-256 of data as 64 lowercase hex digits."""
    return hashlib.sha256(data).hexdigest()


def _hmac_fn(key: bytes, prefix: bytes = b"") -> Callable[[bytes], bytes]:
    """Return m -> HMAC-SHA256(key, prefix + m) using precomputed pad states (RFC 2104).

    Equivalent to ``hmac.digest(key, prefix + m, "sha256")`` but several times faster per call.
    """
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key + b"\x00" * (64 - len(key))
    inner = hashlib.sha256(key.translate(_IPAD))
    inner.update(prefix)
    outer = hashlib.sha256(key.translate(_OPAD))
    inner_copy = inner.copy
    outer_copy = outer.copy

    def digest(msg: bytes) -> bytes:
        i = inner_copy()
        i.update(msg)
        o = outer_copy()
        o.update(i.digest())
        return o.digest()

    return digest


def _check_text(value: Any, where: str, nonempty: bool = True) -> str:
    if type(value) is not str:
        raise _invalid(f"{where} 必须是字符串，实际为 {_show(value)}")
    if nonempty and not value:
        raise _invalid(f"{where} 不能为空字符串")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(f"{where} 含有孤立的代理字符（lone surrogate）") from None
    return value


def normalise_label(value: Any, where: str = "标签") -> str:
    """Normalise a unit label or inspector id: strip ASCII whitespace, upper-case ASCII a-z.

    The result must match ``^[0-9A-Z._-]{1,64}$``; otherwise DrawError("invalid_input") naming
    ``where`` (e.g. "units[3]").
    """
    if type(value) is not str:
        raise _invalid(f"{where} 的标签必须是字符串，实际为 {_show(value)}")
    label = value.strip(WHITESPACE)
    if label.isascii():
        label = label.upper()
        if _LABEL_RE.fullmatch(label):
            return label
    raise _invalid(
        f"{where} 的标签 {_show(value)} 不合法：只允许 0-9 A-Z . _ -（1 到 64 个字符，"
        "首尾空白会被去掉，小写字母 a-z 会转为大写）",
        field=where,
    )


def normalise_text(value: Any, where: str = "public_randomness") -> str:
    """Normalise the public randomness text: NFC, CRLF -> LF, strip ASCII whitespace; non-empty."""
    _check_text(value, where, nonempty=False)
    text = unicodedata.normalize("NFC", value).replace("\r\n", "\n").strip(WHITESPACE)
    if not text:
        raise _invalid(f"{where} 规范化后为空")
    return text


def sample_size(N: int, p: int, q: int, rounding: str, min: int, max: int | None) -> int:
    """Sample size n of a stratum of N units with ratio p/q (integer arithmetic only).

    rounding is "ceil", "floor" or "half_up"; then n = max(n, min), n = min(n, max) unless max is
    None, n = min(n, N). Raises ValueError for an unknown rounding or q < 1.
    """
    if q < 1:
        raise ValueError("q must be >= 1")
    if rounding == "ceil":
        n = (N * p + q - 1) // q
    elif rounding == "floor":
        n = (N * p) // q
    elif rounding == "half_up":
        n = (2 * N * p + q) // (2 * q)
    else:
        raise ValueError(f"unknown rounding {rounding!r}")
    if n < min:
        n = min
    if max is not None and n > max:
        n = max
    if n > N:
        n = N
    return n


# --------------------------------------------------------------------------------------------
# Validation of the commit-time part


def _is_int(value: Any) -> bool:
    return type(value) is int


def _check_keys(obj: Any, required: tuple[str, ...], optional: tuple[str, ...], where: str) -> None:
    if type(obj) is not dict:
        raise _invalid(f"{where} 必须是 JSON 对象，实际为 {_show(obj)}")
    missing = [k for k in required if k not in obj]
    extra = [k for k in obj if k not in required and k not in optional]
    if missing or extra:
        parts = []
        if missing:
            parts.append("缺少 " + "、".join(missing))
        if extra:
            parts.append("多余 " + "、".join(_show(k) for k in extra))
        names = "、".join(required)
        raise _invalid(f"{where} 必须恰好包含键 {names}：" + "；".join(parts), missing=missing,
                       extra=[str(k) for k in extra])


def _check_hex64(value: Any, where: str) -> str:
    if type(value) is not str or not _HEX64_RE.fullmatch(value):
        raise _invalid(f"{where} 必须是 64 位小写十六进制字符串，实际为 {_show(value)}")
    return value


def _check_strata(strata: Any) -> dict[str, tuple[int, int, str, int, int | None]]:
    if type(strata) is not dict:
        raise _invalid(f"strata 必须是 JSON 对象，实际为 {_show(strata)}")
    out: dict[str, tuple[int, int, str, int, int | None]] = {}
    for h, spec in strata.items():
        _check_text(h, f"strata 的层标识 {_show(h)}", nonempty=False)
        where = f"strata[{_show(h)}]"
        _check_keys(spec, ("ratio", "rounding", "min", "max"), (), where)
        ratio = spec["ratio"]
        if type(ratio) is not list or len(ratio) != 2 or not all(_is_int(v) for v in ratio):
            raise _invalid(f"{where}.ratio 必须是两个整数 [p, q]，实际为 {_show(ratio)}")
        p, q = ratio
        if not (0 <= p <= q and q >= 1):
            raise _invalid(f"{where}.ratio 必须满足 0 <= p <= q 且 q >= 1，实际为 {_show(ratio)}")
        rounding = spec["rounding"]
        if type(rounding) is not str or rounding not in ROUNDINGS:
            raise _invalid(f"{where}.rounding 必须是 ceil、floor 或 half_up，实际为 {_show(rounding)}")
        lo = spec["min"]
        if not _is_int(lo) or lo < 0:
            raise _invalid(f"{where}.min 必须是不小于 0 的整数，实际为 {_show(lo)}")
        hi = spec["max"]
        if hi is not None and (not _is_int(hi) or hi < 0):
            raise _invalid(f"{where}.max 必须是不小于 0 的整数或 null，实际为 {_show(hi)}")
        out[h] = (p, q, rounding, lo, hi)
    return out


def _units_slow(units: list[Any], strata: Mapping[str, Any]) -> list[str]:
    """Per-unit validation with precise messages; returns normalised labels in input order."""
    labels: list[str] = []
    seen: dict[str, int] = {}
    for i, unit in enumerate(units):
        where = f"units[{i}]"
        if type(unit) is not list or len(unit) != 2:
            raise _invalid(f"{where} 必须是 [标签, 层标识] 两项数组，实际为 {_show(unit)}", index=i)
        label = normalise_label(unit[0], where)
        h = unit[1]
        if type(h) is not str or h not in strata:
            raise _invalid(f"{where} 的层 {_show(h)} 未在 strata 中定义", index=i)
        if label in seen:
            raise _invalid(f"{where} 的标签 {label} 与 units[{seen[label]}] 重复（规范化后）",
                           index=i, label=label)
        seen[label] = i
        labels.append(label)
    return labels


def _check_units(units: Any, strata: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """Validate units except uniqueness; return (normalised labels, stratum ids) in input order.

    Fast path for large inputs whose labels are already normalised (a few C-level passes); any
    irregularity falls back to the per-unit check, which raises the precise error.
    """
    if type(units) is not list:
        raise _invalid(f"units 必须是数组，实际为 {_show(units)}")
    if not units:
        return [], []
    try:
        if set(map(type, units)) != {list} or set(map(len, units)) != {2}:
            raise TypeError
        raw = [u[0] for u in units]
        # One shared object per stratum id (the JSON parser makes one per unit): later passes in
        # other orders then touch a hundred objects instead of a million.
        shared = {h: h for h in strata}
        hs = list(map(shared.__getitem__, [u[1] for u in units]))
        if set(map(type, raw)) != {str} or max(map(len, raw)) > 64:
            raise TypeError
        joined = "\n".join(raw)
        if not joined.isascii() or "\n\n" in joined or joined[0] == "\n" or joined[-1] == "\n":
            raise TypeError
        # Every character is a label character or one of the len-1 separators: all labels valid.
        if joined.encode("ascii").translate(None, _LABEL_CHARS) != b"\n" * (len(raw) - 1):
            raise TypeError
    except (TypeError, KeyError):
        raw = _units_slow(units, strata)
        hs = [u[1] for u in units]
    return raw, hs


class _Teams:
    """Validated teams parameters (normalised ids)."""

    def __init__(self, teams: Any, has_unit: Callable[[str], bool]) -> None:
        _check_keys(teams, ("inspectors", "slots", "cap", "exclusions"), (), "teams")
        inspectors = teams["inspectors"]
        if type(inspectors) is not list:
            raise _invalid(f"teams.inspectors 必须是数组，实际为 {_show(inspectors)}")
        self.department: dict[str, str] = {}
        for i, item in enumerate(inspectors):
            where = f"teams.inspectors[{i}]"
            if type(item) is not list or len(item) != 2:
                raise _invalid(f"{where} 必须是 [检查人员编号, 部门] 两项数组，实际为 {_show(item)}")
            ident = normalise_label(item[0], where)
            dept = _check_text(item[1], f"{where} 的部门", nonempty=False)
            if ident in self.department:
                raise _invalid(f"{where} 的检查人员编号 {ident} 重复（规范化后）")
            self.department[ident] = dept
        slots = teams["slots"]
        if type(slots) is not list or not slots:
            raise _invalid(f"teams.slots 必须是非空数组，实际为 {_show(slots)}")
        self.slots: list[tuple[str, int]] = []
        for i, slot in enumerate(slots):
            where = f"teams.slots[{i}]"
            _check_keys(slot, ("department", "count"), (), where)
            dept = _check_text(slot["department"], f"{where}.department")
            count = slot["count"]
            if not _is_int(count) or count < 1:
                raise _invalid(f"{where}.count 必须是不小于 1 的整数，实际为 {_show(count)}")
            self.slots.append((dept, count))
        cap = teams["cap"]
        if not _is_int(cap) or cap < 1:
            raise _invalid(f"teams.cap 必须是不小于 1 的整数，实际为 {_show(cap)}")
        self.cap: int = cap
        exclusions = teams["exclusions"]
        if type(exclusions) is not list:
            raise _invalid(f"teams.exclusions 必须是数组，实际为 {_show(exclusions)}")
        pairs: set[tuple[str, str]] = set()
        for i, item in enumerate(exclusions):
            where = f"teams.exclusions[{i}]"
            if type(item) is not list or len(item) != 2:
                raise _invalid(f"{where} 必须是 [机构标签, 检查人员编号] 两项数组，实际为 {_show(item)}")
            unit = normalise_label(item[0], where)
            ident = normalise_label(item[1], where)
            if not has_unit(unit):
                raise _invalid(f"{where} 的机构 {unit} 不在 units 中")
            if ident not in self.department:
                raise _invalid(f"{where} 的检查人员 {ident} 不在 teams.inspectors 中")
            pairs.add((unit, ident))
        self.exclusions = pairs
        self.params: dict[str, Any] = {
            "slots": slots,
            "cap": cap,
            "inspectors_digest": H(canon(sorted([k, v] for k, v in self.department.items()))),
            "exclusions_digest": H(canon(sorted([u, i] for u, i in pairs))),
        }


class _Prepared:
    """Everything fixed at commit time: validated parameters, digests and sample sizes.

    Units are kept in input order: ``labels[i]`` (normalised) and ``hs[i]`` (stratum);
    ``groups[h]`` lists the input indices of stratum h in input order.
    """

    def __init__(self, data: Mapping[str, Any]) -> None:
        draw_id = _check_text(data["draw_id"], "draw_id")
        commit = _check_hex64(data["commit"], "commit")
        sources = data["randomness_sources"]
        if type(sources) is not list or not sources:
            raise _invalid(f"randomness_sources 必须是非空的字符串数组，实际为 {_show(sources)}")
        for i, source in enumerate(sources):
            _check_text(source, f"randomness_sources[{i}]")
        self.strata = _check_strata(data["strata"])
        labels, hs = _check_units(data["units"], self.strata)
        self.labels, self.hs = labels, hs
        count = len(labels)
        by_label = sorted(range(count), key=labels.__getitem__)

        # snapshot_digest = H(canon(units_sorted)), hashed in chunks of label order; each chunk is
        # also checked for duplicate labels while its strings are in cache. Labels need no escaping,
        # and each stratum id's canonical text is prepared once with the separator that follows it.
        after = {h: '",' + _encode_str(h) + '],["' for h in self.strata}
        digest = hashlib.sha256(b'[["' if count else b"[")
        step = 1 << 15
        previous = None
        for start in range(0, count, step):
            indices = by_label[start:start + step]
            chunk = list(map(labels.__getitem__, indices))
            if chunk[0] == previous or any(map(operator.eq, chunk, islice(chunk, 1, None))):
                _units_slow(data["units"], self.strata)  # raises the precise duplicate error
            previous = chunk[-1]
            parts = [""] * (2 * len(chunk))
            parts[0::2] = chunk
            parts[1::2] = map(after.__getitem__, map(hs.__getitem__, indices))
            if start + step >= count:
                parts[-1] = parts[-1][:-4] + "]]"  # the last unit closes the list instead
            digest.update("".join(parts).encode("utf-8"))
        if not count:
            digest.update(b"]")
        self.snapshot_digest = digest.hexdigest()
        del by_label
        self._index: dict[str, int] | None = None

        teams = data["teams"]
        self.teams = None if teams is None else _Teams(teams, self.has_unit)
        self.groups: dict[str, list[int]] = {h: [] for h in self.strata}
        appenders = {h: g.append for h, g in self.groups.items()}
        for i, h in enumerate(hs):
            appenders[h](i)
        self.sizes: dict[str, int] = {
            h: sample_size(len(self.groups[h]), p, q, rnd, lo, hi)
            for h, (p, q, rnd, lo, hi) in self.strata.items()
        }
        self.params: dict[str, Any] = {
            "algorithm": ALGORITHM,
            "draw_id": draw_id,
            "snapshot_digest": self.snapshot_digest,
            "strata": data["strata"],
            "commit": commit,
            "randomness_sources": sources,
            "teams": None if self.teams is None else self.teams.params,
        }
        self.params_digest = H(canon(self.params))
        self.draw_id = draw_id
        self.commit = commit
        self.sources = sources

    def index(self, label: str) -> int:
        """Input index of a normalised label, or -1 (the map is built on first use)."""
        if self._index is None:
            self._index = {lab: i for i, lab in enumerate(self.labels)}
        return self._index.get(label, -1)

    def has_unit(self, label: str) -> bool:
        return self.index(label) >= 0


def commitment(data: Mapping[str, Any]) -> dict[str, Any]:
    """What is published at commit time, before the public randomness exists.

    ``data`` holds the six commit-time keys (draw_id, units, strata, commit, randomness_sources,
    teams); ``secret``, ``public_randomness`` and ``events`` may be present but are neither needed
    nor validated. Returns {"algorithm", "draw_id", "snapshot_digest", "params_digest", "commit",
    "randomness_sources", "strata": {h: {"population": N, "sample_size": n}}}.
    Raises DrawError("invalid_input").
    """
    with _gc_paused():
        _check_keys(data, COMMIT_KEYS, REVEAL_KEYS, "输入")
        prep = _Prepared(data)
        return {
            "algorithm": ALGORITHM,
            "draw_id": prep.draw_id,
            "snapshot_digest": prep.snapshot_digest,
            "params_digest": prep.params_digest,
            "commit": prep.commit,
            "randomness_sources": prep.sources,
            "strata": {
                h: {"population": len(prep.groups[h]), "sample_size": prep.sizes[h]} for h in prep.strata
            },
        }


# --------------------------------------------------------------------------------------------
# Teams


class _Staffer:
    """Team assignment state: load, picks, exclusions and per-department load buckets.

    For department d, ``perm[d]`` is perm_d; ``buckets[d][L]`` holds the perm_d positions (sorted)
    of d's inspectors whose load is L. A pick looks at the lowest load level below cap, removes the
    (few) team members and excluded inspectors from it, and indexes r mod len(E) into the rest,
    which is exactly E of the spec in perm_d order, without scanning all inspectors.
    """

    def __init__(self, teams: _Teams, tseed: bytes) -> None:
        self.teams = teams
        self.cap = teams.cap
        self.dept = teams.department
        self.exclusions: dict[str, set[str]] = {}
        for unit, ident in teams.exclusions:
            self.exclusions.setdefault(unit, set()).add(ident)
        insp_hash = _hmac_fn(tseed, b"insp\n")
        self.pick_hash = _hmac_fn(tseed, b"pick\n")
        members: dict[str, list[str]] = {}
        for ident, d in self.dept.items():
            members.setdefault(d, []).append(ident)
        self.perm: dict[str, list[str]] = {}
        self.pos: dict[str, int] = {}
        self.buckets: dict[str, dict[int, list[int]]] = {}
        for d, _count in teams.slots:
            if d in self.perm:
                continue
            ids = members.get(d, [])
            perm = [ident for _h, ident in sorted((insp_hash(ident.encode()), ident) for ident in ids)]
            self.perm[d] = perm
            for k, ident in enumerate(perm):
                self.pos[ident] = k
            self.buckets[d] = {0: list(range(len(perm)))} if perm else {}
        self.load: dict[str, int] = dict.fromkeys(self.dept, 0)
        self.picks: dict[str, int] = {}

    def _move(self, ident: str, delta: int) -> None:
        levels = self.buckets[self.dept[ident]]
        level = self.load[ident]
        position = self.pos[ident]
        bucket = levels[level]
        del bucket[bisect_left(bucket, position)]
        if not bucket:
            del levels[level]
        self.load[ident] = level + delta
        target = levels.get(level + delta)
        if target is None:
            levels[level + delta] = [position]
        else:
            insort(target, position)

    def release(self, ident: str) -> None:
        """load[ident] -= 1."""
        self._move(ident, -1)

    def pick(self, t: str, d: str, team: list[str]) -> str:
        """The spec's pick(t, d, team); raises DrawError("unstaffable")."""
        j = self.picks.get(t, 0)
        self.picks[t] = j + 1
        levels = self.buckets.get(d, {})
        blocked = set(team)
        excluded = self.exclusions.get(t)
        if excluded:
            blocked |= excluded
        dept, load, pos = self.dept, self.load, self.pos
        blocked_at = [(load[x], pos[x]) for x in blocked if dept[x] == d]
        for level in sorted(levels):
            if level >= self.cap:
                break
            bucket = levels[level]
            removed = sorted(bisect_left(bucket, p) for lv, p in blocked_at if lv == level)
            size = len(bucket) - len(removed)
            if size <= 0:
                continue
            r = int.from_bytes(self.pick_hash(t.encode() + b"\n" + str(j).encode()), "big")
            k = r % size
            for idx in removed:
                if idx <= k:
                    k += 1
                else:
                    break
            choice = self.perm[d][bucket[k]]
            self._move(choice, 1)
            return choice
        raise DrawError(
            "unstaffable",
            f"无法为检查对象 {t} 配齐“{d}”的检查人员：该部门没有符合条件的人员"
            f"（均已在本组、需要回避或已达到每人上限 cap={self.cap}）",
            {"unit": t, "department": d},
        )

    def staff(self, t: str) -> list[str]:
        """The spec's staff(t)."""
        team: list[str] = []
        for d, count in self.teams.slots:
            for _ in range(count):
                team.append(self.pick(t, d, team))
        return team


# --------------------------------------------------------------------------------------------
# Events


def _check_events(events: Any, has_teams: bool) -> list[tuple[str, str, str | None]]:
    """Static checks of events; returns (type, unit, inspector or None) in listed order."""
    if type(events) is not list:
        raise _invalid(f"events 必须是数组，实际为 {_show(events)}")
    out: list[tuple[str, str, str | None]] = []
    for i, ev in enumerate(events):
        where = f"events[{i}]"
        if type(ev) is not dict:
            raise _invalid(f"{where} 必须是 JSON 对象，实际为 {_show(ev)}")
        kind = ev.get("type")
        if kind == "replace_inspector" and type(kind) is str:
            if not has_teams:
                raise _invalid(f"{where}：本次抽取没有检查组（teams 为 null），只允许 replace_unit 事件")
            _check_keys(ev, ("type", "unit", "inspector", "reason"), ("at",), where)
        elif kind == "replace_unit" and type(kind) is str:
            _check_keys(ev, ("type", "unit", "reason"), ("at",), where)
        else:
            raise _invalid(f"{where}.type 必须是 replace_unit 或 replace_inspector，实际为 {_show(kind)}")
        unit = normalise_label(ev["unit"], f"{where}.unit")
        inspector = None
        if kind == "replace_inspector":
            inspector = normalise_label(ev["inspector"], f"{where}.inspector")
        _check_text(ev["reason"], f"{where}.reason")
        if "at" in ev:
            _check_text(ev["at"], f"{where}.at")
        out.append((kind, unit, inspector))
    return out


# --------------------------------------------------------------------------------------------
# Computation


def _seed(params_digest: str, secret: str, randomness: str) -> bytes:
    """seed = HMAC(secret, "SC-DRAW-1\n" + params_digest + "\n" + normalised randomness)."""
    message = ("SC-DRAW-1\n" + params_digest + "\n" + randomness).encode("utf-8")
    return hmac.digest(bytes.fromhex(secret), message, "sha256")


def _unit_keys(seed: bytes, labels: list[str]) -> list[bytes]:
    """Sort keys rank(u) + label(u) for the given labels.

    The rank has a fixed 32 bytes, so byte order of the keys is exactly the order by
    (rank bytes, label) of the spec (labels are ASCII), ties included, with one comparison.
    """
    key = seed + b"\x00" * (64 - len(seed))  # HMAC-SHA256 (RFC 2104) inlined for speed, see _hmac_fn
    inner = hashlib.sha256(key.translate(_IPAD))
    inner.update(b"unit\n")
    inner_copy = inner.copy
    outer_copy = hashlib.sha256(key.translate(_OPAD)).copy
    keys: list[bytes] = []
    append = keys.append
    for label in labels:
        message = label.encode()
        i = inner_copy()
        i.update(message)
        o = outer_copy()
        o.update(i.digest())
        append(o.digest() + message)
    return keys


def _order_part(prep: _Prepared, seed: bytes, strata: list[str]) -> dict[str, tuple[list[str], list[bytes]]]:
    """For each stratum h: (its labels in rank order, the sort keys of its first sizes[h] units)."""
    labels = prep.labels
    out = {}
    for h in strata:
        keys = _unit_keys(seed, list(map(labels.__getitem__, prep.groups[h])))
        keys.sort()  # keys are unique: byte order is the order by (rank, label)
        out[h] = ([key[32:].decode() for key in keys], keys[: prep.sizes[h]])
    return out


def _order_strata(prep: _Prepared, seed: bytes, workers: int) -> dict[str, tuple[list[str], list[bytes]]]:
    """Rank-order every stratum: {h: (labels in rank order, sort keys of the selected)}.

    With workers > 1 on a POSIX system and a large input, a forked child process orders about
    half of the units (whole strata) while this process orders the rest; any failure of the
    child falls back to computing its part here. The result is identical either way.
    """
    names = list(prep.groups)
    mine: list[str] = names
    theirs: list[str] = []
    if workers > 1 and hasattr(os, "fork") and len(prep.labels) >= _PARALLEL_MIN_UNITS and len(names) > 1:
        mine, theirs = [], []
        load_mine = load_theirs = 0
        for h in sorted(names, key=lambda x: -len(prep.groups[x])):
            if load_mine <= load_theirs:
                mine.append(h)
                load_mine += len(prep.groups[h])
            else:
                theirs.append(h)
                load_theirs += len(prep.groups[h])
    if not theirs:
        return _order_part(prep, seed, mine)
    parts: dict[str, tuple[list[str], list[bytes]]] = {}

    def run_mine() -> None:
        parts.update(_order_part(prep, seed, mine))

    child = _in_child(lambda: pickle.dumps(_order_part(prep, seed, theirs), 4), run_mine)
    parts.update(child if child is not None else _order_part(prep, seed, theirs))
    return {h: parts[h] for h in names}


def _in_child(
    work: Callable[[], bytes], mine_first: Callable[[], None]
) -> dict[str, tuple[list[str], list[bytes]]] | None:
    """Run work() in a forked child while mine_first() runs here; None if the child failed."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        mine_first()
        return None
    if pid == 0:  # child: compute, send, and leave without running any cleanup of the parent
        status = 1
        try:
            os.close(read_fd)
            payload = work()
            view = memoryview(payload)
            while view:
                view = view[os.write(write_fd, view):]
            status = 0
        finally:
            os._exit(status)
    os.close(write_fd)
    try:
        mine_first()
    finally:
        chunks = []
        while True:
            chunk = os.read(read_fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        os.close(read_fd)
        _pid, status = os.waitpid(pid, 0)
    if status != 0:
        return None
    try:
        part: dict[str, tuple[list[str], list[bytes]]] = pickle.loads(b"".join(chunks))
        return part
    except Exception:  # a damaged payload: recompute here
        return None


def _draw(
    prep: _Prepared, seed: bytes, events: list[tuple[str, str, str | None]], workers: int = 1
) -> dict[str, Any]:
    """Selection, order, teams and events for a given seed; returns the ``result`` object."""
    ordered_groups = _order_strata(prep, seed, workers)
    strata_result: dict[str, Any] = {}
    reserves: dict[str, list[str]] = {}
    selected_keys: list[bytes] = []
    for h, (ordered, keys) in ordered_groups.items():
        n = prep.sizes[h]
        selected_keys += keys
        reserves[h] = ordered[n:]
        strata_result[h] = {
            "population": len(ordered),
            "sample_size": n,
            "selected": ordered[:n],
            "reserve": reserves[h],
        }
    selected_keys.sort()
    order = [key[32:].decode() for key in selected_keys]

    staffer = None
    teams: dict[str, list[str]] = {}
    if prep.teams is not None:
        staffer = _Staffer(prep.teams, hmac.digest(seed, b"teams", "sha256"))
        for t in order:
            teams[t] = staffer.staff(t)

    if events:
        current = set(order)
        next_reserve = dict.fromkeys(reserves, 0)
        for i, (kind, t, inspector) in enumerate(events):
            where = f"events[{i}]"
            if t not in current:
                raise _invalid(f"{where}：检查对象 {t} 当前不在检查名单中，不能替换", event=i)
            if kind == "replace_inspector":
                assert staffer is not None and inspector is not None
                team = teams[t]
                if inspector not in team:
                    raise _invalid(f"{where}：检查人员 {inspector} 不在检查对象 {t} 的检查组中", event=i)
                k = team.index(inspector)
                staffer.release(inspector)
                staffer.exclusions.setdefault(t, set()).add(inspector)
                rest = team[:k] + team[k + 1:]
                replacement = staffer.pick(t, staffer.dept[inspector], rest)
                teams[t] = rest[:k] + [replacement] + rest[k:]
            else:
                if staffer is not None:
                    for member in teams.pop(t):
                        staffer.release(member)
                order.remove(t)
                current.discard(t)
                h = prep.hs[prep.index(t)]
                k = next_reserve[h]
                if k >= len(reserves[h]):
                    raise DrawError(
                        "reserve_exhausted",
                        f"{where}：层 {_show(h)} 的候补名单已经用完，无法替换检查对象 {t}",
                        {"unit": t, "stratum": h, "event": i},
                    )
                next_reserve[h] = k + 1
                newcomer = reserves[h][k]
                order.append(newcomer)
                current.add(newcomer)
                if staffer is not None:
                    teams[newcomer] = staffer.staff(newcomer)

    return {
        "strata": strata_result,
        "order": order,
        "teams": None if staffer is None else {t: teams[t] for t in order},
    }


def compute(data: Mapping[str, Any], *, workers: int = 1) -> dict[str, Any]:
    """Compute the package of a draw input (SC-DRAW-1).

    Returns a new dict: the input object exactly as given (shallow copy, same nested objects) plus
    "algorithm", "snapshot_digest", "params_digest", "seed" and "result". Raises DrawError with
    code invalid_input, commit_mismatch, unstaffable or reserve_exhausted.

    ``workers=2`` lets a forked child process rank half of the strata of a large input (POSIX
    only; use it from single-threaded processes such as the CLI or a job worker). The package is
    identical for every value of ``workers``.
    """
    with _gc_paused():
        _check_keys(data, INPUT_KEYS, (), "输入")
        prep = _Prepared(data)
        secret = _check_hex64(data["secret"], "secret")
        randomness = normalise_text(data["public_randomness"], "public_randomness")
        events = _check_events(data["events"], prep.teams is not None)
        if H(bytes.fromhex(secret)) != prep.commit:
            raise DrawError(
                "commit_mismatch",
                f"secret 与 commit 不匹配：H(secret) = {H(bytes.fromhex(secret))}，commit = {prep.commit}",
                {"commit": prep.commit},
            )
        seed = _seed(prep.params_digest, secret, randomness)
        result = _draw(prep, seed, events, workers)
        package = dict(data)
        package["algorithm"] = ALGORITHM
        package["snapshot_digest"] = prep.snapshot_digest
        package["params_digest"] = prep.params_digest
        package["seed"] = seed.hex()
        package["result"] = result
        return package


# --------------------------------------------------------------------------------------------
# Verification


def _path_diff(path: str, expected: Any, actual: Any, out: list[str], limit: int) -> None:
    """Append human-readable differences between expected and actual (strict JSON types)."""
    if len(out) >= limit:
        return
    te, ta = type(expected), type(actual)
    if te is dict and ta is dict:
        for key in expected:
            if key not in actual:
                out.append(f"{path} 缺少键 {_show(key)}")
        for key in actual:
            if key not in expected:
                out.append(f"{path} 多了键 {_show(key)}")
        for key in expected:
            if key in actual:
                _path_diff(f"{path}[{_show(key)}]", expected[key], actual[key], out, limit)
        return
    if te is list and ta is list:
        if len(expected) != len(actual):
            out.append(f"{path} 的长度不一致：公布的为 {len(actual)}，重新计算得到 {len(expected)}")
        for i in range(len(expected) if len(expected) < len(actual) else len(actual)):
            if len(out) >= limit:
                return
            e, a = expected[i], actual[i]
            if type(e) is not type(a) or e != a:
                _path_diff(f"{path}[{i}]", e, a, out, limit)
        return
    if te is not ta or expected != actual:
        out.append(f"{path} 不一致：公布的为 {_show(actual, 70)}，重新计算得到 {_show(expected, 70)}")


def verify(package: Any, limit: int = 50) -> list[str]:
    """Recompute a published package; return differences in Chinese ([] means it verifies).

    Never raises: malformed packages, failing recomputations and missing or extra keys are all
    reported as differences (at most ``limit`` detailed lines plus a summary line).
    """
    try:
        return _verify(package, limit)
    except Exception as exc:  # a verifier must report, not crash
        return [f"校验时出错：{type(exc).__name__}: {exc}"]


def _verify(package: Any, limit: int) -> list[str]:
    if type(package) is not dict:
        return [f"结果包必须是 JSON 对象，实际为 {_show(package)}"]
    diffs: list[str] = []
    for key in PACKAGE_KEYS:
        if key not in package:
            diffs.append(f"结果包缺少键 {key}")
    algorithm = package.get("algorithm", ALGORITHM)
    if type(algorithm) is not str or algorithm != ALGORITHM:
        diffs.append(f"algorithm 必须是 {ALGORITHM}，实际为 {_show(package['algorithm'])}")
    data = {k: v for k, v in package.items() if k not in PACKAGE_KEYS}
    try:
        expected = compute(data)
    except DrawError as exc:
        diffs.append(f"无法重新计算（{exc.code}）：{exc.message}")
        return diffs
    details: list[str] = []
    for key in ("snapshot_digest", "params_digest", "seed", "result"):
        if key in package:
            _path_diff(key, expected[key], package[key], details, limit)
    diffs.extend(details[:limit])
    if len(details) >= limit:
        diffs.append(f"（只列出前 {limit} 处不一致）")
    return diffs


# --------------------------------------------------------------------------------------------
# JSON input/output


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise ValueError(f"JSON 对象中键 {_show(key)} 重复")
            seen.add(key)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"不允许 {name}")


def loads(text: str | bytes) -> Any:
    """Strict JSON parse (UTF-8, optional BOM): duplicate keys, NaN and Infinity are rejected.

    Raises DrawError("invalid_input") when the text is not such JSON.
    """
    with _gc_paused():
        try:
            if isinstance(text, bytes):
                text = text.decode("utf-8-sig")
            elif text.startswith("\ufeff"):
                text = text[1:]
            return json.loads(text, object_pairs_hook=_object_pairs, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise _invalid(f"不是合法的 JSON：{exc}") from None


class _Fallback(Exception):
    pass


_NEEDS_ESCAPE = re.compile(r'[\x00-\x1f"\\]')


_CHUNK = 1 << 15  # items per output piece: bounded temporary strings, output streamed piece by piece


def _dump_strings(items: list[str], sep: str, out: list[str]) -> None:
    """Append the items of a list of strings, JSON-encoded and joined by sep, to out."""
    try:
        joined = "".join(items)
        plain = not _NEEDS_ESCAPE.search(joined)
        del joined
    except TypeError:
        plain = False
    for start in range(0, len(items), _CHUNK):
        if start:
            out.append(sep)
        chunk = items[start:start + _CHUNK]
        if plain:
            out.append('"' + ('"' + sep + '"').join(chunk) + '"')
        else:
            out.append(sep.join(map(_encode_str, chunk)))


def _dump_pairs(items: list[list[Any]], level: int, sep: str, out: list[str]) -> None:
    """Append the items of a list of two-element lists (at indent ``level``), joined by sep, to out."""
    inner = "\n" + " " * (level + 1)
    close = "\n" + " " * level + "]"
    firsts = [item[0] for item in items]
    seconds = [item[1] for item in items]
    if set(map(type, firsts)) == {str} and set(map(type, seconds)) == {str} and \
            not _NEEDS_ESCAPE.search("".join(firsts)):
        # Output = '["' a0 T[b0] a1 T[b1] ... with T[b] = '",' inner enc(b) close sep '["' (last trimmed).
        tail = {b: '",' + inner + _encode_str(b) + close + sep + "[" + inner + '"' for b in set(seconds)}
        trim = len(sep) + len(inner) + 2
        out.append("[" + inner + '"')
        for start in range(0, len(items), _CHUNK):
            end = start + _CHUNK if start + _CHUNK < len(items) else len(items)
            parts = [""] * (2 * (end - start))
            parts[0::2] = firsts[start:end]
            parts[1::2] = map(tail.__getitem__, seconds[start:end])
            if end == len(items):
                parts[-1] = parts[-1][: len(parts[-1]) - trim]
            out.append("".join(parts))
        return
    for i, item in enumerate(items):
        if i:
            out.append(sep)
        _dump(item, level, out)


def _dump(obj: Any, level: int, out: list[str]) -> None:
    t = type(obj)
    if t is str:
        out.append(_encode_str(obj))
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif t is int:
        out.append(int.__repr__(obj))
    elif t is list:
        if not obj:
            out.append("[]")
            return
        pad = "\n" + " " * (level + 1)
        sep = "," + pad
        out.append("[" + pad)
        types = set(map(type, obj))
        if types == {str}:
            _dump_strings(obj, sep, out)
        elif types == {list} and set(map(len, obj)) == {2}:
            _dump_pairs(obj, level + 1, sep, out)
        else:
            for i, item in enumerate(obj):
                if i:
                    out.append(sep)
                _dump(item, level + 1, out)
        out.append("\n" + " " * level + "]")
    elif t is dict:
        if not obj:
            out.append("{}")
            return
        pad = "\n" + " " * (level + 1)
        out.append("{" + pad)
        first = True
        for key, value in obj.items():
            if type(key) is not str:
                raise _Fallback
            if not first:
                out.append("," + pad)
            first = False
            out.append(_encode_str(key) + ": ")
            _dump(value, level + 1, out)
        out.append("\n" + " " * level + "}")
    else:
        raise _Fallback


def dump_pieces(obj: Any) -> list[str]:
    """Pieces whose concatenation is exactly ``json.dumps(obj, ensure_ascii=False, indent=1)``."""
    with _gc_paused():
        out: list[str] = []
        try:
            _dump(obj, 0, out)
        except (_Fallback, RecursionError):
            return [json.dumps(obj, ensure_ascii=False, indent=1)]
        return out


def dumps(obj: Any) -> str:
    """Exactly ``json.dumps(obj, ensure_ascii=False, indent=1)``, several times faster for packages."""
    return "".join(dump_pieces(obj))


def write_json(obj: Any, stream: BinaryIO) -> None:
    """Write ``dumps(obj)`` and a newline to a binary stream as UTF-8, piece by piece."""
    pending: list[bytes] = []
    size = 0
    for piece in dump_pieces(obj):
        data = piece.encode("utf-8")
        pending.append(data)
        size += len(data)
        if size >= 1 << 20:
            stream.write(b"".join(pending))
            pending, size = [], 0
    pending.append(b"\n")
    stream.write(b"".join(pending))


# --------------------------------------------------------------------------------------------
# Command line

USAGE = """用法 / usage:
  python draw.py verify PACKAGE.json    校验结果包 / verify a published package (OK → exit 0, else 1)
  python draw.py compute INPUT.json     计算结果包 / compute the package (exit 0; error → exit 2)
  文件名为 - 时读取标准输入 / "-" reads standard input
"""


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read()
    with open(name, "rb") as handle:
        return handle.read()


def _say(stream: Any, text: str) -> None:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    data = (text + "\n").encode(encoding, "backslashreplace")
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:
        stream.write(data.decode(encoding))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (see the module docstring)."""
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 2 or args[0] not in ("compute", "verify"):
        _say(sys.stderr, USAGE)
        return 0 if args and args[0] in ("-h", "--help", "help") else 2
    command, name = args
    gc.disable()  # a one-shot process: the collector only costs time here
    try:
        raw = _read(name)
    except OSError as exc:
        raw = None
        read_error = f"无法读取文件 {name}：{exc}"
    if command == "verify":
        try:
            if raw is None:
                raise _invalid(read_error)
            package = loads(raw)
        except DrawError as exc:
            _say(sys.stdout, exc.message)
            return 1
        diffs = verify(package)
        _say(sys.stdout, "\n".join(diffs) if diffs else "OK")
        return 1 if diffs else 0
    try:
        if raw is None:
            raise _invalid(read_error)
        package = compute(loads(raw), workers=2)
    except DrawError as exc:
        _say(sys.stderr, f"错误 {exc.code}: {exc.message}")
        line: dict[str, Any] = {"error": exc.code}
        line.update(exc.details)
        _say(sys.stdout, json.dumps(line, ensure_ascii=False))
        return 2
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is not None:
        write_json(package, buffer)
        buffer.flush()
    else:
        sys.stdout.write(dumps(package) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
