from django.urls import include, path

from . import views

app_name = "policy"
urlpatterns = [
    path("", views.index, name="index"),
    path("holidays/", include("spotcheck.policy.urls_holidays")),
    path("<str:key>/", views.detail, name="detail"),
]
