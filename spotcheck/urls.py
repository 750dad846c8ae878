from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from spotcheck.base.apidocs import ApiDocsView
from spotcheck.directory import views as directory_views

urlpatterns = [
    path("", directory_views.home, name="home"),
    path("accounts/", include("spotcheck.accounts.urls")),
    path("directory/", include("spotcheck.directory.urls")),
    path("planning/", include("spotcheck.planning.urls")),
    path("draws/", include("spotcheck.draws.urls")),
    path("inspections/", include("spotcheck.inspections.urls")),
    path("credit/", include("spotcheck.credit.urls")),
    path("portal/", include("spotcheck.portal.urls")),
    path("screening/", include("spotcheck.screening.urls")),
    path("audit/", include("spotcheck.audit.urls")),
    path("policy/", include("spotcheck.policy.urls")),
    path("jobs/", include("spotcheck.jobs.urls")),
    path("api/", include("spotcheck.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", ApiDocsView.as_view(url_name="api-schema"), name="api-docs"),  # no inline script (CSP)
    path("django-admin/", admin.site.urls),
]
