"""Backups whose completeness can be proven: ``spotcheck backup DIR`` and ``spotcheck restore DIR``.

A backup directory holds:

- ``database.sqlite3`` (SQLite's online backup API: one read transaction, so one consistent state) or
  ``database.pgdump`` (``pg_dump --format=custom``, run on a snapshot exported by this process, so the
  manifest's chain head and migrations are read from exactly the state that was dumped);
- ``media/``: a copy of ``MEDIA_ROOT``, taken *after* the database, so every file a row refers to is in it
  (uploaded files are append-only; a file written meanwhile is merely extra);
- ``audit-signing-public.pem``: the public key of the audit checkpoints when one is configured (never the
  private key: back that up separately, see docs/deploy.md);
- ``manifest.json``: format version, time, database vendor, latest applied migration per app, the audit
  chain head (sequence number and hash) and the SHA-256 and size of every other file. Written last: a
  directory without it is an unfinished backup.

The manifest proves that a backup is complete and unchanged since it was written (against lost or damaged
files, not against someone able to rewrite the manifest as well). That the restored data is what the audit
chain says it is, is proven by ``spotcheck audit verify``, which :func:`restore_backup`'s command runs.

``restore`` refuses before writing anything: a damaged or incomplete backup (naming the file), a backup of
another database vendor or of a newer program version, and a target installation that is not empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from .models import GENESIS, AuditEvent, ChainHead

FORMAT = "spotcheck-backup"
VERSION = 1
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
MEDIA_DIR = "media"
PUBLIC_KEY_FILE = "audit-signing-public.pem"

VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
_PG_INSTALL = (
    "未找到 {tool}：请在本机安装与数据库服务器主版本相同的 PostgreSQL 客户端工具后重试，"
    "例如 Debian/Ubuntu 执行 `apt-get install postgresql-client`（或 postgresql-client-15 等对应版本），"
    "CentOS/麒麟执行 `dnf install postgresql`。"
)

Query = Callable[[str], list[tuple[Any, ...]]]


class BackupError(Exception):
    """A refusal or failure, with a message for the operator (Chinese)."""


@dataclass
class BackupResult:
    directory: Path
    manifest: dict[str, Any]
    notes: list[str] = field(default_factory=list)


@dataclass
class RestoreResult:
    manifest: dict[str, Any]
    media_files: int
    migrations_applied: int
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------- backup


def create_backup(directory: Path | str) -> BackupResult:
    """Back up the configured database, ``MEDIA_ROOT`` and the checkpoint public key into ``directory``.

    ``directory`` must not exist or be empty. On failure what was written is removed again (no manifest is
    ever left next to a partial backup) and :class:`BackupError` is raised.
    """
    directory = Path(directory)
    if directory.exists():
        if not directory.is_dir():
            raise BackupError(f"{directory} 已存在且不是目录")
        if any(directory.iterdir()):
            raise BackupError(f"备份目录 {directory} 不是空的：每次备份请用一个新目录（例如目录名带日期）")
    created = not directory.exists()
    directory.mkdir(parents=True, exist_ok=True)
    try:
        return _write_backup(directory)
    except BaseException:
        if created:
            shutil.rmtree(directory, ignore_errors=True)
        else:
            for child in directory.iterdir():
                shutil.rmtree(child, ignore_errors=True) if child.is_dir() else child.unlink(missing_ok=True)
        raise


def _write_backup(directory: Path) -> BackupResult:
    vendor = connection.vendor
    if vendor == "sqlite":
        db_file = SQLITE_FILE
        state = _dump_sqlite(directory / db_file)
    elif vendor == "postgresql":
        db_file = PG_FILE
        state = _dump_postgresql(directory / db_file)
    else:
        raise BackupError(f"不支持备份 {vendor} 数据库（只支持 SQLite 和 PostgreSQL）")
    media_root = Path(settings.MEDIA_ROOT)
    if media_root.is_dir():
        shutil.copytree(media_root, directory / MEDIA_DIR)
    else:
        (directory / MEDIA_DIR).mkdir()
    notes: list[str] = []
    key = _public_key(notes)
    if key is not None:
        (directory / PUBLIC_KEY_FILE).write_bytes(key)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.localtime().isoformat(timespec="seconds"),
        "database": {"vendor": vendor, "file": db_file},
        "migrations": state["migrations"],
        "audit_head": state["audit_head"],
        "public_key": PUBLIC_KEY_FILE if key is not None else None,
        "files": {rel: _describe(directory / rel) for rel in _files(directory)},
    }
    tmp = directory / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(directory / MANIFEST)
    return BackupResult(directory, manifest, notes)


def _dump_sqlite(target: Path) -> dict[str, Any]:
    name = str(connection.settings_dict["NAME"])
    if name.startswith("file:"):  # a URI (the test runner's shared in-memory database)
        uri = name
    else:
        path = Path(name)
        if name == ":memory:" or not path.is_file():
            raise BackupError(f"找不到数据库文件 {name}")
        uri = path.resolve().as_uri() + "?mode=ro"
    src = sqlite3.connect(uri, uri=True, timeout=20)
    dst = sqlite3.connect(target)
    try:
        # One step (pages=-1): all pages are copied inside one read transaction of the source, so writers
        # that commit meanwhile are not in the copy and the copy is one consistent state.
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal/-shm beside it
        return _state(lambda sql: dst.execute(sql).fetchall())
    finally:
        dst.close()
        src.close()


def _dump_postgresql(target: Path) -> dict[str, Any]:
    exe = _tool("pg_dump")
    if connection.in_atomic_block:
        raise BackupError("不能在事务中备份 PostgreSQL 数据库")
    # Export this transaction's snapshot and let pg_dump use it: the chain head and migrations read here
    # are those of the dumped state. The transaction must stay open until pg_dump has finished.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]

        def query(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            return cursor.fetchall()

        state = _state(query)
        args, env = _pg_connection_args()
        _run([exe, "--format=custom", f"--snapshot={snapshot}", f"--file={target}", *args], env, "pg_dump")
    return state


def _state(query: Query) -> dict[str, Any]:
    """Latest applied migration per app and the audit chain head, read with ``query``."""
    latest: dict[str, str] = {}
    for app, name in query("SELECT app, name FROM django_migrations"):
        if name > latest.get(app, ""):
            latest[app] = name
    head_rows = query(f"SELECT last_seq, last_hash FROM {ChainHead._meta.db_table} ORDER BY id LIMIT 1")
    seq, hsh = head_rows[0] if head_rows else (0, GENESIS)
    return {"migrations": dict(sorted(latest.items())), "audit_head": {"seq": int(seq), "hash": hsh}}


def _public_key(notes: list[str]) -> bytes | None:
    """The PEM of the checkpoint public key, or None with a note saying why not."""
    try:
        from spotcheck.audit.checkpoints import public_key_pem  # noqa: PLC0415 (optional module)
    except ImportError:
        notes.append("未备份签名公钥：本版本没有审计检查点功能")
        return None
    try:
        pem = public_key_pem()
    except Exception as exc:  # noqa: BLE001 - no key configured, unreadable file …: note it, back up the rest
        notes.append(f"未备份签名公钥：{exc}")
        return None
    if not pem:
        notes.append("未备份签名公钥：未配置检查点签名密钥")
        return None
    data = pem.encode("ascii") if isinstance(pem, str) else bytes(pem)
    if b"PRIVATE" in data:  # never let a private key into a backup, whatever the function returned
        raise BackupError("检查点公钥函数返回了私钥：拒绝写入备份")
    return data


# -------------------------------------------------------------------------------------------- restore


def check_backup(directory: Path | str) -> dict[str, Any]:
    """The manifest of ``directory`` once every file in it has been checked; raises :class:`BackupError`
    naming the first missing, changed or unlisted file."""
    directory = Path(directory)
    if not directory.is_dir():
        raise BackupError(f"找不到备份目录 {directory}")
    path = directory / MANIFEST
    if not path.is_file():
        raise BackupError(f"{directory} 中没有 {MANIFEST}：不是备份目录，或备份没有完成")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        db_file = manifest["database"]["file"]
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{MANIFEST} 无法读取，备份已损坏（{exc}）") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError(f"{MANIFEST} 不是本程序能识别的备份格式（版本 {manifest.get('version')}）")
    if db_file not in files:
        raise BackupError(f"备份不完整：清单中没有数据库文件 {db_file}")
    for rel, meta in files.items():
        file = _inside(directory, rel)
        if not file.is_file():
            raise BackupError(f"备份不完整：缺少文件 {rel}，拒绝恢复")
        if _describe(file) != {"sha256": meta.get("sha256"), "size": meta.get("size")}:
            raise BackupError(f"备份文件 {rel} 与清单记录的 SHA-256 校验值不符（已被改动或损坏），拒绝恢复")
    extra = [rel for rel in _files(directory) if rel not in files]
    if extra:
        raise BackupError(f"备份目录中有清单未记录的文件 {extra[0]}（共 {len(extra)} 个），拒绝恢复")
    return manifest


def restore_backup(directory: Path | str) -> RestoreResult:
    """Restore ``directory`` into the configured installation, which must be empty.

    Checks everything first (files, vendor, program version, empty database and ``MEDIA_ROOT``), then
    writes the database and the uploaded files, checks that the restored chain head is the manifest's and
    applies migrations newer than the backup. Does not run ``audit verify``: the command does.
    """
    directory = Path(directory)
    manifest = check_backup(directory)
    vendor = connection.vendor
    backup_vendor = manifest["database"]["vendor"]
    if backup_vendor != vendor:
        raise BackupError(
            f"备份来自 {VENDOR_NAMES.get(backup_vendor, backup_vendor)} 数据库，当前配置的是 "
            f"{VENDOR_NAMES.get(vendor, vendor)}：只能恢复到同一种数据库"
        )
    _require_known_migrations(manifest["migrations"])
    if vendor == "sqlite" and not str(connection.settings_dict["NAME"]).startswith(("file:", ":memory:")):
        Path(connection.settings_dict["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    try:
        _require_empty_installation()
    except DatabaseError as exc:
        raise BackupError(f"无法读取目标数据库（请检查 DATABASE_URL 和数据库是否已创建）：{exc}") from exc
    db_file = directory / manifest["database"]["file"]
    if vendor == "sqlite":
        _restore_sqlite(db_file)
    else:
        _restore_postgresql(db_file)
    media_src = directory / MEDIA_DIR
    media_files = 0
    if media_src.is_dir():
        shutil.copytree(media_src, Path(settings.MEDIA_ROOT), dirs_exist_ok=True)
        media_files = sum(1 for _ in _walk(media_src))
    with connection.cursor() as cursor:

        def query(sql: str) -> list[tuple[Any, ...]]:
            cursor.execute(sql)
            return cursor.fetchall()

        head = _state(query)["audit_head"]
    if head != manifest["audit_head"]:
        raise BackupError(
            f"恢复后的审计链头（第 {head['seq']} 号事件）与备份清单记录的（第 {manifest['audit_head']['seq']} "
            "号事件）不同：数据库文件与清单不是同一次备份"
        )
    applied = _migrate_if_needed()  # after the head check: a migration may append events
    notes = []
    if manifest.get("public_key"):
        notes.extend(_compare_public_key((directory / manifest["public_key"]).read_bytes()))
    return RestoreResult(manifest, media_files, applied, notes)


def _require_known_migrations(backup: dict[str, str]) -> None:
    from django.db.migrations.loader import MigrationLoader  # noqa: PLC0415

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in backup.items() if (app, name) not in known]
    if unknown:
        raise BackupError(
            f"备份来自更新的程序版本（本程序没有数据库迁移 {unknown[0]}）：请先把程序升级到不低于备份时的版本再恢复"
        )


def _require_empty_installation() -> None:
    institution = apps.get_model("directory", "Institution")
    tables = set(connection.introspection.table_names())
    found = []
    for model, unit in ((AuditEvent, "条审计事件"), (institution, "家定点医药机构")):
        table = model._meta.db_table
        if table in tables:
            # a freshly migrated installation holds only the migrations' baseline events: still empty
            where = " WHERE action <> 'audit.baseline'" if model is AuditEvent else ""
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}{where}")
                count = cursor.fetchone()[0]
            if count:
                found.append(f"{count} {unit}")
    if found:
        raise BackupError(
            f"目标安装不是空的：数据库中已有 {'、'.join(found)}。恢复只写入全新的空安装，不覆盖、不合并现有数据："
            "请新建一个空数据库（SQLite 用新的文件路径，PostgreSQL 新建数据库；可以先执行 spotcheck migrate，"
            "也可以不执行，恢复会带来完整的表结构），让 DATABASE_URL 指向它后再恢复"
        )
    media_root = Path(settings.MEDIA_ROOT)
    first = next(_walk(media_root), None) if media_root.is_dir() else None
    if first is not None:
        raise BackupError(
            f"目标安装不是空的：上传文件目录 {media_root} 中已有文件（例如 {first}）。请换一个空的上传文件目录再恢复"
        )


def _restore_sqlite(backup_file: Path) -> None:
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise BackupError("只能恢复到磁盘上的 SQLite 数据库文件（DATABASE_URL=sqlite:///路径）")
    target = Path(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    connections.close_all()
    # The backup API writes the target in one write transaction through SQLite itself: safe with a WAL file
    # beside the target and with other processes that have it open, unlike copying over the file.
    src = sqlite3.connect(backup_file.resolve().as_uri() + "?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=20)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _restore_postgresql(dump: Path) -> None:
    exe = _tool("pg_restore")
    connections.close_all()
    args, env = _pg_connection_args()
    # --clean --if-exists: the target may already hold the (empty) tables of a `spotcheck migrate`;
    # --single-transaction --exit-on-error: all or nothing.
    _run(
        [
            exe,
            "--no-owner",
            "--no-acl",
            "--clean",
            "--if-exists",
            "--single-transaction",
            "--exit-on-error",
            *args,
            str(dump),
        ],
        env,
        "pg_restore",
    )


def _migrate_if_needed() -> int:
    from django.db.migrations.executor import MigrationExecutor  # noqa: PLC0415

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        call_command("migrate", interactive=False, verbosity=0)
    return len(plan)


def _compare_public_key(backed_up: bytes) -> list[str]:
    try:
        from spotcheck.audit.checkpoints import public_key_pem  # noqa: PLC0415

        current = public_key_pem()
    except Exception:  # noqa: BLE001 - no checkpoint module or key here
        return ["本机未配置检查点签名密钥：请从单独保存的密钥备份中恢复私钥（见 docs/deploy.md）"]
    current_bytes = current.encode("ascii") if isinstance(current, str) else bytes(current or b"")
    if current_bytes.strip() != backed_up.strip():
        return ["本机配置的检查点签名密钥与备份时的公钥不同：新的检查点将用另一把密钥签名"]
    return []


# ------------------------------------------------------------------------------------------- helpers


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if not exe:
        raise BackupError(_PG_INSTALL.format(tool=name))
    return exe


def _pg_connection_args() -> tuple[list[str], dict[str, str]]:
    """Command-line arguments and environment for pg_dump / pg_restore from the configured database."""
    sd = connection.settings_dict
    args = ["--no-password"]
    if sd.get("HOST"):
        args.append(f"--host={sd['HOST']}")
    if sd.get("PORT"):
        args.append(f"--port={sd['PORT']}")
    if sd.get("USER"):
        args.append(f"--username={sd['USER']}")
    args.append(f"--dbname={sd['NAME']}")
    env = dict(os.environ)
    if sd.get("PASSWORD"):
        env["PGPASSWORD"] = str(sd["PASSWORD"])
    for key in ("sslmode", "sslrootcert", "sslcert", "sslkey"):
        if (sd.get("OPTIONS") or {}).get(key):
            env["PG" + key.upper()] = str(sd["OPTIONS"][key])
    return args, env


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(
            f"{what} 失败（退出码 {proc.returncode}）：{proc.stderr.strip() or proc.stdout.strip()}"
        )


def _walk(root: Path) -> Iterator[Path]:
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            yield Path(dirpath, name)


def _files(directory: Path) -> list[str]:
    """Every file under ``directory`` except the manifest, as sorted POSIX paths relative to it."""
    rels = (p.relative_to(directory).as_posix() for p in _walk(directory))
    return sorted(r for r in rels if r not in (MANIFEST, MANIFEST + ".tmp"))


def _describe(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "size": path.stat().st_size}


def _inside(directory: Path, rel: str) -> Path:
    """``directory / rel``, refusing a manifest path that leaves the backup directory."""
    parts = PurePosixPath(rel).parts
    if not parts or PurePosixPath(rel).is_absolute() or ".." in parts:
        raise BackupError(f"{MANIFEST} 中的文件路径 {rel} 无效，拒绝恢复")
    return directory.joinpath(*parts)
