"""The Django admin never shows or makes API tokens or second factors (issue 13).

knox and django-otp register admin pages that would create tokens and authenticators outside the audited
actions (and list token digests); accounts are managed in 系统管理 → 用户. Importing their admin modules
here first lets us take the pages off again, whatever the order of INSTALLED_APPS."""

from django.contrib import admin
from django_otp.plugins.otp_totp import admin as _totp_admin  # noqa: F401 (registers TOTPDevice now)
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox import admin as _knox_admin  # noqa: F401 (registers AuthToken now)
from knox.models import AuthToken

for _model in (AuthToken, TOTPDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

# Django's own admin pages (for the installation account only: bureau roles are not staff) in Chinese.
admin.site.site_header = "医保“双随机、一公开”监管平台 · 数据管理后台"
admin.site.site_title = "数据管理后台"
admin.site.index_title = "数据管理（日常管理请使用“系统管理”页面）"
