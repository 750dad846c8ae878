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
        from django.http import HttpResponse, JsonResponse
        from django.utils.html import escape

        from .guard import TamperedRow

        if not isinstance(exception, TamperedRow):
            return None
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": exception.message}, status=409)
        return HttpResponse(
            f"<!doctype html><meta charset=utf-8><title>数据与审计记录不一致</title>"
            f"<h1>无法执行此操作</h1><p>{escape(exception.message)}</p><p><a href=\"javascript:history.back()\">返回</a></p>",
            status=409, content_type="text/html; charset=utf-8",
        )
