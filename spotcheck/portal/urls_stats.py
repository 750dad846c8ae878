"""Statistics pages of the portal; included by ``portal/urls.py`` in the ``portal`` namespace."""

from django.urls import path

from . import views_stats

urlpatterns = [
    path("stats/", views_stats.stats_page, name="stats"),
    path("stats/<slug:key>.csv", views_stats.stats_csv, name="stats-csv"),
    path("stats/<slug:key>.svg", views_stats.stats_svg, name="stats-svg"),
]
