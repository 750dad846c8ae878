"""Personal data at rest: 身份证号 and phone numbers of inspectors and institutions' 联系电话 are encrypted
(SM4-GCM, spotcheck/base/crypto.py) with the key configured at migrate time, and get a digest column (HMAC-SM3)
for exact lookup. Every row changed gets a ``keys.encrypt`` audit event with its new state, so ``audit verify``
stays clean.

Reversible: migrating back decrypts the values into plain columns again (the key must still be configured) and
records ``keys.decrypt`` events whose states hold the plaintext (as before this migration).
"""

from django.db import migrations

import spotcheck.base.fields

TABLES = {"inspector": "directory.inspector", "institution": "directory.institution"}
REASON = "个人信息加密存储：身份证号、联系电话改为 SM4 加密保存（数据迁移，明文不变）"
REASON_BACK = "撤销个人信息加密存储：身份证号、联系电话解密为明文保存（数据迁移回退）"


def encrypt(apps, schema_editor):
    from spotcheck.audit.baseline import record_states
    from spotcheck.base.fields import encrypt_plaintext_rows

    for name, label in TABLES.items():
        changed = encrypt_plaintext_rows(apps.get_model("directory", name))
        record_states(apps, label, changed, "keys.encrypt", REASON)


def decrypt(apps, schema_editor):
    from spotcheck.audit.baseline import record_states
    from spotcheck.base.fields import decrypt_to_plaintext_rows

    for name, label in TABLES.items():
        changed = decrypt_to_plaintext_rows(apps.get_model("directory", name))
        record_states(apps, label, changed, "keys.decrypt", REASON_BACK, plain=True)


class Migration(migrations.Migration):

    dependencies = [
        ("directory", "0002_builtin_regions"),
        ("audit", "0004_baseline_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="inspector",
            name="id_number_digest",
            field=spotcheck.base.fields.DigestField(db_index=True, source="id_number", verbose_name="身份证号摘要"),
        ),
        migrations.AddField(
            model_name="inspector",
            name="phone_digest",
            field=spotcheck.base.fields.DigestField(db_index=True, source="phone", verbose_name="联系电话摘要"),
        ),
        migrations.AddField(
            model_name="institution",
            name="contact_phone_digest",
            field=spotcheck.base.fields.DigestField(db_index=True, source="contact_phone", verbose_name="联系电话摘要"),
        ),
        migrations.AlterField(
            model_name="inspector",
            name="id_number",
            field=spotcheck.base.fields.EncryptedCharField(
                blank=True, default="", digest_field="id_number_digest", kind="id_number", max_length=18,
                verbose_name="身份证号"),
        ),
        migrations.AlterField(
            model_name="inspector",
            name="phone",
            field=spotcheck.base.fields.EncryptedCharField(
                blank=True, default="", digest_field="phone_digest", kind="phone", max_length=30,
                verbose_name="联系电话"),
        ),
        migrations.AlterField(
            model_name="institution",
            name="contact_phone",
            field=spotcheck.base.fields.EncryptedCharField(
                blank=True, default="", digest_field="contact_phone_digest", kind="phone", max_length=30,
                verbose_name="联系电话"),
        ),
        migrations.RunPython(encrypt, decrypt),
    ]
