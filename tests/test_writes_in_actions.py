"""Writes only in actions: no view, API, form, serializer, command or page helper saves a model.

A static check over the source (function-level code included): the entry points of the product call
``spotcheck.<app>.actions``; they never call ``save``/``delete`` on a row, a manager's write methods,
``serializer.save()``, or an actions module's private helpers. A new view that writes by itself
fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "spotcheck"

#: Modules that are entry points (what a request, an API call or a command runs first).
ENTRY_POINTS = sorted(
    p for p in ROOT.rglob("*.py")
    if "migrations" not in p.parts
    and (p.name.startswith(("views", "api", "forms", "serializers", "urls")) or "commands" in p.parts)
    and "demo" not in p.parts  # the demo generator drives actions and bulk-loads its own rows
)

#: Manager/queryset methods that write.
MANAGER_WRITES = {"create", "bulk_create", "bulk_update", "get_or_create", "update_or_create", "update", "delete"}
#: Objects whose ``save`` is a file, not a row (openpyxl workbooks, documents).
FILE_SAVERS = {"wb", "book", "workbook", "doc", "document", "out", "pdf"}


def _receiver_names(node: ast.AST) -> list[str]:
    names: list[str] = []
    while isinstance(node, ast.Attribute | ast.Call | ast.Subscript):
        if isinstance(node, ast.Attribute):
            names.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return names


def violations(path: Path) -> list[str]:
    """``file:line what`` for every write found in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method, receiver = node.func.attr, _receiver_names(node.func.value)
        where = f"{path.relative_to(ROOT.parent) if path.is_relative_to(ROOT.parent) else path.name}:{node.lineno}"
        commit_false = any(k.arg == "commit" and isinstance(k.value, ast.Constant) and k.value.value is False
                           for k in node.keywords)
        if method in {"save", "delete"} and not commit_false and not (receiver and receiver[-1] in FILE_SAVERS):
            if receiver and receiver[-1] not in {"super", "actions"} and "session" not in receiver:
                found.append(f"{where} .{method}() on {'.'.join(reversed(receiver))}")
        elif method in MANAGER_WRITES and any(r in {"objects", "_default_manager", "_base_manager"} for r in receiver):
            found.append(f"{where} .{method}() on {'.'.join(reversed(receiver))}")
        elif receiver and receiver[0] == "actions" and method.startswith("_"):
            found.append(f"{where} private actions.{method}()")
    return found


def test_entry_points_exist():
    assert len(ENTRY_POINTS) > 30  # the scan finds the views, APIs and commands


@pytest.mark.parametrize("path", ENTRY_POINTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_write_outside_actions(path):
    assert violations(path) == []


def test_the_check_finds_a_write(tmp_path):
    bad = tmp_path / "views.py"
    bad.write_text(
        "def view(request, obj, Model):\n"
        "    obj.save()\n"
        "    Model.objects.filter(pk=1).update(name='x')\n"
        "    actions._may_decide(request.user, obj)\n"
        "    wb.save(out)\n"
        "    form.save(commit=False)\n",
        encoding="utf-8",
    )
    found = violations(bad)
    assert [f.split(" ", 1)[1] for f in found] == [
        ".save() on obj", ".update() on Model.objects.filter", "private actions._may_decide()"]


#: Public functions of ``actions`` modules that are not actions, each with why. A new public function
#: must be an ``@action`` or be added here after review.
NOT_ACTIONS: dict[str, set[str]] = {
    # the audit primitives: called by actions inside their transaction
    "audit": {"wall_clock", "jsonable", "event_digest", "record", "record_many", "record_rows", "record_deletions",
              "accept_row", "record_cascade", "verify_chain"},
    # steps of the password/createsuperuser actions (require_action); the directory's link hook; a generator
    "accounts": {"record_user_saved", "register_link_validator", "one_time_password", "session_rekeyed"},
    "jobs": {"start_job"},  # creates the Job in an action, queues after its commit (jobs.actions)
    "directory": {"snapshot", "changed_fields"},  # pure helpers
    "planning": {"next_item_seq", "item_usage", "current_slots", "task_state", "next_task_seq"},  # reads
    "draws": {"commit_input", "applied_events", "full_input", "preview_sizes", "next_draw_id", "staffing_ok",
              "clean_sources"},  # reads and the SC-DRAW-1 input builders
    "inspections": {"on_team", "is_bureau", "may_work", "may_decide", "display_status",
                    "next_number"},  # checks, a label, a numbering step (require_action)
    # reads the claims outside a transaction (visible progress), writes through its private action
    "screening": {"run_screening"},
    "credit": {"category_of", "kind_of", "severity_for", "model_for", "current_model", "facts", "cycle_as_of",
               "latest_evaluation", "repair_blockers", "measures_for"},  # reads and scoring inputs
}


def test_public_functions_of_actions_modules_are_actions():
    import importlib
    import inspect

    apps = sorted(p.parent.name for p in ROOT.glob("*/actions.py") if p.parent.name != "base")
    found = {}
    for app in apps:
        module = importlib.import_module(f"spotcheck.{app}.actions")
        found[app] = {name for name, fn in vars(module).items()
                      if inspect.isfunction(fn) and fn.__module__ == module.__name__ and not name.startswith("_")
                      and not getattr(fn, "is_action", False)}
    assert {app: names for app, names in found.items() if names} == NOT_ACTIONS


def test_a_write_step_refuses_to_run_outside_an_action(db):
    from spotcheck.base.transactions import atomic_action
    from spotcheck.directory.models import Region
    from spotcheck.inspections.actions import next_number

    region = Region.objects.get(code="140522")
    with pytest.raises(RuntimeError, match="inside an action"):
        next_number(region, 2026, "notice", "inspection.notice_number_format")
    with atomic_action():
        assert next_number(region, 2026, "notice", "inspection.notice_number_format")


def test_task_status_is_written_only_by_planning():
    """``Task.status`` belongs to planning: other apps ask ``planning.actions.set_task_status``."""
    import re

    pattern = re.compile(r"\btask\.status\s*=[^=]|Task\.objects\b[^\n]*\.update\([^)]*\bstatus\s*=")
    offenders = [f"{p.relative_to(ROOT.parent)}:{n}"
                 for p in ROOT.rglob("*.py") if "planning" not in p.parts and "migrations" not in p.parts
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
                 if pattern.search(line)]
    assert offenders == []
    assert pattern.search("        task.status = TaskStatus.DONE") and not pattern.search("if task.status == x:")


def test_actions_modules_open_transactions_only_through_atomic_action():
    """Inside an app's actions a block is ``atomic_action()`` (a savepoint inside the action, a durable
    transaction with the file ledger when it is the outermost), never a bare ``transaction.atomic()``."""
    offenders = [f"{p.relative_to(ROOT.parent)}:{n}" for p in sorted(ROOT.glob("*/actions.py"))
                 if p.parent.name not in {"base", "audit"}  # audit: the chain's own primitives
                 for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1)
                 if "transaction.atomic(" in line]
    assert offenders == []
