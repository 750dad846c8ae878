"""Portal test data: a revealed 阳城 draw whose inspections have started (``started``), reviewed inspections
(``inspections``) — both in ``tests/conftest.py`` — and helpers to publish them (``start_inspections``,
``make_inspections``, ``add_finding`` in ``tests/factories.py``). The rate-limit counters live in the cache:
cleared per test."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture(autouse=True)
def _fresh_cache():
    yield from f.fresh_cache()
