from __future__ import annotations

import pytest
from hypothesis import settings as hypothesis_settings

from spotcheck.accounts.models import Role

from . import factories as f

# No time limit per generated example: the suite runs on busy 2-core machines, and timing belongs in the
# benchmarks, never in a test's pass/fail (a 200 ms deadline failed here under load).
hypothesis_settings.register_profile("spotcheck", deadline=None)
hypothesis_settings.load_profile("spotcheck")

_DB_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences")


@pytest.fixture(autouse=True)
def _builtin_regions(request):
    """Re-load the built-in regions and the other data migrations' rows when a transactional test
    flushed them.

    ``transaction=True`` tests (the browser tests) end with a flush that empties every table,
    including the rows the migration inserted; later tests on the same worker would find no regions.
    """
    names = request.fixturenames
    uses_db = bool(request.node.get_closest_marker("django_db"))
    if not uses_db and any(n in names for n in _DB_FIXTURES):
        # activate the test's own database fixture now (autouse fixtures run before it otherwise)
        wanted = "transactional_db" if ("transactional_db" in names or "live_server" in names) else "db"
        request.getfixturevalue(wanted)
        uses_db = True
    if uses_db:
        f.ensure_migration_rows()
        if not request.node.get_closest_marker("keep_audit_chain"):
            _empty_audit_chain()
    yield


def _empty_audit_chain() -> None:
    """Each test starts with an empty audit chain (the migration's baseline events removed), so a test
    can count the events it caused; tests of the data check record their own baseline when needed."""
    from spotcheck.audit.models import GENESIS, AuditEvent, ChainHead

    AuditEvent.objects.all().delete()
    ChainHead.objects.update(last_seq=0, last_hash=GENESIS)


@pytest.fixture
def admin_user(db):
    """The installation account: a superuser (every permission, whole installation), who still obeys the
    two-person rules. The separated 系统管理员 / 安全管理员 / 审计管理员 are ``f.user(…, Role.ADMIN)`` etc."""
    return f.user("t-admin", Role.ADMIN, "", is_superuser=True, is_staff=True)


@pytest.fixture
def city_user(db):
    return f.user("t-city", Role.CITY_ADMIN, f.SHUOZHOU)


@pytest.fixture
def county_user(db):
    return f.user("t-county", Role.COUNTY_STAFF, f.YANGCHENG)


@pytest.fixture
def huairen_user(db):
    return f.user("t-huairen", Role.COUNTY_STAFF, f.HUAIREN)


@pytest.fixture
def inspector_user(db):
    return f.user("t-inspector", Role.INSPECTOR, f.YANGCHENG)


@pytest.fixture
def auditor_user(db):
    return f.user("t-auditor", Role.AUDITOR, "")


@pytest.fixture
def client_for(client):
    """``client_for(user)`` logs the Django test client in as ``user`` (bypassing axes)."""

    def login(user):
        client.force_login(user)
        return client

    return login


# --- Fixtures several apps share (their bodies are builders in tests/factories.py) ---------------------
# Draws: a small 阳城 directory and plan, its staff, the 晋城 approvers.


@pytest.fixture
def world(db):
    """A 晋城 item list with four items, a 阳城 plan starting in 30 days, the 医保局 and 市监局 (``f.World``)."""
    return f.make_world()


@pytest.fixture
def staffed(world):
    """Ten hospitals (中等) and four pharmacies in 阳城, six 医保局 and three 市监局 inspectors."""
    return f.make_staffed(world)


@pytest.fixture
def approver(db):
    """晋城市局管理员: holds ``approve`` over 阳城."""
    return f.make_approver()


@pytest.fixture
def approver2(db):
    return f.make_approver2()


# Inspections: a revealed 阳城 draw whose inspection period has started, and the people around it.


@pytest.fixture
def insp_world(world, staffed, approver):
    """Task period started 5 days ago; draw revealed; inspections generated."""
    return f.make_insp_world(world, staffed, approver)


@pytest.fixture
def hospital_inspection(insp_world):
    return f.first_hospital_inspection()


@pytest.fixture
def team_user(hospital_inspection):
    """An inspector-role account of the first member of the hospital's team."""
    return f.make_team_user(hospital_inspection)


@pytest.fixture
def reviewer(db):
    return f.make_reviewer()


# Portal: a revealed 阳城 draw whose inspections have started, and its reviewed inspections.


@pytest.fixture
def started(world, staffed, county_user, approver):
    """A revealed draw of a 阳城 task whose inspections have started."""
    return f.make_started(world, county_user, approver)


@pytest.fixture
def inspections(started):
    return f.make_inspections(started)


# Credit: the "done when" file and its institution account.


@pytest.fixture
def poor(hospital_inspection, reviewer):
    """An 800 元 finding and an unexecuted penalty, reviewed and evaluated (较差)."""
    return f.make_poor(hospital_inspection, reviewer)


@pytest.fixture
def inst_user(poor):
    return f.make_inst_user(poor)
