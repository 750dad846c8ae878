"""SC-DRAW-1 test vectors, commitment, and the standalone command line of draw.py."""

from __future__ import annotations

import copy
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from spotcheck.core import draw

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "draw-vectors"
DRAW_PY = Path(draw.__file__).resolve()


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


ERROR_CASES = load("vector-4-errors.json")


@pytest.mark.parametrize("name", ["vector-1.json", "vector-2.json"])
def test_vector_reproduced_exactly(name: str) -> None:
    vector = load(name)
    original = copy.deepcopy(vector["input"])
    package = draw.compute(vector["input"])
    assert package == vector["package"]
    assert vector["input"] == original, "compute must not modify its input"
    assert draw.verify(vector["package"]) == []


@pytest.mark.parametrize("name", ["vector-1.json", "vector-2.json"])
def test_vector_with_two_workers(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(draw, "_PARALLEL_MIN_UNITS", 1)  # force the forked child even for tiny inputs
    vector = load(name)
    assert draw.compute(vector["input"], workers=2) == vector["package"]


def test_vector_package_serialisation_is_json_dumps_indent_1() -> None:
    for name in ("vector-1.json", "vector-2.json"):
        package = load(name)["package"]
        assert draw.dumps(package) == json.dumps(package, ensure_ascii=False, indent=1)


def test_vector_3_is_unstaffable() -> None:
    vector = load("vector-3-unstaffable.json")
    assert vector["error"] == "unstaffable"
    with pytest.raises(draw.DrawError) as info:
        draw.compute(vector["input"])
    err = info.value
    assert err.code == "unstaffable"
    assert set(err.details) == {"unit", "department"}
    departments = {slot["department"] for slot in vector["input"]["teams"]["slots"]}
    assert err.details["department"] in departments
    labels = {u[0] for u in vector["input"]["units"]}
    assert err.details["unit"] in labels
    # Regression values of this implementation (the vector itself only names the code).
    assert err.details == {"unit": "H14052200034", "department": "县医疗保障局"}
    assert err.details["unit"] in err.message and err.details["department"] in err.message


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["name"] for c in ERROR_CASES])
def test_vector_4_error_codes(case: dict[str, Any]) -> None:
    with pytest.raises(draw.DrawError) as info:
        draw.compute(case["input"])
    assert info.value.code == case["error"]
    assert info.value.message
    assert draw.verify(dict(case["input"], **{k: None for k in draw.PACKAGE_KEYS})) != []


def test_error_messages_name_the_field() -> None:
    by_name = {c["name"]: c for c in ERROR_CASES}
    cases = {
        "full-width digit in a label": "units[0]",
        "duplicate label": "units[72]",
        "undefined stratum": "units[72]",
        "float ratio": "ratio",
        "boolean min": "min",
        "upper-case commit": "commit",
        "extra input key": "extra",
        "replace_inspector without teams": "events[0]",
        "exclusion names an unknown unit": "teams.exclusions[2]",
    }
    for name, fragment in cases.items():
        with pytest.raises(draw.DrawError) as info:
            draw.compute(by_name[name]["input"])
        assert fragment in info.value.message, (name, info.value.message)


def commit_time(inp: dict[str, Any]) -> dict[str, Any]:
    return {k: inp[k] for k in draw.COMMIT_KEYS}


@pytest.mark.parametrize("name", ["vector-1.json", "vector-2.json"])
def test_commitment_matches_package(name: str) -> None:
    vector = load(name)
    package = vector["package"]
    published = draw.commitment(commit_time(vector["input"]))
    assert published == {
        "algorithm": "SC-DRAW-1",
        "draw_id": vector["input"]["draw_id"],
        "snapshot_digest": package["snapshot_digest"],
        "params_digest": package["params_digest"],
        "commit": vector["input"]["commit"],
        "randomness_sources": vector["input"]["randomness_sources"],
        "strata": {
            h: {"population": r["population"], "sample_size": r["sample_size"]}
            for h, r in package["result"]["strata"].items()
        },
    }
    # The reveal-time keys may be present (even as placeholders); they are not used.
    with_placeholders = dict(commit_time(vector["input"]), secret=None, public_randomness="", events=None)
    assert draw.commitment(with_placeholders) == published


def test_commitment_still_validates_commit_time_fields() -> None:
    inp = commit_time(load("vector-1.json")["input"])
    with pytest.raises(draw.DrawError) as info:
        draw.commitment(dict(inp, commit="ABC"))
    assert info.value.code == "invalid_input"
    with pytest.raises(draw.DrawError):
        draw.commitment(dict(inp, surprise=1))
    missing = dict(inp)
    del missing["teams"]
    with pytest.raises(draw.DrawError):
        draw.commitment(missing)


# ------------------------------------------------------------------------------------------
# The standalone script


def run_script(
    tmp_path: Path, *args: str, stdin: bytes | None = None, python: str = sys.executable
) -> subprocess.CompletedProcess[bytes]:
    """Run a copy of draw.py in isolated mode from an empty directory: no project imports possible."""
    script = tmp_path / "draw.py"
    if not script.exists():
        shutil.copyfile(DRAW_PY, script)
    return subprocess.run(
        [python, "-I", str(script), *args],
        cwd=tmp_path,
        input=stdin,
        capture_output=True,
        timeout=120,
        check=False,
    )


