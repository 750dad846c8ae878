"""``spotcheck draw compute | verify | export``: output and exit statuses."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from spotcheck.audit.models import AuditEvent
from spotcheck.draws import actions
from tests.factories import commit, make_task

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "draw-vectors"


def vector(name: str):
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def run(*args: str) -> str:
    out = StringIO()
    call_command("draw", *args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["vector-1.json", "vector-2.json"])
def test_compute_prints_the_expected_package(tmp_path, name):
    data = vector(name)
    path = tmp_path / "input.json"
    path.write_text(json.dumps(data["input"], ensure_ascii=False), encoding="utf-8")
    assert json.loads(run("compute", str(path))) == data["package"]


def test_compute_failure_names_the_code(tmp_path):
    path = tmp_path / "input.json"
    path.write_text(json.dumps(vector("vector-3-unstaffable.json")["input"], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        run("compute", str(path))
    assert exc.value.returncode == 2
    assert "unstaffable" in str(exc.value) and "无法配齐检查人员" in str(exc.value)


@pytest.mark.parametrize("case", vector("vector-4-errors.json"), ids=lambda c: c["name"])
def test_compute_error_vectors(tmp_path, case):
    path = tmp_path / "input.json"
    path.write_text(json.dumps(case["input"], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        run("compute", str(path))
    assert exc.value.returncode == 2
    assert f"错误 {case['error']}" in str(exc.value)


def test_compute_unreadable_file(tmp_path):
    with pytest.raises(CommandError) as exc:
        run("compute", str(tmp_path / "missing.json"))
    assert exc.value.returncode == 2 and "无法读取" in str(exc.value)


def test_verify_ok_and_tampered(tmp_path):
    package = vector("vector-2.json")["package"]
    good = tmp_path / "good.json"
    good.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    assert run("verify", str(good)).strip() == "OK"

    package["result"]["order"][0], package["result"]["order"][1] = package["result"]["order"][1], package["result"]["order"][0]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        run("verify", str(bad))
    assert exc.value.returncode == 1 and "order" in str(exc.value)

    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        run("verify", str(broken))
    assert exc.value.returncode == 1


def test_export_refuses_before_reveal_and_prints_after(world, staffed, county_user, approver):
    draw = actions.freeze(county_user, make_task(world))
    with pytest.raises(CommandError) as exc:
        run("export", draw.draw_id)
    assert exc.value.returncode == 1 and "揭示之前不能导出" in str(exc.value)
    commit(draw, county_user, approver)
    with pytest.raises(CommandError):
        run("export", draw.draw_id)
    actions.propose_reveal(county_user, draw, "双色球 2026135: 01 02 03 04 05 06 + 07")
    actions.approve_reveal(approver, draw)
    draw.refresh_from_db()
    assert json.loads(run("export", draw.draw_id)) == draw.package
    assert AuditEvent.objects.filter(action="draw.download", actor_name="cli", object_id=str(draw.pk)).exists()
    with pytest.raises(CommandError) as exc:
        run("export", "1999-000000-001")
    assert exc.value.returncode == 1


def test_spotcheck_console_maps_draw(tmp_path, capsys):
    """``spotcheck draw verify`` goes through spotcheck.cli to the management command."""
    from spotcheck.cli import main

    path = tmp_path / "p.json"
    path.write_text(json.dumps(vector("vector-1.json")["package"], ensure_ascii=False), encoding="utf-8")
    main(["draw", "verify", str(path)])
    assert capsys.readouterr().out.strip() == "OK"


def test_spotcheck_console_exit_status(tmp_path, capsys):
    from spotcheck.cli import main

    path = tmp_path / "in.json"
    path.write_text(json.dumps(vector("vector-3-unstaffable.json")["input"], ensure_ascii=False), encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["draw", "compute", str(path)])
    assert exc.value.code == 2
    assert "unstaffable" in capsys.readouterr().err
