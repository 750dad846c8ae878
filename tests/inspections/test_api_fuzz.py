"""Schema fuzzing of the inspections API: no generated request may get a 5xx (see tests/api/test_schema_fuzz.py)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from spotcheck.inspections import actions
from spotcheck.wsgi import application
from tests.factories import api_token

FUZZ = settings(max_examples=5, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
PREFIXES = ("/api/inspections/", "/api/findings/", "/api/evidence/", "/api/referrals/", "/api/rectifications/")


@pytest.fixture
def in_process_requests():
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_inspections_api_never_answers_with_a_server_error(insp_world, hospital_inspection, in_process_requests):
    staff = insp_world["proposer"]
    actions.notify(staff, hospital_inspection)
    headers = {"Authorization": f"Token {api_token(staff)}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/", application, headers=headers)
    operations = [r.ok() for r in schema.get_all_operations() if isinstance(r, Ok)]
    operations = [op for op in operations if op.path.startswith(PREFIXES)]
    assert len(operations) >= 20
    failures = []
    for op in operations:
        runs = [(schemathesis.GenerationMode.POSITIVE, {}), (schemathesis.GenerationMode.NEGATIVE, {})]
        if "{id}" in op.path and op.path.startswith("/api/inspections/"):
            runs.append((schemathesis.GenerationMode.POSITIVE, {"path_parameters": {"id": hospital_inspection.pk}}))
        for mode, fixed in runs:
            @FUZZ
            @given(case=op.as_strategy(generation_mode=mode, **fixed))
            def check(case: schemathesis.Case) -> None:
                case.validate_response(case.call(headers=headers), checks=[not_a_server_error])

            try:
                check()
            except Unsatisfiable:
                continue
            except Exception as exc:  # noqa: BLE001 - collect every failing operation
                failures.append(f"{op.label} [{mode.value}]: {str(exc)[:400]}")
    assert not failures, "\n".join(failures)
