"""Record the state of every existing row once, so upgraded installations start verifiable."""

from django.db import migrations


def forwards(apps, schema_editor):
    from spotcheck.audit.baseline import record_baseline

    record_baseline(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0003_checkpoint"),
        ("accounts", "0002_user_institution_code_alter_user_role"),
        ("policy", "0002_holidayoverride"),
        ("directory", "0002_builtin_regions"),
        ("planning", "0002_task_item_summary"),
        ("draws", "0001_initial"),
        ("inspections", "0003_rectification_submitter_numbers"),
        ("credit", "0002_default_measures"),
        ("portal", "0002_publication_search"),
        ("screening", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
