"""The Django admin never lists API tokens (the token is the secret itself; issue 13).

DRF's authtoken app registers its token admin when the admin site discovers it; importing that
module here first lets us take it off again, whatever the order of INSTALLED_APPS."""

from django.contrib import admin
from rest_framework.authtoken import admin as _token_admin  # noqa: F401 (registers TokenProxy now)
from rest_framework.authtoken.models import TokenProxy

if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
