"""A revealed 阳城 draw whose inspection period has started, its inspections, and the people around them.

The shared fixtures (``insp_world``, ``hospital_inspection``, ``team_user``, ``reviewer``) are in
``tests/conftest.py``; the helpers (``JPEG``…, ``upload``, ``violation``, ``fill_checklist``, ``recorded``,
``real_lenience``) in ``tests/factories.py``.
"""

from __future__ import annotations

import pytest

from tests import factories as f


@pytest.fixture
def other_inspector_user(hospital_inspection):
    """An inspector-role account of an inspector on no team of the hospital."""
    return f.make_other_inspector_user(hospital_inspection)
