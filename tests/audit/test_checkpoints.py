"""Signed audit checkpoints (``audit.checkpoints``): signing, the insider's truncated or rewritten chain,
forged checkpoints, the portal's list after a publication, the CLI verbs and exit codes."""

from __future__ import annotations

import base64
import functools
import http.server
import json
import logging
import os
import stat
import threading
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from spotcheck.audit import checkpoints as cps
from spotcheck.audit.actions import record, verify_chain
from spotcheck.audit.models import AuditEvent, ChainHead, Checkpoint, CheckpointImmutable
from spotcheck.portal import actions as portal_actions
from spotcheck.portal.models import Publication
from tests import factories as f

pytestmark = pytest.mark.django_db


def _events(n: int) -> int:
    """``n`` events that touch no tracked table (so the data check of ``audit verify`` stays clean); returns
    the last sequence number (the data migrations have written events before)."""
    f.audit_baseline()
    for i in range(n):
        last = record("system", "test.note", object_type="test.thing", object_id=str(i), reason=f"第 {i} 条")
    return last.seq


def _save(tmp_path: Path, data: object, name: str = "checkpoint.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _drop_newest(keep: int) -> None:
    """The insider: delete the events after ``keep`` and point ChainHead at the last kept one."""
    AuditEvent.objects.filter(seq__gt=keep).delete()
    last = AuditEvent.objects.get(seq=keep)
    ChainHead.objects.filter(pk=1).update(last_seq=keep, last_hash=last.hash)


def _pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def test_sign_and_verify_round_trip():
    last = _events(3)
    cp = cps.make_checkpoint()
    head = ChainHead.objects.get(pk=1)
    assert (cp.seq, cp.hash) == (last, head.last_hash)
    data = cps.to_dict(cp)
    assert data["time"].endswith("Z") and data["key_id"] == cps.key_id(cps.load_private_key())
    # the signature is Ed25519 over the documented canonical message
    signed = json.dumps({"seq": last, "hash": head.last_hash, "time": data["time"], "key_id": data["key_id"]},
                        sort_keys=True, separators=(",", ":")).encode()
    cps.load_public_key(data["public_key"]).verify(base64.b64decode(data["signature"]), signed)
    [check] = cps.verify_against(cps.parse_checkpoints(json.dumps(data)))
    assert check.ok, check.describe()
    _events(2)  # a longer chain still contains the checkpoint
    assert all(c.ok for c in cps.verify_against(cps.parse_checkpoints(json.dumps(data))))


def test_truncated_tail_fails_against_earlier_checkpoint(tmp_path):
    last = _events(5)
    saved = _save(tmp_path, cps.to_dict(cps.make_checkpoint()))
    call_command("audit", "verify", "--checkpoint", saved)  # holds now

    _drop_newest(last - 2)
    assert verify_chain().ok  # the chain alone cannot tell
    [check] = cps.verify_against(cps.load_checkpoints(saved))
    assert check.problem == cps.TRUNCATED and "最新的 2 条事件被删除" in check.detail
    with pytest.raises(CommandError, match="链条被截短") as exc:
        call_command("audit", "verify", "--checkpoint", saved)
    assert exc.value.returncode == 1


def test_rewritten_history_fails(tmp_path):
    last = _events(4)
    saved = _save(tmp_path, cps.to_dict(cps.make_checkpoint()))
    # an event's hash altered in place
    AuditEvent.objects.filter(seq=last).update(hash="f" * 64)
    [check] = cps.verify_against(cps.load_checkpoints(saved))
    assert check.problem == cps.REWRITTEN and f"第 {last} 号事件" in check.detail
    with pytest.raises(CommandError, match="历史被改写"):
        call_command("audit", "verify", "--checkpoint", saved)


def test_rebuilt_chain_of_the_same_length_fails(tmp_path):
    last = _events(4)
    saved = _save(tmp_path, cps.to_dict(cps.make_checkpoint()))
    _drop_newest(last - 2)
    record("system", "test.note", object_type="test.thing", object_id="x", reason="重新编造的第 3 条")
    record("system", "test.note", object_type="test.thing", object_id="y", reason="重新编造的第 4 条")
    assert verify_chain().ok and ChainHead.objects.get(pk=1).last_seq == last
    [check] = cps.verify_against(cps.load_checkpoints(saved))
    assert check.problem == cps.REWRITTEN


def test_wrong_key_or_edited_checkpoint_is_a_bad_signature(tmp_path):
    _events(2)
    head = ChainHead.objects.get(pk=1)
    forger = Ed25519PrivateKey.generate()
    kid, time = cps.key_id(forger), "2026-01-01T00:00:00Z"
    forged = {"seq": head.last_seq, "hash": head.last_hash, "time": time, "key_id": kid,
              "signature": base64.b64encode(forger.sign(cps.message(head.last_seq, head.last_hash, time, kid))).decode(),
              "public_key": cps.public_key_pem(forger)}
    [check] = cps.verify_against(cps.parse_checkpoints(json.dumps(forged)))
    assert check.problem == cps.BAD_SIGNATURE and "不是本系统的签名密钥" in check.detail  # its own key is not trusted

    edited = cps.to_dict(cps.make_checkpoint())
    edited["seq"] -= 1  # someone "adjusts" a saved checkpoint
    [check] = cps.verify_against(cps.parse_checkpoints(json.dumps(edited)))
    assert check.problem == cps.BAD_SIGNATURE
    with pytest.raises(CommandError, match="签名无效"):
        call_command("audit", "verify", "--checkpoint", _save(tmp_path, [forged]))

    # a key given explicitly is the only one trusted
    good = cps.to_dict(Checkpoint.objects.order_by("-id").first())
    assert cps.verify_against(cps.parse_checkpoints(json.dumps(good)), public_key=forger)[0].problem == cps.BAD_SIGNATURE
    assert cps.verify_against(cps.parse_checkpoints(json.dumps(good)), public_key=good["public_key"])[0].ok


def test_publication_makes_a_checkpoint_listed_on_the_portal(inspections, county_user, client,  # noqa: F811
                                                             django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        portal_actions.publish_many(county_user, inspections[:2])
    assert Checkpoint.objects.count() == 1  # one per publishing transaction, covering the head after it
    cp = Checkpoint.objects.get()
    assert (cp.seq, cp.hash) == (ChainHead.objects.get(pk=1).last_seq, ChainHead.objects.get(pk=1).last_hash)

    r = client.get("/portal/audit/checkpoints.json")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/json")
    doc = r.json()
    assert doc["public_key"].startswith("-----BEGIN PUBLIC KEY-----") and doc["key_id"] == cp.key_id
    assert doc["checkpoints"][0] == cps.to_dict(cp, with_public_key=False)
    assert all(c.ok for c in cps.verify_against(cps.parse_checkpoints(r.content)))

    with django_capture_on_commit_callbacks(execute=True):
        portal_actions.correct(county_user, Publication.objects.get(inspection=inspections[0]), "金额录入有误",
                               {"handling": "责令退回违规费用"})
    doc = client.get("/portal/audit/checkpoints.json").json()
    assert len(doc["checkpoints"]) == 2 and doc["checkpoints"][0]["seq"] > doc["checkpoints"][1]["seq"]  # newest first

    page = client.get(reverse("portal:audit-checkpoints"))
    text = page.content.decode()
    assert page.status_code == 200 and cp.hash in text and "签名密钥标识" in text and "北京时间" in text
    assert client.get(reverse("portal:audit-checkpoint-json", args=[cp.pk])).json() == cps.to_dict(cp)
    assert client.get(reverse("portal:audit-public-key")).content.decode() == cp.public_key
    assert reverse("portal:audit-checkpoints") in client.get(reverse("portal:verify")).content.decode()
    assert client.post(reverse("portal:audit-checkpoints")).status_code == 405


def test_missing_key_never_blocks_a_publication(inspections, county_user, tmp_path, caplog,  # noqa: F811
                                                django_capture_on_commit_callbacks):
    missing = tmp_path / "none.pem"
    with override_settings(SPOTCHECK_AUDIT_SIGNING_KEY_FILE=missing, SPOTCHECK_AUDIT_SIGNING_KEY=""):
        with pytest.raises(cps.SigningKeyMissing, match="spotcheck audit keygen") as exc:
            cps.make_checkpoint()
        assert str(missing) in exc.value.message and "SPOTCHECK_AUDIT_SIGNING_KEY" in exc.value.message
        with caplog.at_level(logging.WARNING, logger="spotcheck.audit.checkpoints"):
            with django_capture_on_commit_callbacks(execute=True):
                pub = portal_actions.publish(county_user, inspections[0])
        assert pub.pk and not Checkpoint.objects.exists()
        assert "未生成审计检查点" in caplog.text
        with pytest.raises(CommandError, match="未配置审计检查点签名密钥"):
            call_command("audit", "checkpoint")


def test_cli_checkpoint_prints_json_and_exit_codes(tmp_path, capsys):
    last = _events(2)
    call_command("audit", "checkpoint")
    printed = json.loads(capsys.readouterr().out)
    assert printed == cps.to_dict(Checkpoint.objects.get())
    saved = _save(tmp_path, printed)
    call_command("audit", "verify", "--checkpoint", saved, "--checkpoint", saved)  # exit 0
    assert "OK：2 个检查点" in capsys.readouterr().out
    _drop_newest(last - 1)
    with pytest.raises(CommandError) as exc:
        call_command("audit", "verify", "--checkpoint", saved)
    assert exc.value.returncode == 1 and "链条被截短" in str(exc.value)
    with pytest.raises(CommandError, match="无法读取文件"):
        call_command("audit", "verify", "--checkpoint", str(tmp_path / "nothing.json"))


def test_checkpoint_refuses_a_head_that_disagrees_with_the_events():
    last = _events(3)
    AuditEvent.objects.filter(seq=last).delete()  # the head still names it
    with pytest.raises(cps.CheckpointError, match="不一致"):
        cps.make_checkpoint()
    assert not Checkpoint.objects.exists()


def test_checkpoints_are_append_only():
    last = _events(1)
    cp = cps.make_checkpoint()
    with pytest.raises(CheckpointImmutable):
        cp.save()
    with pytest.raises(CheckpointImmutable):
        cp.delete()
    with pytest.raises(CheckpointImmutable):
        Checkpoint.objects.all().delete()
    with pytest.raises(CheckpointImmutable):
        Checkpoint.objects.update(seq=0)
    assert Checkpoint.objects.get().seq == last


def test_keygen_creates_a_private_file_and_refuses_to_overwrite(tmp_path, capsys):
    path = tmp_path / "keys" / "audit.pem"
    call_command("audit", "keygen", "--path", str(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    key = cps.read_private_key(path)
    assert cps.key_id(key) in capsys.readouterr().out
    before = path.read_bytes()
    with pytest.raises(CommandError, match="已存在"):
        call_command("audit", "keygen", "--path", str(path))
    call_command("audit", "keygen", "--path", str(path), "--if-missing")
    assert path.read_bytes() == before


def test_environment_key_wins_over_the_file():
    other = Ed25519PrivateKey.generate()
    with override_settings(SPOTCHECK_AUDIT_SIGNING_KEY=_pem(other)):
        assert cps.key_id(cps.load_private_key()) == cps.key_id(other)
        _events(1)
        assert cps.make_checkpoint().key_id == cps.key_id(other)
    assert cps.key_id(cps.load_private_key()) != cps.key_id(other)


def test_checkpoints_from_a_url(tmp_path):
    _events(2)
    _save(tmp_path, cps.published_list() | {"checkpoints": [cps.to_dict(cps.make_checkpoint(), with_public_key=False)]},
          "checkpoints.json")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/checkpoints.json"
        [check] = cps.verify_against(cps.load_checkpoints(url))
        assert check.ok
        call_command("audit", "verify", "--checkpoint", url)
        with pytest.raises(cps.CheckpointError, match="无法下载"):
            cps.load_checkpoints(url.replace("checkpoints.json", "missing.json"))
    finally:
        server.shutdown()
        server.server_close()


def test_no_checkpoint_is_signed_over_a_rewritten_history():
    last = _events(4)
    cps.make_checkpoint()
    _drop_newest(last - 2)
    record("system", "test.note", object_type="test.thing", object_id="x", reason="截短后新写入")
    with pytest.raises(cps.CheckpointError, match="已不在审计链中"):
        cps.make_checkpoint()


def test_a_key_planted_in_the_database_is_not_trusted(tmp_path):
    _events(2)
    insider = Ed25519PrivateKey.generate()
    with override_settings(SPOTCHECK_AUDIT_SIGNING_KEY=_pem(insider)):
        planted = cps.to_dict(cps.make_checkpoint())  # stored in the table with the insider's public key
    [check] = cps.verify_against(cps.parse_checkpoints(json.dumps(planted)))
    assert check.problem == cps.BAD_SIGNATURE
    pinned = tmp_path / "old.pem"
    pinned.write_text(cps.public_key_pem(insider))
    with override_settings(SPOTCHECK_AUDIT_TRUSTED_KEYS=[str(pinned)]):  # a rotation pinned outside the database
        assert cps.verify_against(cps.parse_checkpoints(json.dumps(planted)))[0].ok
