import pytest

from spotcheck.accounts.models import Role
from tests import factories as f


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # like every e2e test: a plain flush would re-create content types that the next serialized test loads again
def test_login_and_wrong_password(page, live_server, login, shot):
    f.user("e2e-county", Role.COUNTY_STAFF, f.YANGCHENG, display_name="阳城县测试员")
    login("e2e-county", "wrong-password")
    assert page.get_by_role("alert").inner_text().startswith("用户名或密码不正确")
    login("e2e-county", f.PASSWORD)
    page.get_by_role("heading", name="工作台").wait_for()
    assert "阳城县测试员" in page.inner_text("header")
    shot("home")
