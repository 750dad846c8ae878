"""The user's background jobs: a list (我的后台任务) and a status page every job kind can use.

A job function that ends well may leave in ``Job.result`` a ``summary`` (one Chinese sentence), a
``url`` and ``link_text`` (where to go next); one that fails may leave ``errors`` (Chinese lines, e.g.
file, row and field). Kinds with a page of their own (the directory's imports and exports) are
linked there. Users see their own jobs; ``admin`` sees all (``Job.objects.restrict``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from .models import Job
from .tasks import kind_label, status_page, worker_missing

#: Errors listed on the status page (the rest are counted).
SHOWN_ERRORS = 200


def _decorate(job: Job) -> Job:
    job.label = kind_label(job.kind)  # type: ignore[attr-defined]
    job.url = reverse(status_page(job.kind), args=[job.pk])  # type: ignore[attr-defined]
    return job


@login_required
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    page = Paginator(Job.objects.restrict(user).select_related("created_by"), 30).get_page(request.GET.get("page"))
    for job in page:
        _decorate(job)
    return render(request, "jobs/list.html", {"page": page})


@login_required
@require_GET
def job_status(request: HttpRequest, job_id: int) -> HttpResponse:
    """Progress of a job (the fragment alone for htmx polls), then its outcome and where to go next."""
    user: Any = request.user
    job = _decorate(get_object_or_404(Job.objects.restrict(user).select_related("created_by"), pk=job_id))
    if status_page(job.kind) != "jobs:status":
        return redirect(job.url)  # type: ignore[attr-defined]
    result = job.result if job.finished and isinstance(job.result, dict) else {}
    errors = [str(e) for e in result.get("errors", [])] if job.status == Job.Status.FAILED else []
    context = {"job": job, "result": result, "errors": errors[:SHOWN_ERRORS],
               "hidden_errors": max(0, len(errors) - SHOWN_ERRORS),
               "worker_missing": job.status == Job.Status.QUEUED and worker_missing()}
    if request.headers.get("HX-Request"):
        return render(request, "jobs/progress.html", context)
    return render(request, "jobs/status.html", context)
