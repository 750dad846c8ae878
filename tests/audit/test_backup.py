"""``spotcheck backup`` → ``spotcheck restore`` → ``audit verify`` on the active database (SQLite or PostgreSQL).

The source is the test database itself (committed data: ``transaction=True``). The restore goes into a
separate, empty installation — a fresh SQLite file or a scratch PostgreSQL database, with its own media
directory — by running the ``spotcheck`` command in a subprocess with that ``DATABASE_URL``.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from spotcheck.accounts.models import Role
from spotcheck.audit.actions import record
from spotcheck.audit.baseline import record_baseline
from spotcheck.audit.models import AuditEvent
from spotcheck.core.codes import make_fixmedins_code, make_uscc
from spotcheck.directory import actions
from spotcheck.directory.models import Institution, InstitutionCategory
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

EVIDENCE = bytes(range(256)) * 40 + "现场检查照片".encode()


@pytest.fixture
def source():
    """Audited data made through the product's actions, plus an uploaded file; verify passes on it."""
    # Rows the test harness re-loads after a flush (regions, catalogues) carry no events: give them the
    # same baseline a migrated installation has, so the source itself verifies.
    record_baseline(apps)
    admin = f.user("t-backup-admin", Role.ADMIN, "", is_superuser=True)
    record(None, "accounts.user.create", admin, reason="测试管理员")
    names = {}
    for n in (901, 902):
        inst = actions.create(admin, Institution, {
            "fixmedins_code": make_fixmedins_code("H", f.YANGCHENG, n), "name": f"备份测试医院{n}",
            "uscc": make_uscc(f.YANGCHENG, n), "kind": "H", "category": InstitutionCategory.HOSPITAL,
            "region_id": f.YANGCHENG,
        }, reason="备份测试")
        names[inst.fixmedins_code] = inst.name
    media_name = default_storage.save(f"evidence/backup-{uuid.uuid4().hex[:8]}/照片.jpg", ContentFile(EVIDENCE))
    call_command("audit", "verify")
    yield {"names": names, "media": media_name}
    default_storage.delete(media_name)


@pytest.fixture
def target(tmp_path):
    """An empty installation: ``env`` for the ``spotcheck`` subprocess and ``query(sql)`` on its database."""
    env = {k: v for k, v in os.environ.items() if k != "SPOTCHECK_AUDIT_SIGNING_KEY"}
    env.update(
        DJANGO_SETTINGS_MODULE="spotcheck.settings.dev",
        SPOTCHECK_VAR_DIR=str(tmp_path / "target-var"),
        # the operator restores the private key from its own backup: same key as the source
        SPOTCHECK_AUDIT_SIGNING_KEY_FILE=str(settings.SPOTCHECK_AUDIT_SIGNING_KEY_FILE),
    )
    if connection.vendor == "sqlite":
        db_file = tmp_path / "restored.sqlite3"
        env["DATABASE_URL"] = f"sqlite:///{db_file}"

        def query(sql: str) -> list[tuple]:
            with sqlite3.connect(db_file) as con:
                return con.execute(sql).fetchall()

        yield {"env": env, "media": tmp_path / "target-var" / "media", "query": query}
        return

    import psycopg

    sd = connection.settings_dict
    server = {"host": sd["HOST"] or None, "port": sd["PORT"] or None, "user": sd["USER"] or None,
              "password": sd["PASSWORD"] or None}
    name = f"spotcheck_restore_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as con:
        con.execute(f'CREATE DATABASE "{name}"')
    env["DATABASE_URL"] = urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()

    def query(sql: str) -> list[tuple]:
        with psycopg.connect(dbname=name, **server) as con:
            return con.execute(sql).fetchall()

    try:
        yield {"env": env, "media": tmp_path / "target-var" / "media", "query": query}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def spotcheck(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spotcheck.cli", *args], env=env, cwd=settings.BASE_DIR,
                          capture_output=True, text=True, timeout=120)


def test_backup_restore_round_trip_and_refusals(source, target, tmp_path):
    backup = tmp_path / "backup"
    call_command("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["audit_head"]["seq"] == AuditEvent.objects.count()
    assert f"media/{source['media']}" in manifest["files"]
    assert manifest["migrations"]["audit"]  # latest applied migration per app
    assert not any("PRIVATE" in p.read_text(errors="replace") for p in backup.glob("*.pem"))

    proc = spotcheck(target["env"], "restore", str(backup))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "审计校验通过" in proc.stdout

    q = target["query"]
    restored = dict(q("SELECT fixmedins_code, name FROM directory_institution"))
    assert {code: restored.get(code) for code in source["names"]} == source["names"]
    assert q("SELECT COUNT(*) FROM audit_auditevent")[0][0] == manifest["audit_head"]["seq"]
    assert q("SELECT last_hash FROM audit_chainhead")[0][0] == manifest["audit_head"]["hash"]
    assert (target["media"] / source["media"]).read_bytes() == EVIDENCE

    # (in the same test: a transactional test's flush costs seconds on PostgreSQL)
    _refusals(backup, source, tmp_path)


def _refusals(backup, source, tmp_path):
    """A used backup directory, a tampered or incomplete backup and a non-empty installation are refused."""
    with pytest.raises(CommandError, match="不是空的"):
        call_command("backup", str(backup))

    tampered = tmp_path / "tampered"
    shutil.copytree(backup, tampered)
    evidence = tampered / "media" / source["media"]
    evidence.write_bytes(EVIDENCE[:-1] + b"!")
    with pytest.raises(CommandError, match=f"备份文件 media/{source['media']} 与清单记录的 SHA-256"):
        call_command("restore", str(tampered))

    evidence.write_bytes(EVIDENCE)
    (tampered / "media" / "extra.txt").write_text("后来放进去的文件")
    with pytest.raises(CommandError, match="清单未记录的文件 media/extra.txt"):
        call_command("restore", str(tampered))

    (tampered / "media" / "extra.txt").unlink()
    db_file = json.loads((tampered / "manifest.json").read_text(encoding="utf-8"))["database"]["file"]
    (tampered / db_file).unlink()
    with pytest.raises(CommandError, match=f"缺少文件 {db_file}"):
        call_command("restore", str(tampered))

    # an intact backup into this (non-empty) installation: refused before anything is written
    with pytest.raises(CommandError, match="目标安装不是空的：数据库中已有 .* 条审计事件、2 家定点医药机构"):
        call_command("restore", str(backup))
    assert Institution.objects.filter(fixmedins_code__in=source["names"]).count() == 2
