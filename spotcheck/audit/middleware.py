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
