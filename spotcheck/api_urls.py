"""The REST API router. Each app registers its viewsets in its own ``api.py`` via ``register(router)``."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from spotcheck.directory.api import register as register_directory
from spotcheck.draws.api import register as register_draws
from spotcheck.planning.api import register as register_planning

router = DefaultRouter()
register_directory(router)
register_planning(router)
register_draws(router)

urlpatterns = [path("", include(router.urls))]
