"""The REST API router. Each app registers its viewsets in its own ``api.py`` via ``register(router)``."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from spotcheck.credit.api import register as register_credit
from spotcheck.directory.api import register as register_directory
from spotcheck.draws.api import register as register_draws
from spotcheck.inspections.api import register as register_inspections
from spotcheck.planning.api import register as register_planning
from spotcheck.portal.api import register as register_portal
from spotcheck.screening.api import register as register_screening

router = DefaultRouter()
register_directory(router)
register_planning(router)
register_draws(router)
register_inspections(router)
register_credit(router)
register_portal(router)
register_screening(router)

urlpatterns = [path("", include(router.urls))]
