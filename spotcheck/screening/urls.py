from django.urls import path

from . import views

app_name = "screening"
urlpatterns = [
    path("", views.index, name="index"),
    path("import/", views.import_view, name="import"),
    path("batches/<int:batch_id>/", views.batch_detail, name="batch"),
    path("batches/<int:batch_id>/run/", views.run_view, name="run-batch"),
    path("runs/<int:run_id>/", views.run_detail, name="run"),
    path("runs/<int:run_id>/export.xlsx", views.run_export, name="export"),
    path("runs/<int:run_id>/flag/", views.flag_view, name="flag"),
    path("runs/<int:run_id>/institutions/<int:institution_id>/", views.run_institution, name="run-institution"),
]
