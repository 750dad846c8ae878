from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def departments(db):
    """Example departments by name (``f.EXAMPLE_DEPARTMENTS``)."""
    return f.make_departments()


@pytest.fixture
def examples(departments):
    """The 2023 examples loaded by the system actor."""
    from spotcheck.directory.io import SYSTEM_ACTOR
    from spotcheck.planning.examples import load_examples

    return load_examples(SYSTEM_ACTOR, 2023)
