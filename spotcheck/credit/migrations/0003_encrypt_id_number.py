"""Personal data at rest: the 身份证号 of individual credit subjects is encrypted (SM4-GCM, spotcheck/base/crypto.py)
with the key configured at migrate time; its uniqueness moves to the digest column (HMAC-SM3). Every row changed
gets a ``keys.encrypt`` audit event with its new state, so ``audit verify`` stays clean.

Reversible: migrating back decrypts into a plain column (the key must still be configured), records
``keys.decrypt`` events and restores the unique constraint on the plain column.
"""

from django.db import migrations, models

import spotcheck.base.fields

REASON = "个人信息加密存储：身份证号改为 SM4 加密保存（数据迁移，明文不变）"
REASON_BACK = "撤销个人信息加密存储：身份证号解密为明文保存（数据迁移回退）"


def encrypt(apps, schema_editor):
    from spotcheck.audit.baseline import record_states
    from spotcheck.base.fields import encrypt_plaintext_rows

    changed = encrypt_plaintext_rows(apps.get_model("credit", "CreditSubject"))
    record_states(apps, "credit.creditsubject", changed, "keys.encrypt", REASON)


def decrypt(apps, schema_editor):
    from spotcheck.audit.baseline import record_states
    from spotcheck.base.fields import decrypt_to_plaintext_rows

    changed = decrypt_to_plaintext_rows(apps.get_model("credit", "CreditSubject"))
    record_states(apps, "credit.creditsubject", changed, "keys.decrypt", REASON_BACK, plain=True)


class Migration(migrations.Migration):

    dependencies = [
        ("credit", "0002_default_measures"),
        ("audit", "0004_baseline_state"),
        ("directory", "0003_encrypt_personal_data"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="creditsubject", name="creditsubject_unique_id_number"),
        migrations.AddField(
            model_name="creditsubject",
            name="id_number_digest",
            field=spotcheck.base.fields.DigestField(db_index=False, source="id_number", verbose_name="身份证号摘要"),
        ),
        migrations.AlterField(
            model_name="creditsubject",
            name="id_number",
            field=spotcheck.base.fields.EncryptedCharField(
                blank=True, default="", digest_field="id_number_digest", kind="id_number", max_length=18,
                verbose_name="身份证号"),
        ),
        migrations.RunPython(encrypt, decrypt),
        migrations.AddConstraint(
            model_name="creditsubject",
            constraint=models.UniqueConstraint(
                condition=models.Q(("id_number_digest", ""), _negated=True), fields=("id_number_digest",),
                name="creditsubject_unique_id_number_digest", violation_error_message="该身份证号已有信用档案"),
        ),
    ]
