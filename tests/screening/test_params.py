"""Screening parameters are policy settings; a run records the values it used."""

from __future__ import annotations

import datetime as dt

import pytest

from spotcheck.policy.models import PolicySetting
from spotcheck.screening import actions
from spotcheck.screening.io import source_from_bytes
from spotcheck.screening.params import all_settings, setting
from spotcheck.screening.policy_specs import SPECS
from tests.factories import claim_rows, files_of

pytestmark = pytest.mark.django_db


def test_defaults_and_keys():
    assert all(s.key.startswith("screening.") for s in SPECS)
    assert setting("screening.readmission_days") == 15
    assert set(all_settings()) == {s.key for s in SPECS}


def test_a_policy_row_changes_the_parameter_and_the_run(insts, admin_user):
    rows = claim_rows(insts)
    PolicySetting.objects.create(key="screening.duplicate_pairs", value=[["250101015000000X", "X2", "测试"]],
                                 effective_from=dt.date(2000, 1, 1), note="测试")
    PolicySetting.objects.create(key="screening.daily_limits", value={"250101015000000X": 1},
                                 effective_from=dt.date(2000, 1, 1), note="测试")
    batch = actions.import_batch(admin_user, [source_from_bytes(n, d) for n, d in files_of(rows).items()], "2023-10")
    run = actions.run_screening(admin_user, batch)
    assert run.parameters["screening.daily_limits"] == {"250101015000000X": 1}
    assert run.counts["daily_limit"] == 3  # cnt 2 > 1 for each of the three people


def test_malformed_parameter_refuses_the_run(insts, admin_user, client_for):
    PolicySetting.objects.create(key="screening.daily_limits", value={"X": "三次"},
                                 effective_from=dt.date(2000, 1, 1), note="测试")
    rows = claim_rows(insts)
    batch = actions.import_batch(admin_user, [source_from_bytes(n, d) for n, d in files_of(rows).items()], "2023-10")
    with pytest.raises(actions.ActionRefused, match="screening.daily_limits"):
        actions.run_screening(admin_user, batch)
    resp = client_for(admin_user).post(f"/screening/batches/{batch.pk}/run/", follow=True)
    assert "政策参数 screening.daily_limits 取值不正确" in resp.content.decode()
    assert not batch.runs.exists()


def test_default_parameters_pass_the_check():
    from spotcheck.screening.params import check

    check({s.key: s.default for s in SPECS})
