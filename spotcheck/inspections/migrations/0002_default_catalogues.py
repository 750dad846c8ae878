from django.db import migrations


def load(apps, schema_editor):  # noqa: ARG001
    from spotcheck.inspections.catalogue import ensure_defaults

    ensure_defaults(apps)  # historical models: later field changes must not break this migration


class Migration(migrations.Migration):
    dependencies = [("inspections", "0001_initial"), ("policy", "0002_holidayoverride")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
