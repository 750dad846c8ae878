"""Schema fuzzing: schemathesis generates requests from ``/api/schema/`` for every operation and
sends them to the WSGI application in-process as a county user with a token; no response may be
a 5xx (``not_a_server_error``).

The requests run in this test's database transaction (pytest-django's ``django_db``, rolled back at
the end). Like Django's test client, the test unhooks ``close_old_connections`` from the request
signals while it runs, else the first request would close the connection that holds the
transaction. Generation is derandomized and bounded, and Hypothesis's example database is off, so
every run sends the same requests and writes no files.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from spotcheck.wsgi import application
from tests import factories as f

pytestmark = pytest.mark.django_db

EXAMPLES = 10  # per operation and generation mode
FUZZ = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=True, database=None, phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
DIRECTORY_OPERATIONS = {
    f"{method} /api/{name}/{suffix}"
    for name in ("institutions", "inspectors", "conflicts", "absences")
    for method, suffix in (("GET", ""), ("POST", ""), ("GET", "{id}/"), ("PUT", "{id}/"), ("PATCH", "{id}/"),
                           ("DELETE", "{id}/"))
} | {"GET /api/regions/", "GET /api/regions/{code}/", "GET /api/departments/", "GET /api/departments/{id}/"}


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across in-process requests (as ``django.test.Client`` does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def fuzz(operation, mode: schemathesis.GenerationMode, headers: dict[str, str], **fixed) -> None:
    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    def check(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        case.validate_response(response, checks=[not_a_server_error])

    check()


def existing_rows(world) -> dict[str, dict]:
    """Path parameters naming 阳城's rows, so that writes are also fuzzed against rows that exist."""
    yc = world["yc"]
    rows = {"/api/regions/{code}/": {"code": f.YANGCHENG},
            "/api/departments/{id}/": {"id": yc["inspector"].department_id}}
    for kind in ("institution", "inspector", "conflict", "absence"):
        rows[f"/api/{kind}s/{{id}}/"] = {"id": yc[kind].pk}
    return rows


def test_no_operation_answers_with_a_server_error(world, county_user, in_process_requests):
    headers = {"Authorization": f"Token {f.api_token(county_user)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
    assert {op.label for op in operations} >= DIRECTORY_OPERATIONS
    existing = existing_rows(world)
    runs = []
    for op in sorted(operations, key=lambda op: op.method.upper() == "DELETE"):  # deletes last
        runs += [(op, schemathesis.GenerationMode.POSITIVE, {}), (op, schemathesis.GenerationMode.NEGATIVE, {})]
        if op.path in existing:
            runs.append((op, schemathesis.GenerationMode.POSITIVE, {"path_parameters": existing[op.path]}))
    failures = []
    for op, mode, fixed in runs:
        try:
            fuzz(op, mode, headers, **fixed)
        except Unsatisfiable:  # no invalid value exists, e.g. a negative example of a free-form string
            assert mode is schemathesis.GenerationMode.NEGATIVE, op.label
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a FailureGroup; report all at the end
            failures.append(f"{op.label} [{mode.value}{' existing row' if fixed else ''}]: {exc}")
    assert not failures, "\n\n".join(failures)
