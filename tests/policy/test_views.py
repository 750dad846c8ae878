"""Policy settings page: everyone reads, only 系统管理员 adds a value, effective from its date."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from spotcheck import policy
from spotcheck.audit.models import AuditEvent
from spotcheck.policy.models import PolicySetting
from spotcheck.policy.registry import SPECS

KEY = "draw.min_team_size"


def url(key=KEY):
    return reverse("policy:detail", args=[key])


def test_index_lists_every_key(client_for, county_user):
    html = client_for(county_user).get(reverse("policy:index")).content.decode()
    for spec in SPECS.values():
        assert spec.key in html and spec.label in html
    assert "[6, 5]" in html  # 较差 120% in the default multipliers, shown as JSON
    assert "新增取值" not in client_for(county_user).get(url()).content.decode()


@pytest.mark.parametrize("fixture", ["county_user", "city_user", "auditor_user"])
def test_non_admin_cannot_change(client_for, request, fixture):
    user = request.getfixturevalue(fixture)
    response = client_for(user).post(url(), {"value": "3", "effective_from": "2030-01-01", "note": "越权"})
    assert response.status_code == 403
    assert not PolicySetting.objects.exists()


def test_admin_adds_a_value_from_its_effective_date(client_for, admin_user):
    today = timezone.localdate()
    start = today + dt.timedelta(days=10)
    response = client_for(admin_user).post(url(), {"value": "3", "effective_from": start.isoformat(),
                                                   "note": "省局通知：检查组不少于 3 人"})
    assert response.status_code == 302
    assert policy.get(KEY, on=today) == 2
    assert policy.get(KEY, on=start - dt.timedelta(days=1)) == 2
    assert policy.get(KEY, on=start) == 3 and policy.get(KEY, on=start + dt.timedelta(days=400)) == 3
    html = client_for(admin_user).get(url()).content.decode()
    assert "待生效" in html and "省局通知" in html
    assert AuditEvent.objects.filter(action="policy.set").count() == 1
    # from the effective date on, the page shows the new value in force
    row = PolicySetting.objects.get()
    PolicySetting.objects.filter(pk=row.pk).update(effective_from=today)
    index = client_for(admin_user).get(reverse("policy:index")).content.decode()
    assert f"<code>3</code></td>\n  <td>{today:%Y-%m-%d}" in index


@pytest.mark.parametrize(
    ("value", "message"),
    [("3,", "不是合法的 JSON"), ('"3"', "类型应与默认值一致"), ("true", "类型应与默认值一致"), ("2.5", "类型应与默认值一致")],
)
def test_bad_values_are_refused(client_for, admin_user, value, message):
    response = client_for(admin_user).post(url(), {"value": value, "effective_from": timezone.localdate().isoformat(),
                                                   "note": "测试"})
    assert response.status_code == 200 and message in response.content.decode()
    assert not PolicySetting.objects.exists()


def test_structured_values_and_past_dates(client_for, admin_user):
    client = client_for(admin_user)
    today = timezone.localdate().isoformat()
    response = client.post(url("draw.grade_multipliers"), {"value": '{"优秀": [1, 4]}', "effective_from": today,
                                                           "note": "x"})
    assert "应包含且只包含以下键" in response.content.decode()
    response = client.post(url("draw.strata_dimensions"), {"value": '["region", 1]', "effective_from": today,
                                                           "note": "x"})
    assert "同类型" in response.content.decode()
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    response = client.post(url(), {"value": "3", "effective_from": yesterday, "note": "x"})
    assert "不能早于今天" in response.content.decode()
    assert not PolicySetting.objects.exists()
    response = client.post(url("draw.grade_multipliers"), {
        "value": '{"优秀": [1, 4], "良好": [1, 2], "中等": [1, 1], "较差": [6, 5], "差": "full"}',
        "effective_from": today, "note": "调整优秀等级系数"})
    assert response.status_code == 302 and policy.get("draw.grade_multipliers")["优秀"] == [1, 4]


def test_unknown_key_is_404(client_for, admin_user):
    assert client_for(admin_user).get(url("no.such.key")).status_code == 404
