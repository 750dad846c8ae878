"""Background jobs: runner outcomes and visibility (the queue and the worker: test_queue.py)."""

from __future__ import annotations

from spotcheck.jobs.models import Job
from spotcheck.jobs.runner import JobFailed, run
from tests import factories as f


def make_job(user, **extra):
    return Job.objects.create(kind="test", created_by=user, region_code=user.region_code, **extra)


def test_run_stores_result_and_progress(county_user):
    job = make_job(county_user)

    def work(j):
        j.set_progress(5, 10, "一半")
        assert Job.objects.get(pk=j.pk).done == 5  # progress is written at once
        j.set_progress(10)
        return {"answer": 42}

    run(job.pk, work)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED and job.result == {"answer": 42}
    assert (job.done, job.total, job.percent) == (10, 10, 100) and job.started_at and job.finished_at


def test_expected_failure_keeps_message_and_result(county_user):
    job = make_job(county_user)

    def work(j):
        raise JobFailed("导入失败：共 1 处错误", {"errors": [[2, "列", "错"]]})

    job = run(job.pk, work)
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and job.message == "导入失败：共 1 处错误"
    assert job.result == {"errors": [[2, "列", "错"]]}


def test_unexpected_exception_fails_with_generic_message(county_user, caplog):
    job = make_job(county_user)

    def work(j):
        raise RuntimeError("boom")

    job = run(job.pk, work)
    assert job.status == Job.Status.FAILED and "内部错误" in job.message and "boom" not in job.message
    assert "boom" in caplog.text


def test_run_only_runs_a_queued_job_once(county_user):
    job = make_job(county_user)
    calls = []
    run(job.pk, calls.append)
    again = run(job.pk, calls.append)  # a second delivery of the same task
    assert len(calls) == 1 and again.status == Job.Status.SUCCEEDED


def test_visibility_own_jobs_or_admin_all(county_user, huairen_user, admin_user):
    mine, theirs = make_job(county_user), make_job(huairen_user)
    assert list(Job.objects.restrict(county_user)) == [mine]
    assert set(Job.objects.restrict(admin_user)) == {mine, theirs}
    colleague = f.user("t-colleague", region_code=f.YANGCHENG)
    assert not Job.objects.restrict(colleague).exists()
