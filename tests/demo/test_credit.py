"""The demo hook: credit files for the demo institutions, the 2023 evaluation, the 较差 showcase and its account."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from spotcheck.credit.models import CreditSubject, Evaluation
from spotcheck.demo import credit as demo
from spotcheck.directory.models import Institution


@pytest.fixture
def demo_city(db):
    call_command("demo_data", institutions=300, no_history=True, stdout=io.StringIO(), stderr=io.StringIO())


def test_load_demo(demo_city, client):
    before = dict(Institution.objects.exclude(credit_grade="").values_list("pk", "credit_grade"))
    result = demo.load_demo(1)
    assert CreditSubject.objects.count() == Institution.objects.count()
    assert result["records"] > 0 and set(result["grades"]) >= {"优秀", "良好", "中等"}
    star = Institution.objects.get(fixmedins_code=result["showcase"])
    assert star.region_id == "140522" and star.credit_grade == "较差"
    ev = Evaluation.objects.filter(subject__institution=star, cycle="2023").get()
    assert ev.score == 70 and any("800.00 元" in line["title"] for line in ev.explanation)
    # the demo reproduces the directory's grades (except the showcase)
    from_inspections = set(Institution.objects.filter(credit_subject__records__source="inspection")
                           .values_list("pk", flat=True))
    changed = [pk for pk, g in Institution.objects.exclude(credit_grade="").values_list("pk", "credit_grade")
               if pk in before and before[pk] != g and pk != star.pk and pk not in from_inspections]
    assert changed == []
    response = client.post("/accounts/login/", {"username": "demo-institution", "password": "spotcheck-demo"})
    assert response.status_code == 302
    assert client.get("/credit/mine/", follow=True).status_code == 200
    assert demo.load_demo(1) == {"skipped": True}
    demo.purge()
    assert not CreditSubject.objects.exists()
