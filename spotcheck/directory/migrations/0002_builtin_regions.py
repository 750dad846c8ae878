from django.db import migrations


def load(apps, schema_editor):
    from spotcheck.directory.regions import load_builtin

    load_builtin(apps.get_model("directory", "Region"))


class Migration(migrations.Migration):
    dependencies = [("directory", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
