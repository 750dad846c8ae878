from collections.abc import Callable
from typing import Any

from .context import new_request_id, request_context


class RequestContextMiddleware:
    """Gives every request an id (echoed as ``X-Request-ID``) used by its audit events."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        rid = new_request_id()
        request.request_id = rid
        with request_context(rid):
            response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response

    def process_exception(self, request: Any, exception: Exception) -> Any:
        """A step refused because its row was changed behind the application: 409 with the reason."""
        from django.http import JsonResponse
        from django.shortcuts import render
        from django.utils.http import url_has_allowed_host_and_scheme

        from .guard import TamperedRow

        if not isinstance(exception, TamperedRow):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": exception.message}, status=409)
        back = request.META.get("HTTP_REFERER", "")
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = "/"
        return render(request, "audit/tampered.html",
                      {"message": exception.message, "back": back, "request_id": getattr(request, "request_id", "")},
                      status=409)
