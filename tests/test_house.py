"""House rules of the test tree itself."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def _conftest_imports(path: Path) -> list[str]:
    """``line: statement`` for every import of a conftest module in ``path`` (at any depth, relative or not)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            names = [a.name for a in node.names]
            if "conftest" in module.split(".") or "conftest" in names:
                found.append(f"{node.lineno}: from {'.' * node.level}{module} import {', '.join(names)}")
        elif isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names if "conftest" in a.name.split(".")]
    return found


def test_no_test_module_imports_from_a_conftest():
    """Shared helpers live in tests/factories.py and shared fixtures in tests/conftest.py: importing a conftest
    as a module registers its fixtures a second time and ties one app's tests to another's set-up."""
    offenders = {
        str(path.relative_to(TESTS.parent)): hits
        for path in sorted(TESTS.rglob("*.py"))
        if (hits := _conftest_imports(path))
    }
    assert not offenders, offenders


def test_the_check_sees_every_form_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(  # CONF stands for the module name, so that grepping the tree finds no such import here
        "from tests.draws.CONF import make_task\n"
        "from .CONF import ARTIFACTS\n"
        "from . import CONF\n"
        "import tests.portal.CONF as portal\n"
        "def f():\n    from tests.planning.CONF import EXAMPLE_DEPARTMENTS\n"
        "from tests.factories import make_task\n"
        "import CONF_helpers\n".replace("CONF", "conftest"),
        encoding="utf-8",
    )
    assert [hit.split(":")[0] for hit in _conftest_imports(sample)] == ["1", "2", "3", "4", "6"]


def test_every_scoped_model_says_how_it_is_scoped():
    """A concrete ``ScopedModel`` names ``scope_field`` or its queryset overrides ``restrict`` (a run is
    scoped through its batch); otherwise ``restrict()`` and ``audit_region_code`` would fail at run time."""
    from django.apps import apps

    from spotcheck.base.models import ScopedModel
    from spotcheck.base.scope import ScopedQuerySet

    unclear = []
    for model in apps.get_models():
        if not issubclass(model, ScopedModel):
            continue
        queryset = type(model._default_manager.get_queryset())
        if not getattr(model, "scope_field", None) and queryset.restrict is ScopedQuerySet.restrict:
            unclear.append(model._meta.label)
    assert unclear == []
