from django.urls import path

from . import views

app_name = "directory"
urlpatterns = [
    path("institutions/", views.institution_list, name="institution-list"),
    path("inspectors/", views.inspector_list, name="inspector-list"),
    path("conflicts/", views.conflict_list, name="conflict-list"),
]
