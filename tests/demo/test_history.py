"""``demo-data`` replays the 2023 example tasks through the real workflow (issue 5: the portal of a
fresh demo has content): drawn, inspected with a mix of results, reviewed and published."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command

from spotcheck.audit.actions import verify_chain
from spotcheck.draws.models import Draw, DrawStatus
from spotcheck.inspections.models import Finding, Inspection, InspectionStatus, ResultType
from spotcheck.portal.models import Publication

pytestmark = [pytest.mark.django_db, pytest.mark.keep_audit_chain]


@pytest.fixture(scope="module")
def history(django_db_setup, django_db_blocker):  # noqa: ARG001
    """One demo with history for the whole module (it takes a while), rolled back afterwards."""
    with django_db_blocker.unblock():
        from django.db import transaction

        out = StringIO()
        atomic = transaction.atomic()
        atomic._from_testcase = True  # as Django's TestCase does: the demo's durable action may run inside it
        atomic.__enter__()
        try:
            from django.test import override_settings

            from tests.factories import audit_baseline, ensure_migration_rows

            ensure_migration_rows()  # an earlier transactional test on this worker may have flushed them
            audit_baseline()  # and their baseline events, which the migration records on a real install

            with override_settings(SPOTCHECK_AUDIT_GUARD=True):  # the whole workflow under the tamper guard
                call_command("demo_data", "--seed", "1", "--institutions", "400", stdout=out, stderr=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def test_both_example_tasks_are_drawn_and_every_drawn_institution_is_published(history):
    draws = list(Draw.objects.select_related("task"))
    assert {d.task.region_id for d in draws} == {"140522", "140600"}, history
    assert all(d.status == DrawStatus.REVEALED for d in draws)
    inspections = Inspection.objects.all()
    assert inspections.count() == sum(d.assignments.filter(active=True).count() for d in draws)
    assert set(inspections.values_list("status", flat=True)) == {InspectionStatus.PUBLISHED}
    assert Publication.objects.count() == inspections.count()


def test_results_are_a_mix_of_the_four_types_dated_in_2023(history):  # noqa: ARG001
    types = set(Inspection.objects.values_list("result_type", flat=True))
    assert types == set(ResultType.values)
    for insp in Inspection.objects.all():
        assert insp.ended_on.year == 2023 and insp.published_at.year in (2023, 2024)
        assert insp.recorded_by_id != insp.reviewed_by_id


def test_deadlines_are_met_except_the_one_deliberately_late_publication(history):  # noqa: ARG001
    late = Publication.objects.filter(met_deadline=False)
    assert late.count() == 2  # one per task (the fourth institution of each)
    assert Publication.objects.filter(met_deadline=True).count() == Publication.objects.count() - 2


def test_the_small_duplicate_charge_corrected_on_site_is_recommended_no_penalty(history):  # noqa: ARG001
    small = Finding.objects.filter(amount=Decimal("800.00"), corrected_on_site=True)
    assert small.exists()
    assert set(small.values_list("recommended_treatment", flat=True)) == {"不予处罚"}
    assert set(small.values_list("decided_treatment", flat=True)) == {"不予处罚"}


def test_history_is_in_the_audit_chain_and_the_chain_verifies(history):  # noqa: ARG001
    from spotcheck.audit.models import AuditEvent

    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"draw.freeze", "inspection.record", "inspection.review_approve", "portal.publish"} <= actions
    report = verify_chain()
    assert report.ok, report
    # every row the demo wrote (directory, draws, inspections, publications, credit) is the state the chain says
    from spotcheck.audit.verify import verify_data

    data = verify_data(limit=10)
    assert data.ok, [d.describe() for d in data.differences]
    # The replay dates the records in 2023, but the audit log keeps the real time of each write.
    assert not AuditEvent.objects.filter(at__date__lt=dt.date(2025, 1, 1)).exists()


def test_a_published_tasks_item_set_changed_in_the_database_is_found(history):  # noqa: ARG001
    from django.db import connection

    from spotcheck.audit.verify import verify_data
    from spotcheck.planning.models import Task

    task = Task.objects.filter(items__isnull=False).distinct().first()
    item = task.items.first()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM planning_task_items WHERE task_id = %s AND checkitem_id = %s", [task.pk, item.pk])
    report = verify_data(labels=["planning.task"])
    [diff] = report.differences
    assert diff.field == "items" and diff.object_id == str(task.pk) and item.pk in diff.recorded
