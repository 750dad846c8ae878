from django.urls import path

from . import views

app_name = "planning"
urlpatterns = [
    path("", views.index, name="index"),
    path("examples/load/", views.examples_load, name="examples-load"),
    # 抽查事项清单
    path("lists/new/", views.itemlist_create, name="itemlist-create"),
    path("lists/<int:pk>/", views.itemlist_detail, name="itemlist-detail"),
    path("lists/<int:pk>/edit/", views.itemlist_edit, name="itemlist-edit"),
    path("lists/<int:pk>/delete/", views.itemlist_delete, name="itemlist-delete"),
    path("lists/<int:pk>/export/", views.itemlist_export, name="itemlist-export"),
    path("lists/<int:pk>/import/", views.itemlist_import, name="itemlist-import"),
    path("lists/<int:list_pk>/items/new/", views.item_create, name="item-create"),
    path("items/<int:pk>/", views.item_detail, name="item-detail"),
    path("items/<int:pk>/edit/", views.item_edit, name="item-edit"),
    path("items/<int:pk>/delete/", views.item_delete, name="item-delete"),
    # 年度抽查计划
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<int:pk>/delete/", views.plan_delete, name="plan-delete"),
    # 抽查任务
    path("tasks/", views.task_list, name="task-list"),
    path("plans/<int:plan_pk>/tasks/new/", views.task_create, name="task-create"),
    path("tasks/<int:pk>/", views.task_detail, name="task-detail"),
    path("tasks/<int:pk>/edit/", views.task_edit, name="task-edit"),
    path("tasks/<int:pk>/delete/", views.task_delete, name="task-delete"),
    path("tasks/<int:pk>/scope-list/", views.task_scope_upload, name="task-scope-upload"),
    path("tasks/scope-template/", views.scope_template, name="scope-template"),
]
