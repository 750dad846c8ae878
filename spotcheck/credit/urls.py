"""URLs of the credit app."""

from django.urls import path

from . import views

app_name = "credit"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("public/", views.public_list, name="public-list"),
    path("evaluate/", views.evaluate_cycle, name="evaluate-cycle"),
    path("subjects/new/", views.subject_create, name="subject-create"),
    path("subjects/<int:pk>/", views.subject, name="subject"),
    path("subjects/<int:pk>/records/", views.record_create, name="record-create"),
    path("subjects/<int:pk>/evaluate/", views.evaluate, name="evaluate"),
    path("subjects/<int:pk>/objections/", views.objection_create, name="objection-create"),
    path("subjects/<int:pk>/repairs/", views.repair_create, name="repair-create"),
    path("subjects/<int:pk>/measures/", views.measure_apply, name="measure-apply"),
    path("records/<int:pk>/close/", views.record_close, name="record-close"),
    path("objections/", views.objection_list, name="objections"),
    path("objections/<int:pk>/", views.objection, name="objection"),
    path("objections/<int:pk>/resolve/", views.objection_resolve, name="objection-resolve"),
    path("repairs/", views.repair_list, name="repairs"),
    path("repairs/<int:pk>/", views.repair, name="repair"),
    path("repairs/<int:pk>/decide/", views.repair_decide, name="repair-decide"),
    path("<str:what>/<int:pk>/evidence/", views.evidence, name="evidence"),
]
