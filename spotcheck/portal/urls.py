"""URLs of the portal app: public pages (no login), open data, the Atom feed and the bureau pages."""

from importlib.util import find_spec

from django.urls import path

from . import exports, views, views_checkpoints, views_manage
from .feeds import PublicationFeed
from .ratelimit import public_view

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("items/", views.item_lists, name="items"),
    path("tasks/", views.task_list, name="tasks"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("draws/<str:draw_id>/", views.draw_detail, name="draw"),
    path("draws/<str:draw_id>/commitment.json", views.draw_commitment, name="draw-commitment"),
    path("draws/<str:draw_id>/package.json", views.draw_package, name="draw-package"),
    path("results/", views.result_list, name="results"),
    path("results/<int:pk>/", views.result_detail, name="result"),
    path("institutions/", views.institution_list, name="institutions"),
    path("institutions/<str:code>/", views.institution_detail, name="institution"),
    path("verify/", views.verify_guide, name="verify"),
    path("audit/checkpoints/", views_checkpoints.checkpoint_list, name="audit-checkpoints"),
    path("audit/checkpoints.json", views_checkpoints.checkpoints_json, name="audit-checkpoints-json"),
    path("audit/checkpoints/<int:pk>.json", views_checkpoints.checkpoint_json, name="audit-checkpoint-json"),
    path("audit/public-key.pem", views_checkpoints.public_key, name="audit-public-key"),
    path("data/", views.data_index, name="data"),
    path("data/results.csv", exports.results_csv, name="results-csv"),
    path("data/results.json", exports.results_json, name="results-json"),
    path("data/tasks.csv", exports.tasks_csv, name="tasks-csv"),
    path("data/tasks.json", exports.tasks_json, name="tasks-json"),
    path("feed.atom", public_view(PublicationFeed()), name="feed"),
    path("manage/", views_manage.manage, name="manage"),
    path("manage/publish/", views_manage.publish, name="publish"),
    path("manage/publications/<int:pk>/correct/", views_manage.correct, name="correct"),
]

if find_spec("spotcheck.portal.urls_stats") is not None:  # statistics pages (urls_stats.py, same namespace)
    from .urls_stats import urlpatterns as stats_urlpatterns

    urlpatterns += stats_urlpatterns

