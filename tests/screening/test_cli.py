"""``spotcheck screening demo|import|run``."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from spotcheck.screening.models import ClaimBatch, Hit, ScreeningRun
from spotcheck.screening.rules import RULE_NAMES
from tests import factories as f
from tests.factories import claim_rows, files_of

pytestmark = pytest.mark.django_db


def cmd(*args: str) -> str:
    out = io.StringIO()
    call_command("screening", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_demo_then_run_finds_every_planted_rule():
    for _ in range(4):
        f.institution(f.YANGCHENG)
    out = cmd("demo", "--visits", "200")
    batch = ClaimBatch.objects.get()
    assert f"已导入批次 {batch.pk}" in out
    out = cmd("run", str(batch.pk))
    run = ScreeningRun.objects.get()
    for rule, name in RULE_NAMES.items():
        assert run.counts[rule] >= 1, (rule, run.counts)
        assert name in out
    # the normal visits are clean: exactly the planted cases (同日多机构 gives one hit per institution)
    expected = {r: 1 for r in RULE_NAMES} | {"multi_institution": 2}
    assert run.counts == expected
    assert Hit.objects.filter(run=run).count() == 9


def test_demo_is_deterministic():
    for _ in range(3):
        f.institution(f.YANGCHENG)
    cmd("demo", "--visits", "50", "--run")
    cmd("demo", "--visits", "50", "--run")
    a, b = ScreeningRun.objects.order_by("id")
    assert a.counts == b.counts and a.amount_total == b.amount_total


def test_import_directory_and_errors(tmp_path):
    insts = {"y1": f.institution(f.YANGCHENG), "y2": f.institution(f.YANGCHENG)}
    for name, data in files_of(claim_rows(insts)).items():
        (tmp_path / name).write_bytes(data)
    out = cmd("import", str(tmp_path), "--period", "2023-10")
    assert "就诊 2 条" in out
    rows = claim_rows(insts)
    rows["mdtrt_d"][1]["begntime"] = "昨天"
    bad = tmp_path / "bad"
    bad.mkdir()
    for name, data in files_of(rows).items():
        (bad / name).write_bytes(data)
    err = io.StringIO()
    with pytest.raises(CommandError, match="未写入任何数据"):
        call_command("screening", "import", str(bad), "--period", "2023-10", stdout=io.StringIO(), stderr=err)
    assert "mdtrt_d.csv 第 3 行 begntime（开始时间）" in err.getvalue()
    assert ClaimBatch.objects.count() == 1


def test_demo_plants_in_every_region():
    for region in (f.YANGCHENG, f.YANGCHENG, f.HUAIREN, f.HUAIREN, f.SHUOZHOU):
        f.institution(region)
    cmd("demo", "--visits", "30", "--run")
    run = ScreeningRun.objects.get()
    assert run.counts["over_price"] == 2  # 阳城县 and 怀仁市; 朔州市 has one institution only
    regions = set(Hit.objects.filter(run=run, rule="gender").values_list("region_code", flat=True))
    assert regions == {f.YANGCHENG, f.HUAIREN}


def test_run_unknown_batch():
    with pytest.raises(CommandError, match="不存在"):
        cmd("run", "999")
