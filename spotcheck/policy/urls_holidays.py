"""URLs of the holiday table page, included by ``policy.urls`` under ``holidays/`` (before ``<str:key>/``).

No ``app_name``: the names live in the including namespace (``policy:holiday-list`` …).
"""

from django.urls import path

from . import views_holidays as views

urlpatterns = [
    path("", views.holiday_list, name="holiday-list"),
    path("add/", views.holiday_add, name="holiday-add"),
    path("import/", views.holiday_import, name="holiday-import"),
    path("<str:day>/remove/", views.holiday_remove, name="holiday-remove"),
]
