import pytest
from django.urls import reverse

from spotcheck.audit.actions import record
from spotcheck.audit.models import AuditEvent
from tests import factories as f


@pytest.fixture
def events(db, county_user):
    a = f.institution(f.YANGCHENG)
    b = f.institution(f.HUAIREN)
    return record(county_user, "note", a), record(county_user, "note", b)


def test_auditor_sees_log_and_detail(client_for, auditor_user, events):
    c = client_for(auditor_user)
    r = c.get(reverse("audit:list"), {"action": "note"})
    assert r.status_code == 200 and len(r.context["page"]) == 2
    assert c.get(reverse("audit:detail", args=[events[1].seq])).status_code == 200


def test_object_id_filter_is_exact(client_for, auditor_user, county_user, db):
    insts = [f.institution() for _ in range(11)]
    for inst in insts:
        record(county_user, "note", inst)
    c = client_for(auditor_user)
    r = c.get(reverse("audit:list"), {"object_type": "directory.institution", "object_id": str(insts[0].pk)})
    assert [e.object_id for e in r.context["page"]] == [str(insts[0].pk)]


@pytest.mark.parametrize("who", ["county_user", "inspector_user", "city_user"])
def test_non_auditors_refused(request, client_for, who, events):
    c = client_for(request.getfixturevalue(who))
    assert c.get(reverse("audit:list")).status_code == 403
    assert c.get(reverse("audit:detail", args=[events[0].seq])).status_code == 403
    assert c.post(reverse("audit:verify")).status_code == 403


def test_verify_page_reports_tampering(client_for, admin_user, events):
    c = client_for(admin_user)
    assert "哈希链完整" in c.post(reverse("audit:verify")).content.decode()
    AuditEvent.objects.filter(seq=events[0].seq).update(reason="改")
    assert "已被改动" in c.post(reverse("audit:verify")).content.decode()
