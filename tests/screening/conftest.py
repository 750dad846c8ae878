"""Screening fixtures; the claim-file helpers (``claim_rows``, ``files_of``, ``FEE_FIELDS``…) are in
``tests/factories.py``."""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def insts(db):
    """Two hospitals in 阳城县 and one in 怀仁市."""
    return f.make_insts()
