"""Existing accounts start their password-expiry clock at this upgrade (``password_changed_at`` was not known
before): without it every account older than ``SPOTCHECK_PASSWORD_MAX_AGE_DAYS`` would have to change its
password at once. The new states are recorded in the audit chain, so ``audit verify`` stays clean."""

from django.db import migrations
from django.utils import timezone

REASON = "升级：已有账号的密码有效期从本次升级起计算"


def start_clock(apps, schema_editor):
    from spotcheck.audit.baseline import record_states

    User = apps.get_model("accounts", "User")
    pks = list(User.objects.filter(password_changed_at__isnull=True).values_list("pk", flat=True))
    if pks:
        User.objects.filter(pk__in=pks).update(password_changed_at=timezone.now())
        record_states(apps, "accounts.user", pks, "accounts.user.password_clock", REASON)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_security_controls"),
        ("audit", "0004_baseline_state"),
    ]

    operations = [migrations.RunPython(start_clock, migrations.RunPython.noop)]
