"""Pages, area scope, the 重点监控 flag with its audit events, export and the API."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from spotcheck.accounts.models import Role
from spotcheck.audit.models import AuditEvent
from spotcheck.base.models import AppendOnlyError
from spotcheck.directory.models import Institution
from spotcheck.screening import actions
from spotcheck.screening.io import source_from_bytes
from spotcheck.screening.models import Hit, ScreeningRun
from tests import factories as f
from tests.factories import claim_rows, files_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(insts, admin_user):
    """Over-price hits at y1 (阳城县) and h1 (怀仁市)."""
    rows = claim_rows(insts)
    rows["fee_list_d"][2]["pric"] = "13.00"
    rows["fee_list_d"][2]["det_item_fee_sumamt"] = "26.00"
    batch = actions.import_batch(admin_user, [source_from_bytes(n, d) for n, d in files_of(rows).items()], "2023-10")
    return actions.run_screening(admin_user, batch)


def test_run_records_counts_parameters_and_audit(run):
    assert run.hit_count == 2 and run.counts["over_price"] == 2
    assert str(run.amount_total) == "8.00"  # (15-12)*2 + (13-12)*2
    assert run.parameters["screening.readmission_days"] == 15
    assert AuditEvent.objects.filter(action="screening.run", object_id=str(run.pk)).exists()


def test_runs_and_hits_are_append_only(run):
    with pytest.raises(AppendOnlyError):
        run.save()
    with pytest.raises(AppendOnlyError):
        Hit.objects.filter(run=run).update(amount=0)
    with pytest.raises(AppendOnlyError):
        ScreeningRun.objects.all().delete()


def test_admin_sees_all_institutions(run, admin_user, client_for, insts):
    page = client_for(admin_user).get(f"/screening/runs/{run.pk}/").content.decode()
    assert insts["y1"].fixmedins_code in page and insts["h1"].fixmedins_code in page


def test_county_sees_only_its_institutions(run, county_user, client_for, insts):
    c = client_for(county_user)
    page = c.get(f"/screening/runs/{run.pk}/").content.decode()
    assert insts["y1"].fixmedins_code in page and insts["h1"].fixmedins_code not in page
    assert c.get(f"/screening/runs/{run.pk}/institutions/{insts['y1'].pk}/").status_code == 200
    assert c.get(f"/screening/runs/{run.pk}/institutions/{insts['h1'].pk}/").status_code == 404
    wb = load_workbook(io.BytesIO(c.get(f"/screening/runs/{run.pk}/export.xlsx").content))
    codes = [r[0] for r in wb["机构汇总"].iter_rows(min_row=2, values_only=True)]
    assert codes == [insts["y1"].fixmedins_code]
    hits = list(wb["疑点明细"].iter_rows(min_row=2, values_only=True))
    assert len(hits) == 1 and "*" in hits[0][5] and hits[0][5] != "14000000000000000001"


def test_batch_without_data_in_area_is_404(insts, admin_user, client_for):
    only_huairen = {"h1": insts["h1"]}
    batch = actions.import_batch(admin_user, [source_from_bytes(n, d) for n, d in files_of(
        claim_rows(only_huairen, "h1")).items()], "2023-10")
    run = actions.run_screening(admin_user, batch)
    c = client_for(f.user("t-yc2", Role.COUNTY_STAFF, f.YANGCHENG))
    assert c.get(f"/screening/batches/{batch.pk}/").status_code == 404
    assert c.get(f"/screening/runs/{run.pk}/").status_code == 404
    assert c.post(f"/screening/batches/{batch.pk}/run/").status_code == 404
    assert c.get("/api/screening/runs/").json()["count"] == 0


def test_drilldown_masks_person(run, admin_user, client_for, insts):
    page = client_for(admin_user).get(f"/screening/runs/{run.pk}/institutions/{insts['y1'].pk}/").content.decode()
    assert "超标准收费" in page and "1400" in page and "14000000000000000001" not in page


def test_sorting_by_amount_and_hits(run, admin_user, client_for, insts):
    c = client_for(admin_user)
    page = c.get(f"/screening/runs/{run.pk}/?sort=amount").content.decode()
    assert page.index(insts["h1"].fixmedins_code) < page.index(insts["y1"].fixmedins_code)
    page = c.get(f"/screening/runs/{run.pk}/?sort=-amount").content.decode()
    assert page.index(insts["y1"].fixmedins_code) < page.index(insts["h1"].fixmedins_code)


def test_inspector_may_view_but_not_run_or_flag(run, inspector_user, client_for, insts):
    c = client_for(inspector_user)
    assert c.get(f"/screening/runs/{run.pk}/").status_code == 200
    assert c.post(f"/screening/batches/{run.batch_id}/run/").status_code == 403
    resp = c.post(f"/screening/runs/{run.pk}/flag/", {"institutions": [insts["y1"].pk], "reason": "x"})
    assert resp.status_code == 403
    assert not Institution.objects.get(pk=insts["y1"].pk).risk_flag


def test_flag_sets_risk_flag_with_audit(run, county_user, client_for, insts):
    c = client_for(county_user)
    resp = c.post(f"/screening/runs/{run.pk}/flag/", {"institutions": [insts["y1"].pk], "reason": "超标准收费集中"})
    assert resp.status_code == 302
    assert Institution.objects.get(pk=insts["y1"].pk).risk_flag
    ev = AuditEvent.objects.get(action="institution.risk_flag", object_id=str(insts["y1"].pk))
    assert ev.before == {"risk_flag": False} and ev.after == {"risk_flag": True}
    assert "超标准收费集中" in ev.reason and ev.region_code == f.YANGCHENG
    assert ev.actor_name == county_user.username


def test_flag_refuses_other_area_and_missing_reason(run, county_user, client_for, insts):
    c = client_for(county_user)
    resp = c.post(f"/screening/runs/{run.pk}/flag/", {"institutions": [insts["h1"].pk], "reason": "x"})
    assert resp.status_code == 400  # not among the choices of a county user
    resp = c.post(f"/screening/runs/{run.pk}/flag/", {"institutions": [insts["y1"].pk], "reason": ""})
    assert resp.status_code == 400 and "理由" in resp.content.decode()
    assert not Institution.objects.filter(risk_flag=True).exists()
    assert not AuditEvent.objects.filter(action="institution.risk_flag").exists()


def test_flagged_institution_enters_directed_scope(run, admin_user, insts):
    from spotcheck.planning import scope

    actions.flag_institutions(admin_user, run, [insts["y1"]], "筛查发现")
    qs = scope.apply_scope_filters(Institution.objects.all(), {"risk_flag": True})
    assert list(qs.values_list("pk", flat=True)) == [insts["y1"].pk]


def test_api_hits_scoped_and_masked(run, county_user, client_for, insts):
    c = client_for(county_user)
    data = c.get(f"/api/screening/hits/?run={run.pk}").json()
    assert data["count"] == 1
    hit = data["results"][0]
    assert hit["fixmedins_code"] == insts["y1"].fixmedins_code and "*" in hit["psn_no"]
    data = c.get(f"/api/screening/runs/{run.pk}/").json()
    assert data["hit_count"] == 1 and data["counts"]["over_price"] == 1 and data["amount_total"] == "6.00"
    batches = c.get("/api/screening/batches/").json()
    assert batches["count"] == 1 and batches["results"][0]["fee_count"] == 2  # not 怀仁's line


def test_index_and_batch_pages(run, county_user, client_for):
    c = client_for(county_user)
    assert "批次" in c.get("/screening/").content.decode()
    page = c.get(f"/screening/batches/{run.batch_id}/").content.decode()
    assert "运行筛查规则" in page and "140522" in page and "140681" not in page
    assert "就诊 2 条" in page  # 怀仁's visit is not counted


def test_admin_api_run_totals(run, admin_user, client_for):
    data = client_for(admin_user).get(f"/api/screening/runs/{run.pk}/").json()
    assert data["hit_count"] == 2 and data["amount_total"] == "8.00"


def test_running_the_rules_from_the_page_is_a_background_job(run, county_user, client_for):
    """The button queues a job; its page gives the outcome and links the new run; the job list shows it,
    and another user of the same area does not see it."""
    from spotcheck.jobs.models import Job

    client = client_for(county_user)
    resp = client.post(f"/screening/batches/{run.batch_id}/run/")
    job = Job.objects.get(kind="screening:run")
    assert resp.status_code == 302 and resp["Location"] == f"/jobs/{job.pk}/"
    new = ScreeningRun.objects.exclude(pk=run.pk).get()
    assert job.status == Job.Status.SUCCEEDED and job.result["run"] == new.pk and job.created_by == county_user
    page = client.get(resp["Location"]).content.decode()
    assert "运行筛查规则" in page and "筛查完成" in page and f"/screening/runs/{new.pk}/" in page
    assert f"/jobs/{job.pk}/" in client.get("/jobs/").content.decode()
    colleague = f.user("t-county-jobs", Role.COUNTY_STAFF, f.YANGCHENG)
    other = client_for(colleague)
    assert other.get(resp["Location"]).status_code == 404
    assert f"/jobs/{job.pk}/" not in other.get("/jobs/").content.decode()
