"""URLs of the 包容审慎清单 and violation catalogue pages, included by ``inspections.urls`` under ``lenience/``.

No ``app_name``: the names live in the including namespace (``inspections:lenience-index`` …).
"""

from django.urls import path

from . import views_lenience as views

urlpatterns = [
    path("", views.index, name="lenience-index"),
    path("entries/add/", views.entry_add, name="lenience-entry-add"),
    path("entries/<int:pk>/", views.entry_edit, name="lenience-entry-edit"),
    path("circumstances/add/", views.circumstance_add, name="circumstance-add"),
    path("circumstances/<int:pk>/", views.circumstance_edit, name="circumstance-edit"),
    path("violations/add/", views.violation_add, name="violation-add"),
    path("violations/<int:pk>/", views.violation_edit, name="violation-edit"),
]
