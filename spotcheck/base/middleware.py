"""Request checks that hold for every page and API route."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RejectNulCharactersMiddleware:
    """A query parameter containing a NUL character is refused with 400 (a Chinese message).

    No real filter value contains one; PostgreSQL refuses it in any text value, so a filter that passes
    it on would otherwise answer 500 (forms already reject it in the fields they validate)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any("\x00" in key or "\x00" in value for key, values in request.GET.lists() for value in values):
            return HttpResponseBadRequest("请求参数中含有不允许的字符（NUL）", content_type="text/plain; charset=utf-8")
        return self.get_response(request)
