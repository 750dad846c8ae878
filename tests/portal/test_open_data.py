"""Open data: CSV and JSON exports of results and tasks, the Atom feed."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from spotcheck.portal import actions

from .test_public import text

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def pubs(inspections, county_user):
    out = [actions.publish(county_user, i) for i in inspections]
    out.append(actions.correct(county_user, out[0], "处理情况补充", {"handling": "责令退回 1,200.50 元"}))
    return out


def test_results_csv_has_a_header_and_current_rows(client, pubs):
    response = client.get(reverse("portal:results-csv"))
    assert response["Content-Type"].startswith("text/csv") and "results.csv" in response["Content-Disposition"]
    body = text(response)
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["公示编号", "版本", "状态", "定点医药机构编码"]
    ids = {int(r[0]) for r in rows[1:]}
    assert ids == {p.pk for p in pubs[1:]}  # the corrected first version is left out by default
    corrected = next(r for r in rows[1:] if int(r[0]) == pubs[-1].pk)
    assert corrected[1] == "2" and "责令退回 1,200.50 元" in corrected and "处理情况补充" in corrected
    everything = list(csv.reader(io.StringIO(text(client.get(reverse("portal:results-csv") + "?all=1")))))
    assert any(r[0] == str(pubs[0].pk) and r[2] == "已更正" for r in everything[1:])


def test_results_json_matches_the_filters(client, pubs):
    data = client.get(reverse("portal:results-json") + "?result=corrected&all=1").json()
    assert data["count"] == len(pubs) and data["fields"]["result"] == "检查结果"
    row = next(r for r in data["rows"] if r["id"] == pubs[-1].pk)
    assert row["supersedes"] == pubs[0].pk and row["url"].endswith(reverse("portal:result", args=[pubs[-1].pk]))
    assert row["team"] and "cert_number" not in row  # team as text, per policy
    assert client.get(reverse("portal:results-json") + "?result=no_problem").json()["count"] == 0


def test_tasks_exports(client, pubs, started):
    data = client.get(reverse("portal:tasks-json")).json()
    assert data["count"] == 1
    row = data["rows"][0]
    assert row["draw_id"] == started.draw_id and row["commit"] == started.commit and row["stage"] == "已公布抽取结果"
    assert row["drawn"] == started.assignments.filter(active=True).count()
    rows = list(csv.reader(io.StringIO(text(client.get(reverse("portal:tasks-csv"))))))
    assert rows[0][0] == "任务编号" and rows[1][0] == str(started.task_id)
    assert client.get(reverse("portal:tasks-json") + "?area=140681").json()["count"] == 0


def test_atom_feed_lists_new_publications_and_corrections(client, pubs):
    response = client.get(reverse("portal:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(pubs)
    titles = [e.find(f"{ATOM}title").text for e in entries]
    assert titles[0].startswith("【更正】") and pubs[0].snapshot["institution"]["name"] in titles[0]
    links = [e.find(f"{ATOM}link").get("href") for e in entries]
    assert any(link.endswith(reverse("portal:result", args=[pubs[1].pk])) for link in links)
    summary = entries[0].find(f"{ATOM}summary").text
    assert "更正原因：处理情况补充" in summary


def test_a_formula_typed_into_a_name_stays_text_in_the_open_data(client, inspections, county_user):
    """CSV injection: a cell beginning with = + - @ is written with a leading apostrophe (shown as text)."""
    from spotcheck.directory.models import Institution

    formula = '=HYPERLINK("http://example.invalid","点我")'
    Institution.objects.filter(pk=inspections[0].institution_id).update(name=formula)
    actions.publish(county_user, inspections[0])
    rows = list(csv.reader(io.StringIO(text(client.get(reverse("portal:results-csv"))))))
    cells = [c for r in rows[1:] for c in r]
    assert "'" + formula in cells and formula not in cells
