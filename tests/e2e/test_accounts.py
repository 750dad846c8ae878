"""A new deployment administered in the product's pages: the 系统管理员 makes an account, its holder signs in
with the one-time password, must first enrol a second factor, then change the password, and next time signs
in with password and code."""

from __future__ import annotations

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from spotcheck.accounts.models import Role, User
from tests import factories as f


def _code(username: str, offset: int = 0) -> str:
    d = TOTPDevice.objects.get(user__username=username)
    # the device's own drift: django-otp records it when a code is accepted across a time-step boundary
    return f"{totp(d.bin_key, step=d.step, t0=d.t0, digits=d.digits, drift=d.drift + offset):06d}"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_account_from_creation_to_two_factor_sign_in(page, live_server, login, shot, settings):
    settings.SPOTCHECK_TWO_FACTOR_ROLES = frozenset({Role.COUNTY_STAFF})
    f.user("e2e-sysadmin", Role.ADMIN, "", display_name="系统管理员甲")
    login("e2e-sysadmin", f.PASSWORD)
    page.get_by_role("link", name="系统管理", exact=True).click()
    page.get_by_role("link", name="新建账号").click()
    page.get_by_label("用户名").fill("e2e-new")
    page.get_by_label("姓名").fill("新同事")
    page.get_by_label("角色").select_option(Role.COUNTY_STAFF)
    page.get_by_label("所属区域").fill(f.YANGCHENG)
    page.get_by_role("button", name="建立账号").click()
    secret = page.locator("code.token").inner_text()
    shot("one-time-password")
    assert User.objects.get(username="e2e-new").must_change_password

    page.get_by_role("button", name="退出").click()
    login("e2e-new", secret)
    page.get_by_role("heading", name="设置两步验证").wait_for()
    assert page.locator("img[alt='两步验证二维码']").is_visible()
    shot("enrol")
    page.get_by_label("验证码").fill(_code("e2e-new"))
    page.get_by_role("button", name="完成设置").click()
    page.get_by_role("heading", name="恢复码").wait_for()
    assert page.locator("ul.codes li").count() == 10
    page.get_by_role("link", name="我已保存，继续").click()
    page.get_by_role("heading", name="修改密码").wait_for()
    page.locator("#id_old_password").fill(secret)
    page.locator("#id_new_password1").fill("Xin-Tong-Shi-2026")
    page.locator("#id_new_password2").fill("Xin-Tong-Shi-2026")
    page.get_by_role("button", name="保存").click()
    page.get_by_role("heading", name="工作台").wait_for()

    page.get_by_role("button", name="退出").click()
    login("e2e-new", "Xin-Tong-Shi-2026")
    page.get_by_role("heading", name="两步验证").wait_for()
    page.get_by_label("验证码").fill(_code("e2e-new", 1))
    page.get_by_role("button", name="验证").click()
    page.get_by_role("heading", name="工作台").wait_for()
    shot("signed-in")
