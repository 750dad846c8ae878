"""Personal data at rest: SM4-GCM / AES-256-GCM tokens, HMAC-SM3 digests, keys outside the database, rotation."""

from __future__ import annotations

import base64
import datetime as dt
import json

import pytest
from django.core.exceptions import FieldError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection
from django.test import override_settings
from django.urls import reverse

from spotcheck.audit.models import AuditEvent
from spotcheck.audit.verify import verify_all
from spotcheck.base import crypto
from spotcheck.base.checks import field_keys
from spotcheck.base.fields import Sealed, decrypt_to_plaintext_rows, encrypt_plaintext_rows
from spotcheck.core.codes import make_id_number
from spotcheck.credit import actions as credit_actions
from spotcheck.credit.models import CreditSubject
from spotcheck.directory.models import Inspector, Institution
from tests import factories as f

ID = make_id_number(f.YANGCHENG, dt.date(1985, 6, 1), 17, True)
CTX = "directory.inspector.id_number"


@pytest.fixture
def key_file(tmp_path):
    """A key file of its own (rotation writes to it), used instead of the shared test key."""
    path = tmp_path / "keys" / "field-keys.json"
    with override_settings(SPOTCHECK_FIELD_KEYS_FILE=path, SPOTCHECK_FIELD_KEYS=""):
        crypto.generate_key_file(path)
        yield path


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


# --- tokens ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cipher, prefix", [("sm4-gcm", "sm4gcm"), ("aes-256-gcm", "aes256gcm")])
def test_round_trip(settings, cipher, prefix):
    settings.SPOTCHECK_FIELD_CIPHER = cipher
    token = crypto.encrypt(ID, CTX)
    assert token.startswith(f"{prefix}:v1:test0001:") and ID not in token
    assert crypto.decrypt(token, CTX) == ID
    assert crypto.encrypt(ID, CTX) != token  # a fresh nonce every time
    settings.SPOTCHECK_FIELD_CIPHER = "sm4-gcm"
    assert crypto.decrypt(token, CTX) == ID  # every token names its cipher


def test_tampered_ciphertext_is_refused():
    token = crypto.encrypt(ID, CTX)
    header, blob = token.rsplit(":", 1)
    raw = bytearray(base64.b64decode(blob))
    raw[14] ^= 1
    with pytest.raises(crypto.DecryptionFailed, match="校验失败"):
        crypto.decrypt(f"{header}:{base64.b64encode(bytes(raw)).decode()}", CTX)
    with pytest.raises(crypto.DecryptionFailed, match="校验失败"):  # moved to another column
        crypto.decrypt(token, "credit.creditsubject.id_number")
    with pytest.raises(crypto.DecryptionFailed, match="不是密文"):
        crypto.decrypt(ID, CTX)


def test_a_token_of_an_unknown_key_is_refused_with_a_clear_error(key_file):
    other = crypto.Keyring({"zz999": crypto.new_key("zz999")}, "zz999", "x")
    token = crypto.encrypt(ID, CTX, ring=other)
    with pytest.raises(crypto.UnknownKey) as exc:
        crypto.decrypt(token, CTX)
    assert "密钥 zz999 不在密钥文件" in exc.value.message and str(key_file) in exc.value.message
    forged = token.replace(":zz999:", f":{crypto.keyring().current}:")  # the key id is authenticated too
    with pytest.raises(crypto.DecryptionFailed):
        crypto.decrypt(forged, CTX)


def test_digest_normalises_and_depends_on_the_key(key_file):
    assert crypto.digest("id_number", ID[:-1] + "x") == crypto.digest("id_number", " " + ID[:-1] + "X")
    assert crypto.digest("phone", "139-1234 5678") == crypto.digest("phone", "13912345678")
    assert crypto.digest("phone", "") == ""
    before = crypto.digest("phone", "13912345678")
    assert len(before) == 64 and "13912345678" not in before
    crypto.add_key(key_file)
    assert crypto.digest("phone", "13912345678") != before
    assert before in crypto.digests("phone", "13912345678")


def test_full_width_numbers_have_the_digest_of_their_ascii_form(key_file):
    """As typed with a Chinese input method in full-width mode (core.masking.fold_fullwidth)."""
    wide = str.maketrans("0123456789X -", "０１２３４５６７８９Ｘ\u3000－")
    assert crypto.normalise("phone", "１３８１２３４５６７８") == "13812345678"
    assert crypto.digest("phone", "１３８１２３４５６７８") == crypto.digest("phone", "13812345678")
    assert crypto.digest("phone", "１３８－１２３４\u3000５６７８") == crypto.digest("phone", "13812345678")
    assert crypto.digest("phone", "０３５６－４２２２０００") == crypto.digest("phone", "0356-4222000")
    wide_id = (ID[:-1] + "X").translate(wide)
    assert crypto.normalise("id_number", wide_id) == ID[:-1] + "X"
    assert crypto.normalise("id_number", "\u3000" + wide_id[:-1] + "ｘ") == ID[:-1] + "X"
    assert crypto.digest("id_number", ID.translate(wide)) == crypto.digest("id_number", ID)


