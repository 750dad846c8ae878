import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from spotcheck.audit.actions import record, verify_chain
from spotcheck.audit.models import AuditEvent
from spotcheck.directory import actions
from spotcheck.directory.models import Institution
from tests import factories as f


@pytest.mark.django_db
def test_chain_verifies_and_detects_tampering(county_user):
    inst = f.institution()
    f.audit_baseline()
    actions.update(county_user, inst, {"name": "改名后的医院"}, reason="更名")
    record(county_user, "note", inst, reason="第二条")
    assert verify_chain().ok
    call_command("audit", "verify")

    # alter a row behind the application's back
    AuditEvent.objects.filter(seq=2).update(reason="篡改")
    report = verify_chain()
    assert not report.ok and report.first_bad_seq == 2
    with pytest.raises(CommandError, match="第 2 号事件"):
        call_command("audit", "verify")


@pytest.mark.django_db
def test_chain_detects_deleted_tail_and_gap(county_user):
    inst = f.institution()
    for i in range(3):
        record(county_user, "note", inst, reason=str(i))
    AuditEvent.objects.filter(seq=3).delete()
    assert not verify_chain().ok
    AuditEvent.objects.filter(seq=2).delete()
    assert not verify_chain().ok


@pytest.mark.django_db
def test_update_records_before_and_after(county_user):
    inst = f.institution(name="原名")
    assert actions.update(county_user, inst, {"name": "新名"}) is True
    assert actions.update(county_user, inst, {"name": "新名"}) is False  # nothing changed, no event
    ev = AuditEvent.objects.get(action="update")
    assert ev.before == {"name": "原名"} and ev.after == {"name": "新名"}
    assert ev.region_code == f.YANGCHENG and ev.actor_name == "t-county"
    assert Institution.objects.get(pk=inst.pk).name == "新名"


@pytest.mark.django_db
def test_record_many_continues_the_chain(county_user):
    from spotcheck.audit.actions import Pending, record_many

    inst = f.institution()
    first = record(county_user, "note", inst)
    n = record_many(county_user, [Pending("import.update", "directory.institution", str(i), after={"i": i})
                                  for i in range(5)])
    record(county_user, "note", inst)
    assert n == 5 and AuditEvent.objects.filter(seq__gte=first.seq).count() == 7
    assert verify_chain().ok
    AuditEvent.objects.filter(seq=first.seq + 3).update(after={"i": 99})
    assert verify_chain().first_bad_seq == first.seq + 3
