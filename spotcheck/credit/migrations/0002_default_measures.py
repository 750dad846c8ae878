"""The incentives and measures of 附件3 第十二、十三条 as editable rows."""

from django.db import migrations

GOOD = ["优秀", "良好"]
BAD = ["较差", "差"]

MEASURES = [
    ("incentive", "第十二条（一）", "在医疗保障部门公众号、相关媒体进行公示宣传", GOOD, []),
    ("incentive", "第十二条（二）", "在日常监督检查或抽查中减少检查频次", GOOD, ["org"]),
    ("incentive", "第十二条（二）", "提高医疗保障基金预拨付额度", GOOD, ["org"]),
    ("incentive", "第十二条（三）", "提供信用就医、容缺受理服务", GOOD, ["person"]),
    ("incentive", "第十二条（四）", "法律、法规、规章等规定的其他激励措施", GOOD, []),
    ("measure", "第十三条（一）", "警示约谈，要求限期整改", BAD, []),
    ("measure", "第十三条（二）", "列为重点监控和监督检查对象，作为日常监督检查或抽查的重点，增加检查频次", BAD, ["org"]),
    ("measure", "第十三条（三）", "依托集中采购平台向采购方提示风险信息", BAD, ["org"]),
    ("measure", "第十三条（四）", "法律、法规、规章等规定的其他惩戒措施", BAD, []),
]


def forwards(apps, schema_editor):
    Measure = apps.get_model("credit", "Measure")
    for seq, (kind, article, text, grades, kinds) in enumerate(MEASURES, start=1):
        Measure.objects.get_or_create(kind=kind, article=article, text=text,
                                      defaults={"grades": grades, "subject_kinds": kinds, "seq": seq})


def backwards(apps, schema_editor):
    apps.get_model("credit", "Measure").objects.filter(text__in=[m[2] for m in MEASURES]).delete()


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
