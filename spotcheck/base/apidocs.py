"""The API documentation page (Swagger UI, ``/api/docs/``) under the Content-Security-Policy (``base/csp.py``):
drf-spectacular's split view serves the start-up script from ``?script`` instead of inline, and our template
(``spotcheck/swagger_ui.html``) links the page rules instead of an inline ``<style>``. No exception is needed."""

from __future__ import annotations

from drf_spectacular.views import SpectacularSwaggerSplitView


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI without inline script or inline ``<style>``."""

    template_name = "spotcheck/swagger_ui.html"
