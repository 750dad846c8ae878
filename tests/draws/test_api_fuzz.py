"""Schema fuzzing of the draws API: no generated request may get a 5xx (see tests/api/test_schema_fuzz.py)."""

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
from tests.factories import api_token, full_run, make_task

FUZZ = settings(max_examples=6, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))


@pytest.fixture
def in_process_requests():
    """Keep the test's database connection across in-process WSGI requests (as ``django.test.Client`` does)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_draws_api_never_answers_with_a_server_error(world, staffed, county_user, approver, in_process_requests):
    """As the approver (who holds both ``draw`` and ``approve``), against a revealed draw and random ids."""
    draw = full_run(make_task(world), county_user, approver)
    headers = {"Authorization": f"Token {api_token(approver)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers)
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    operations = [op for op in operations if op.path.startswith("/api/draws/")]
    assert len(operations) >= 15
    failures = []
    for op in operations:
        runs = [(schemathesis.GenerationMode.POSITIVE, {}), (schemathesis.GenerationMode.NEGATIVE, {})]
        if "{draw_id}" in op.path:
            runs.append((schemathesis.GenerationMode.POSITIVE, {"path_parameters": {"draw_id": draw.draw_id}}))
        for mode, fixed in runs:
            @FUZZ
            @given(case=op.as_strategy(generation_mode=mode, **fixed))
            def check(case: schemathesis.Case) -> None:
                case.validate_response(case.call(headers=headers), checks=[not_a_server_error])

            try:
                check()
            except Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE
            except (Exception, BaseExceptionGroup) as exc:
                failures.append(f"{op.label} [{mode.value}{' existing' if fixed else ''}]: {exc}")
    assert not failures, "\n\n".join(failures)