def write(tmp_path: Path, name: str, obj: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_script_verify_ok_in_isolated_mode(tmp_path: Path) -> None:
    for name in ("vector-1.json", "vector-2.json"):
        path = write(tmp_path, name, load(name)["package"])
        proc = run_script(tmp_path, "verify", path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert proc.stdout.decode("utf-8").strip() == "OK"


def test_script_runs_from_the_project_tree_too() -> None:
    package = json.dumps(load("vector-2.json")["package"], ensure_ascii=False).encode("utf-8")
    proc = subprocess.run(
        [sys.executable, "-I", str(DRAW_PY), "verify", "-"],
        input=package,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout.strip() == b"OK"


def test_script_compute_prints_the_package(tmp_path: Path) -> None:
    vector = load("vector-2.json")
    proc = run_script(tmp_path, "compute", write(tmp_path, "in.json", vector["input"]))
    assert proc.returncode == 0, proc.stderr.decode("utf-8")
    text = proc.stdout.decode("utf-8")
    assert json.loads(text) == vector["package"]
    assert text == json.dumps(vector["package"], ensure_ascii=False, indent=1) + "\n"


def test_script_compute_from_stdin(tmp_path: Path) -> None:
    vector = load("vector-1.json")
    data = json.dumps(vector["input"], ensure_ascii=False).encode("utf-8")
    proc = run_script(tmp_path, "compute", "-", stdin=b"\xef\xbb\xbf" + data)  # a BOM is accepted
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == vector["package"]


def test_script_compute_error(tmp_path: Path) -> None:
    vector = load("vector-3-unstaffable.json")
    proc = run_script(tmp_path, "compute", write(tmp_path, "in.json", vector["input"]))
    assert proc.returncode == 2
    assert proc.stderr.decode("utf-8").startswith("错误 unstaffable: ")
    line = json.loads(proc.stdout.decode("utf-8"))
    assert line == {"error": "unstaffable", "unit": "H14052200034", "department": "县医疗保障局"}


def test_script_compute_invalid_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"a": 1, "a": 2}', encoding="utf-8")
    proc = run_script(tmp_path, "compute", str(path))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["error"] == "invalid_input"
    proc = run_script(tmp_path, "compute", str(tmp_path / "missing.json"))
    assert proc.returncode == 2 and b"invalid_input" in proc.stderr


def test_script_verify_reports_differences(tmp_path: Path) -> None:
    package = load("vector-2.json")["package"]
    package["result"]["order"].reverse()
    package["seed"] = "0" * 64
    proc = run_script(tmp_path, "verify", write(tmp_path, "pkg.json", package))
    assert proc.returncode == 1
    out = proc.stdout.decode("utf-8")
    assert "seed" in out and "result['order']" in out and "OK" not in out


def test_script_verify_unreadable(tmp_path: Path) -> None:
    proc = run_script(tmp_path, "verify", str(tmp_path / "nope.json"))
    assert proc.returncode == 1
    (tmp_path / "garbage.json").write_bytes(b"\xff{not json")
    proc = run_script(tmp_path, "verify", str(tmp_path / "garbage.json"))
    assert proc.returncode == 1 and proc.stdout


def test_script_usage(tmp_path: Path) -> None:
    assert run_script(tmp_path).returncode == 2
    assert run_script(tmp_path, "frobnicate", "x").returncode == 2
    proc = run_script(tmp_path, "--help")
    assert proc.returncode == 0 and "verify" in proc.stderr.decode("utf-8")


def _find_python(version: str) -> str | None:
    """An interpreter of this minor version: on PATH, or under ~/.pyenv/versions."""
    candidates = [shutil.which(f"python{version}")]
    candidates += [
        str(p) for p in sorted((Path.home() / ".pyenv" / "versions").glob(f"{version}.*/bin/python{version}"))
    ]
    for path in candidates:
        if not path:
            continue
        try:
            if subprocess.run([path, "-c", "pass"], capture_output=True, timeout=30).returncode == 0:
                return path
        except (OSError, subprocess.SubprocessError):
            continue
    return None


@pytest.mark.parametrize("version", ["3.8", "3.9", "3.10", "3.12", "3.13"])
def test_script_on_other_python_versions(version: str, tmp_path: Path) -> None:
    """The public may run draw.py with any Python 3.8+; checked for the interpreters that exist here."""
    python = _find_python(version)
    if python is None:
        pytest.skip(f"Python {version} not available")
    for name in ("vector-1.json", "vector-2.json"):
        vector = load(name)
        proc = run_script(tmp_path, "compute", write(tmp_path, "in.json", vector["input"]), python=python)
        assert proc.returncode == 0, proc.stderr.decode("utf-8")
        assert json.loads(proc.stdout) == vector["package"]
        proc = run_script(tmp_path, "verify", write(tmp_path, "pkg.json", vector["package"]), python=python)
        assert proc.stdout.strip() == b"OK"
    error = load("vector-3-unstaffable.json")["input"]
    proc = run_script(tmp_path, "compute", write(tmp_path, "in.json", error), python=python)
    assert proc.returncode == 2 and json.loads(proc.stdout)["error"] == "unstaffable"


def test_main_in_process(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "pkg.json", load("vector-1.json")["package"])
    assert draw.main(["verify", path]) == 0
    assert capsys.readouterr().out.strip() == "OK"
    assert draw.main([]) == 2


def test_commit_is_sha256_of_secret_bytes() -> None:
    inp = load("vector-1.json")["input"]
    assert hashlib.sha256(bytes.fromhex(inp["secret"])).hexdigest() == inp["commit"]