def test_key_file_is_private_and_never_overwritten(key_file):
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    with pytest.raises(crypto.FieldCryptoError, match="已存在"):
        crypto.generate_key_file(key_file)
    ring = json.loads(key_file.read_text())
    assert ring["current"] == ring["keys"][0]["id"]


def test_missing_key_fails_the_system_check_and_env_keys_win(tmp_path):
    missing = tmp_path / "none.json"
    with override_settings(SPOTCHECK_FIELD_KEYS_FILE=missing, SPOTCHECK_FIELD_KEYS=""):
        errors = field_keys()
        assert [e.id for e in errors] == ["spotcheck.E001"] and "spotcheck keys generate" in errors[0].msg
        with pytest.raises(crypto.FieldKeyMissing):
            crypto.encrypt(ID, CTX)
    key = crypto.new_key("envkey1")
    text = json.dumps(crypto.Keyring({key.id: key}, key.id, "").as_json())
    with override_settings(SPOTCHECK_FIELD_KEYS_FILE=missing, SPOTCHECK_FIELD_KEYS=text):
        assert field_keys() == [] and crypto.encrypt(ID, CTX).startswith("sm4gcm:v1:envkey1:")
    with override_settings(SPOTCHECK_FIELD_KEYS_FILE=missing, SPOTCHECK_FIELD_KEYS="", SPOTCHECK_FIELD_KEYS_AUTOCREATE=True):
        assert crypto.keyring().current and missing.exists()  # dev: created on first use


def test_keys_generate_command(tmp_path):
    path = tmp_path / "k.json"
    call_command("keys", "generate", "--path", str(path))
    assert crypto.read_key_file(path).current
    call_command("keys", "generate", "--path", str(path), "--if-missing")
    assert len(crypto.read_key_file(path).keys) == 1
    call_command("keys", "generate", "--path", str(path), "--add")
    assert len(crypto.read_key_file(path).keys) == 2


# --- the model fields -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_columns_hold_no_plaintext():
    insp = f.inspector(id_number=ID, phone="13912345678")
    inst = f.institution(contact_phone="0356-4222000")
    for table, column, pk, plain in [("directory_inspector", "id_number", insp.pk, ID),
                                     ("directory_inspector", "phone", insp.pk, "13912345678"),
                                     ("directory_institution", "contact_phone", inst.pk, "0356-4222000")]:
        stored = _raw(table, column, pk)
        assert stored.startswith("sm4gcm:v1:test0001:") and plain not in stored
        assert plain not in _raw(table, f"{column}_digest", pk)
    fresh = Inspector.objects.get(pk=insp.pk)
    assert fresh.id_number == ID and isinstance(fresh.id_number, Sealed)
    assert Institution.objects.get(pk=inst.pk).contact_phone == "0356-4222000"


@pytest.mark.django_db
def test_saving_an_unchanged_value_keeps_its_token():
    insp = f.inspector(id_number=ID)
    token = _raw("directory_inspector", "id_number", insp.pk)
    fresh = Inspector.objects.get(pk=insp.pk)
    fresh.name = "改名"
    fresh.save()
    assert _raw("directory_inspector", "id_number", insp.pk) == token


@pytest.mark.django_db
def test_lookup_by_digest_and_plain_lookups_refused():
    insp = f.inspector(id_number=ID, phone="139 1234 5678")
    f.inspector(phone="13800000000")
    assert list(Inspector.objects.filter(id_number__matches=ID.lower())) == [insp]
    assert list(Inspector.objects.filter(phone__matches="139-1234-5678")) == [insp]
    assert not Inspector.objects.filter(phone__matches="").exists()
    assert Inspector.objects.filter(phone="").count() == 0
    with pytest.raises(FieldError, match="matches"):
        Inspector.objects.filter(id_number=ID).exists()
    with pytest.raises(FieldError, match="matches"):
        Inspector.objects.filter(id_number__startswith="1405").exists()


@pytest.mark.django_db
def test_credit_subject_id_number_is_unique_through_its_digest(county_user):
    kw = dict(kind="person", category="insured", name="张三", region_code=f.YANGCHENG)
    s = credit_actions.create_subject(county_user, id_number=ID, **kw)
    assert ID not in _raw("credit_creditsubject", "id_number", s.pk)
    with pytest.raises(credit_actions.ActionRefused, match="已有信用档案"):
        credit_actions.create_subject(county_user, id_number=ID[:-1] + ID[-1].lower(), **kw)
    with pytest.raises(IntegrityError):  # the database refuses it too (same key, same digest)
        CreditSubject.objects.create(kind="person", category="insured", name="李四", region_id=f.YANGCHENG,
                                     id_number=ID)


