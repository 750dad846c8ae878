"""Public pages of the audit checkpoints (``spotcheck.audit.checkpoints``): anyone can save them and later
hold the bureau to its history. No login, GET only, rate-limited like every public page (``ratelimit``).

- ``audit/checkpoints/``: the table (序号, 链哈希, 北京时间, 签名密钥标识, download);
- ``audit/checkpoints.json``: the list, newest first, with the public key once at the top;
- ``audit/checkpoints/<id>.json``: one checkpoint with its public key (what ``audit checkpoint`` prints);
- ``audit/public-key.pem``: the current signing public key.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from spotcheck.audit import checkpoints
from spotcheck.audit.models import Checkpoint

from .ratelimit import public_view

PAGE_SIZE = 50


def _json(data: Any, filename: str, disposition: str = "inline") -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    response = HttpResponse(body.encode("utf-8"), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    return response


@public_view
def checkpoint_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(Checkpoint.objects.order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    current = checkpoints.current_public_key()
    return render(request, "portal/checkpoints.html", {
        "page": page, "key_id": current[0] if current else "", "has_key": current is not None})


@public_view
def checkpoints_json(request: HttpRequest) -> HttpResponse:
    return _json(checkpoints.published_list(), "checkpoints.json")


@public_view
def checkpoint_json(request: HttpRequest, pk: int) -> HttpResponse:
    cp = get_object_or_404(Checkpoint, pk=pk)
    return _json(checkpoints.to_dict(cp), f"checkpoint-{cp.seq}-{cp.pk}.json", "attachment")


@public_view
def public_key(request: HttpRequest) -> HttpResponse:
    current = checkpoints.current_public_key()
    if current is None:
        raise Http404
    response = HttpResponse(current[1], content_type="application/x-pem-file; charset=us-ascii")
    response["Content-Disposition"] = 'inline; filename="public-key.pem"'
    return response
