"""URLs of the inspections app."""

from django.urls import include, path

from . import urls_documents, views

app_name = "inspections"

urlpatterns = [
    path("", views.index, name="index"),
    path("mine/", views.mine, name="mine"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("referrals/", views.referrals, name="referrals"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("generate/<str:draw_id>/", views.generate, name="generate"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/record/", views.record_page, name="record"),
    path("<int:pk>/notify/", views.notify, name="notify"),
    path("<int:pk>/draft/", views.draft, name="draft"),
    path("<int:pk>/checklist/", views.checklist, name="checklist"),
    path("<int:pk>/findings/", views.add_finding, name="finding-add"),
    path("<int:pk>/findings/<int:finding_id>/decide/", views.decide_finding, name="finding-decide"),
    path("<int:pk>/findings/<int:finding_id>/void/", views.void_finding, name="finding-void"),
    path("<int:pk>/evidence/", views.add_evidence, name="evidence-add"),
    path("<int:pk>/result/", views.record_result, name="result"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/refer/", views.refer, name="refer"),
    path("<int:pk>/rectifications/", views.order_rectification, name="rectification-order"),
    path("referrals/<int:referral_id>/receipt/", views.referral_receipt, name="referral-receipt"),
    path("rectifications/<int:rect_id>/submit/", views.submit_rectification, name="rectification-submit"),
    path("rectifications/<int:rect_id>/close/", views.close_rectification, name="rectification-close"),
    path("evidence/<int:evidence_id>/", views.evidence_file, name="evidence-file"),
    path("lenience/", include("spotcheck.inspections.urls_lenience")),
    *urls_documents.urlpatterns,
]
