"""The background jobs of 系统数据检查: importing a batch from uploaded files, and running the rules.

Both run in ``spotcheck worker`` as the user who started them (``job.created_by``), through the same
actions as the CLI; their outcome is on the generic job page (``jobs.views``): a summary and a link
to the batch or the run, or every error (file, row and field) with nothing written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from spotcheck.jobs.runner import JobFailed

from . import actions, io
from .models import ClaimBatch


def run_import_job(job: Any) -> dict[str, Any]:
    """Import the files under ``job.file_path`` (a folder of the upload: ``000.csv``, ``001.xlsx`` … in the
    order of ``job.result["names"]``, the original file names, checked by ``base.uploads`` when they were
    uploaded) for ``job.result["period"]``; at most ``SPOTCHECK_CLAIMS_MAX_ROWS`` rows per file; the job's
    deadline is checked while the rows are read. The folder is removed afterwards."""
    folder = Path(job.file_path)
    params = job.result if isinstance(job.result, dict) else {}
    period, names = str(params.get("period", "")), [str(n) for n in params.get("names", [])]
    try:
        job.set_progress(0, 0, "正在读取并检查文件…")
        files = sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
        if len(files) != len(names):
            raise JobFailed("上传的文件已不完整，请重新上传")
        handles = [p.open("rb") for p in files]
        try:
            sources = [io.source_from_bytes(name, h, settings.SPOTCHECK_CLAIMS_MAX_ROWS)
                       for name, h in zip(names, handles, strict=True)]
            for source in sources:
                source.rows = _watched(source.rows, job)
            batch = actions.import_batch(job.created_by, sources, period)
        except io.ImportFailed as exc:
            raise JobFailed(f"导入失败：共 {len(exc.errors)} 处错误，未写入任何数据", {"errors": exc.errors}) from None
        except PermissionDenied as exc:
            raise JobFailed(str(exc) or "您没有执行此操作的权限") from None
        finally:
            for h in handles:
                h.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    summary = (f"已导入批次 {batch.pk}：就诊 {batch.visit_count} 条，结算 {batch.settlement_count} 条，"
               f"费用明细 {batch.fee_count} 条")
    job.set_progress(1, 1, summary, final=True)
    return {"summary": summary, "url": reverse("screening:batch", args=[batch.pk]), "link_text": "查看批次",
            "batch": batch.pk}


#: Rows read between two checks of the job's deadline.
_DEADLINE_EVERY = 10_000


def _watched(rows: Iterable[Any], job: Any) -> Iterator[Any]:
    """``rows``, checking every so often whether the job has run past ``SPOTCHECK_JOB_MAX_SECONDS``
    (``Job.check_deadline`` raises ``JobTimedOut``; the import's transaction rolls back)."""
    for number, row in enumerate(rows, start=1):
        if number % _DEADLINE_EVERY == 0:
            job.check_deadline()
        yield row


def run_screening_job(job: Any) -> dict[str, Any]:
    """Run every rule over the batch named in ``job.result`` (``{"batch": id}``)."""
    batch_id = (job.result or {}).get("batch") if isinstance(job.result, dict) else None
    batch = ClaimBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise JobFailed("该批次已不存在")
    try:
        run = actions.run_screening(job.created_by, batch, progress=lambda text: job.set_progress(0, 0, text))
    except actions.ActionRefused as exc:
        raise JobFailed(exc.message) from None
    except PermissionDenied as exc:
        raise JobFailed(str(exc) or "您没有执行此操作的权限") from None
    summary = f"筛查完成：疑点 {run.hit_count} 条，风险金额 {run.amount_total} 元"
    job.set_progress(1, 1, summary, final=True)
    return {"summary": summary, "url": reverse("screening:run", args=[run.pk]), "link_text": "查看筛查结果",
            "run": run.pk}
