"""Content-Security-Policy: the exception of a third-party page, on its own responses only.

The policy itself is ``CONTENT_SECURITY_POLICY`` in ``settings/base.py`` (django-csp): everything from this site,
no inline script or style. Our own templates keep to it, and so does the API documentation (Swagger UI,
``base/apidocs.py``: its start-up script from a URL of its own, no inline ``<style>``). One library page cannot:
DRF's browsable API (an ``/api/…`` address opened in a browser) has a ``<style>`` block (Pygments) and ``style``
attributes in its templates, so :class:`BrowsableAPIRenderer` allows inline style on the HTML pages it renders,
nothing else: script stays ``'self'`` there, and JSON answers are unaffected.

A view of ours that ever needs an exception takes django-csp's ``@csp_update({...})`` (plus the same with
``REPORT_ONLY=True`` for installations running report-only), never a change of the global policy.

(DRF's settings import this module, so it must not import ``rest_framework.views``.)
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseBase
from rest_framework import renderers

Directives = dict[str, list[str]]

#: DRF's browsable API: the Pygments ``<style>`` block and a few ``style`` attributes.
BROWSABLE_API_EXCEPTION: Directives = {"style-src": ["'unsafe-inline'"]}


def mark(response: HttpResponseBase, directives: Directives) -> HttpResponseBase:
    """Add ``directives`` to the policy of this one response (both the enforced and the report-only header)."""
    for attr in ("_csp_update", "_csp_update_ro"):
        merged = {k: list(v) for k, v in (getattr(response, attr, None) or {}).items()}
        for key, values in directives.items():
            merged.setdefault(key, []).extend(v for v in values if v not in merged.get(key, []))
        setattr(response, attr, merged)
    return response


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """DRF's HTML pages of the API, with their exception (:data:`BROWSABLE_API_EXCEPTION`)."""

    def render(self, data: Any, accepted_media_type: str | None = None,
               renderer_context: dict[str, Any] | None = None) -> Any:
        response = (renderer_context or {}).get("response")
        if response is not None:
            mark(response, BROWSABLE_API_EXCEPTION)
        return super().render(data, accepted_media_type, renderer_context)
