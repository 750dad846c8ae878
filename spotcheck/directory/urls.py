from django.urls import path

from . import views, views_io

app_name = "directory"
urlpatterns = [
    # lists, detail, create, edit (views.py)
    path("institutions/", views.institution_list, name="institution-list"),
    path("institutions/new/", views.institution_create, name="institution-create"),
    path("institutions/<int:pk>/", views.institution_detail, name="institution-detail"),
    path("institutions/<int:pk>/edit/", views.institution_edit, name="institution-edit"),
    path("institutions/<int:pk>/risk-flag/", views.institution_risk_flag, name="institution-risk-flag"),
    path("inspectors/", views.inspector_list, name="inspector-list"),
    path("inspectors/new/", views.inspector_create, name="inspector-create"),
    path("inspectors/<int:pk>/", views.inspector_detail, name="inspector-detail"),
    path("inspectors/<int:pk>/edit/", views.inspector_edit, name="inspector-edit"),
    path("inspectors/<int:pk>/absences/new/", views.absence_create, name="absence-create"),
    path("inspectors/<int:pk>/absences/<int:absence_pk>/delete/", views.absence_delete, name="absence-delete"),
    path("conflicts/", views.conflict_list, name="conflict-list"),
    path("conflicts/new/", views.conflict_create, name="conflict-create"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict-detail"),
    path("conflicts/<int:pk>/edit/", views.conflict_edit, name="conflict-edit"),
    # search box of the 回避登记 form: ?q= part of a name or code; <kind> is inspectors | institutions
    path("lookup/<str:kind>/", views.lookup, name="lookup"),
    path("regions/", views.region_list, name="region-list"),
    path("departments/", views.department_list, name="department-list"),
    # Excel / CSV import and export (views_io.py); <kind> is institutions | inspectors | conflicts
    path("<str:kind>/export/", views_io.export_list, name="export"),
    path("<str:kind>/template/", views_io.download_template, name="template"),
    path("<str:kind>/import/", views_io.import_upload, name="import"),
    path("imports/<int:job_id>/", views_io.import_status, name="import-status"),
    path("exports/<int:job_id>/", views_io.export_status, name="export-status"),
]
