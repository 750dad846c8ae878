import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from spotcheck.directory import actions
from spotcheck.directory.models import Institution
from tests import factories as f


@pytest.fixture
def two_areas(db):
    return f.institution(f.YANGCHENG), f.institution(f.HUAIREN)


def codes(qs):
    return {i.region_id for i in qs}


def test_county_sees_only_its_county(two_areas, county_user):
    assert codes(Institution.objects.restrict(county_user)) == {f.YANGCHENG}


def test_city_sees_its_counties_only(two_areas, city_user):
    assert codes(Institution.objects.restrict(city_user)) == {f.HUAIREN}


def test_admin_and_auditor_see_all(two_areas, admin_user, auditor_user):
    assert codes(Institution.objects.restrict(admin_user)) == {f.YANGCHENG, f.HUAIREN}
    assert codes(Institution.objects.restrict(auditor_user)) == {f.YANGCHENG, f.HUAIREN}


def test_auditor_and_inspector_cannot_change(two_areas, auditor_user, inspector_user):
    assert not Institution.objects.restrict(auditor_user, "change").exists()
    assert not Institution.objects.restrict(inspector_user, "change").exists()
    with pytest.raises(PermissionDenied):
        actions.update(auditor_user, two_areas[0], {"name": "x"})


def test_cross_area_write_refused(two_areas, county_user):
    yc, hr = two_areas
    with pytest.raises(PermissionDenied):
        actions.update(county_user, hr, {"name": "越权修改"})
    # moving a row out of one's area is refused too (code must match the area, so change both)
    with pytest.raises((PermissionDenied, ValidationError)):
        actions.update(county_user, yc, {"region_id": f.HUAIREN})
    assert Institution.objects.get(pk=hr.pk).name != "越权修改"


def test_scoped_user_without_area_sees_nothing(two_areas):
    u = f.user("no-area", region_code="")
    assert not Institution.objects.restrict(u).exists()


def test_validation_messages_are_chinese(county_user):
    with pytest.raises(ValidationError) as exc:
        actions.create(county_user, Institution, {
            "fixmedins_code": "H14052200001", "name": "坏代码医院", "uscc": "91350100M000100Y44",
            "kind": "H", "category": "hospital", "region_id": f.HUAIREN,
        })
    errs = exc.value.message_dict
    assert "校验" in errs["uscc"][0]
    assert "140681" in errs["fixmedins_code"][0]
