from django.urls import path

from . import views, views_documents

app_name = "draws"
urlpatterns = [
    path("", views.index, name="index"),
    path("verifier/draw.py", views.verifier, name="verifier"),
    path("tasks/<int:task_id>/", views.task_page, name="task"),
    path("tasks/<int:task_id>/freeze/", views.freeze, name="freeze"),
    path("<str:draw_id>/", views.detail, name="detail"),
    path("<str:draw_id>/staffing-check/", views.staffing_check, name="staffing-check"),
    path("<str:draw_id>/staffing-override/", views.staffing_override, name="staffing-override"),
    path("<str:draw_id>/cancel/", views.cancel, name="cancel"),
    path("<str:draw_id>/propose-commit/", views.propose_commit, name="propose-commit"),
    path("<str:draw_id>/approve-commit/", views.approve_commit, name="approve-commit"),
    path("<str:draw_id>/reject/", views.reject, name="reject"),
    path("<str:draw_id>/propose-reveal/", views.propose_reveal, name="propose-reveal"),
    path("<str:draw_id>/approve-reveal/", views.approve_reveal, name="approve-reveal"),
    path("<str:draw_id>/events/request/", views.request_event, name="request-event"),
    path("<str:draw_id>/events/<int:event_id>/approve/", views.approve_event, name="approve-event"),
    path("<str:draw_id>/events/<int:event_id>/reject/", views.reject_event, name="reject-event"),
    path("<str:draw_id>/lists/<str:kind>/", views.draw_list, name="list"),
    path("<str:draw_id>/package.json", views.package, name="package"),
    path("<str:draw_id>/commitment.json", views.commitment, name="commitment"),
    path("<str:draw_id>/record.<str:fmt>", views_documents.draw_record, name="record"),
]
