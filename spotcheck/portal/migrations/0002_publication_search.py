"""Search columns and covering indexes of the public result search: ``institution_region`` (the institution's
area, copied at publication like the other filter columns), a partial index of the corrections, and indexes
that let counting and paging read no rows (they replace the single-column indexes they start with)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def copy_institution_region(apps, schema_editor):
    """Existing publications get their institution's current area (the area at publication time is unknown)."""
    Publication = apps.get_model("portal", "Publication")
    Institution = apps.get_model("directory", "Institution")
    region = Institution.objects.filter(pk=models.OuterRef("institution_id")).values("region_id")[:1]
    Publication.objects.update(institution_region_id=models.Subquery(region))


class Migration(migrations.Migration):

    dependencies = [
        ('directory', '0002_builtin_regions'),
        ('inspections', '0003_rectification_submitter_numbers'),
        ('planning', '0002_task_item_summary'),
        ('portal', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='publication',
            name='institution_region',
            field=models.ForeignKey(db_index=False, help_text='检查对象公示时所在的县级区域（区域筛选用）', null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.region', verbose_name='机构所在区域'),
        ),
        migrations.RunPython(copy_institution_region, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='publication',
            name='institution_region',
            field=models.ForeignKey(db_index=False, help_text='检查对象公示时所在的县级区域（区域筛选用）', on_delete=django.db.models.deletion.PROTECT, related_name='+', to='directory.region', verbose_name='机构所在区域'),
        ),
        migrations.AlterField(
            model_name='publication',
            name='institution',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='publications', to='directory.institution', verbose_name='检查对象'),
        ),
        migrations.AlterField(
            model_name='publication',
            name='published_at',
            field=models.DateTimeField(verbose_name='公示时间'),
        ),
        migrations.AlterField(
            model_name='publication',
            name='year',
            field=models.PositiveSmallIntegerField(verbose_name='年度'),
        ),
        migrations.AddIndex(
            model_name='publication',
            index=models.Index(condition=models.Q(('supersedes__isnull', False)), fields=['supersedes'], name='pub_corrections'),
        ),
        migrations.AddIndex(
            model_name='publication',
            index=models.Index(fields=['institution', 'institution_region', 'year', 'result_type', 'published_at'], name='pub_search_institution'),
        ),
        migrations.AddIndex(
            model_name='publication',
            index=models.Index(fields=['institution_region', 'year', 'result_type', 'published_at'], name='pub_search_area'),
        ),
        migrations.AddIndex(
            model_name='publication',
            index=models.Index(fields=['year', 'result_type', 'published_at'], name='pub_search_year'),
        ),
        migrations.AddIndex(
            model_name='publication',
            index=models.Index(fields=['published_at', 'id', 'year', 'result_type', 'institution_region', 'institution'], name='pub_search_recent'),
        ),
    ]
