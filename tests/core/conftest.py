"""Hypothesis profile for mutation testing of spotcheck/core (docs/mutation-testing.md).

``--hypothesis-profile=mutation`` (set in ``[tool.mutmut]`` of pyproject.toml) selects it; ``make test``
never passes that option, so the default profile and each test's own ``max_examples`` are unchanged there.
The mutation run also passes ``--confcutdir=tests/core -p no:django``: these tests need no Django, so
tests/conftest.py (which registers the suite's "spotcheck" profile) is not loaded there.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

MUTATION_PROFILE = "mutation"
MUTATION_MAX_EXAMPLES = 25

# Like the suite's profile (no deadline), but few examples, a fixed seed and no example database:
# every mutant is judged by the same examples, so a rerun gives the same verdict.
settings.register_profile(
    MUTATION_PROFILE,
    deadline=None,
    max_examples=MUTATION_MAX_EXAMPLES,
    derandomize=True,
    database=None,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under the mutation profile, cap the tests that ask for more examples with ``@settings``."""
    if settings.get_current_profile_name() != MUTATION_PROFILE:
        return
    for item in items:
        test = getattr(getattr(item, "obj", None), "__func__", getattr(item, "obj", None))
        own = getattr(test, "_hypothesis_internal_use_settings", None)
        if own is not None and own.max_examples > MUTATION_MAX_EXAMPLES:
            test._hypothesis_internal_use_settings = settings(own, max_examples=MUTATION_MAX_EXAMPLES)