# --- audit ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_events_hold_neither_plaintext_nor_its_hash(county_user):
    from spotcheck.directory import actions

    dept = f.department()
    insp = actions.create(county_user, Inspector, {
        "number": "A-1", "name": "王五", "department": dept, "region_id": f.YANGCHENG, "id_number": ID,
        "phone": "13912345678"})
    actions.update(county_user, insp, {"phone": "13700001111"}, reason="换号")
    text = json.dumps(list(AuditEvent.objects.values("state", "before", "after")), ensure_ascii=False)
    for secret in (ID, "13912345678", "13700001111", ID[6:14]):
        assert secret not in text
    assert "139****5678" in text  # before/after are masked for the auditors
    f.audit_baseline()  # the user and department the set-up wrote directly
    assert verify_all().ok


@pytest.mark.django_db
def test_masked_for_a_role_without_the_right_to_change(client_for, county_user, inspector_user):
    insp = f.inspector(id_number=ID, phone="13912345678")
    url = reverse("directory:inspector-detail", args=[insp.pk])
    mine = client_for(county_user).get(url).content.decode()
    assert ID in mine and "13912345678" in mine
    theirs = client_for(inspector_user).get(url)  # 检查人员: may view the directory, not change it
    assert theirs.status_code == 200
    body = theirs.content.decode()
    assert ID not in body and "13912345678" not in body and "139****5678" in body
    api = client_for(inspector_user).get(f"/api/inspectors/{insp.pk}/")
    assert api.status_code == 200 and api.json()["phone"] == "139****5678" and ID not in api.content.decode()


# --- migration and rotation -----------------------------------------------------------------------


@pytest.mark.django_db
def test_migration_helpers_encrypt_plaintext_rows_and_back():
    insp = f.inspector(id_number=ID, phone="13912345678")
    with connection.cursor() as cursor:  # as an older version stored them
        cursor.execute("UPDATE directory_inspector SET id_number = %s, phone = %s, id_number_digest = '', "
                       "phone_digest = '' WHERE id = %s", [ID, "13912345678", insp.pk])
    assert encrypt_plaintext_rows(Inspector) == [insp.pk]
    assert encrypt_plaintext_rows(Inspector) == []  # idempotent
    assert ID not in _raw("directory_inspector", "id_number", insp.pk)
    assert Inspector.objects.filter(id_number__matches=ID).get() == insp
    assert decrypt_to_plaintext_rows(Inspector) == [insp.pk]
    assert _raw("directory_inspector", "id_number", insp.pk) == ID
    assert _raw("directory_inspector", "id_number_digest", insp.pk) == ""


@pytest.mark.django_db
def test_rotation_reencrypts_every_row_and_audit_verify_stays_clean(key_file, county_user):
    insps = [f.inspector(phone=f"1391234{n:04d}") for n in range(7)]
    inst = f.institution(contact_phone="0356-4222000")
    subject = credit_actions.create_subject(county_user, kind="person", category="insured", name="张三",
                                            region_code=f.YANGCHENG, id_number=ID)
    f.audit_baseline()
    old = crypto.keyring().current
    assert verify_all().ok

    ring, new = crypto.add_key(key_file)  # the first step of `keys rotate`: old values still readable
    assert Inspector.objects.get(pk=insps[0].pk).phone == "13912340000"
    assert Inspector.objects.filter(phone__matches="13912340000").get() == insps[0]
    fresh = f.inspector(phone="13512345678")
    assert f":{new.id}:" in _raw("directory_inspector", "phone", fresh.pk)
    f.audit_baseline()

    call_command("keys", "rotate", "--resume", "--batch", "3")
    for table, column, pk in [("directory_inspector", "phone", insps[-1].pk),
                              ("directory_inspector", "id_number", insps[0].pk),
                              ("directory_institution", "contact_phone", inst.pk),
                              ("credit_creditsubject", "id_number", subject.pk)]:
        assert _raw(table, column, pk).startswith(f"sm4gcm:v1:{new.id}:")
    assert Inspector.objects.filter(phone__matches="13912340006").get() == insps[-1]
    assert CreditSubject.objects.filter(id_number__matches=ID).get() == subject
    events = AuditEvent.objects.filter(action="keys.reencrypt")
    assert events.filter(object_type="directory.inspector").count() == 7  # not the one already under the new key
    assert events.filter(object_type="credit.creditsubject").count() == 1
    report = verify_all()
    assert report.ok, [d.describe() for d in report.data.differences]

    count = AuditEvent.objects.count()
    call_command("keys", "rotate", "--resume")  # idempotent: nothing left to do
    assert AuditEvent.objects.count() == count
    with pytest.raises(CommandError, match="仍有"):  # the current key encrypts everything now
        call_command("keys", "retire", new.id)
    call_command("keys", "retire", old)
    assert old not in crypto.read_key_file(key_file).keys


@pytest.mark.django_db
def test_rotation_refuses_a_row_changed_behind_the_application(key_file, settings):
    from spotcheck.audit.guard import TamperedRow

    insp = f.inspector(phone="13912345678")
    f.audit_baseline()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE directory_inspector SET phone_digest = 'x' WHERE id = %s", [insp.pk])
    crypto.add_key(key_file)
    settings.SPOTCHECK_AUDIT_GUARD = True
    with pytest.raises(TamperedRow):
        call_command("keys", "rotate", "--resume")

