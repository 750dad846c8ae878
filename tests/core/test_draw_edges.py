"""SC-DRAW-1 edge cases that mutation testing showed untested (docs/mutation-testing.md): event errors,
repeated slot departments, long HMAC keys, strict JSON messages, the JSON writer and the command line run
in-process (the test_script_* tests run it in a subprocess, which mutmut cannot see)."""

from __future__ import annotations

import copy
import hashlib
import hmac
import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from spotcheck.core import draw

from .test_draw_properties import reference

VECTORS = Path(__file__).resolve().parent.parent / "fixtures" / "draw-vectors"
SECRET = "11" * 32


def load(name: str) -> Any:
    return json.loads((VECTORS / name).read_text(encoding="utf-8"))


def small_input(events: list[dict[str, Any]] | None = None, teams: bool = True) -> dict[str, Any]:
    """Four units in one stratum, two selected, two in reserve; one team place per unit."""
    return {
        "draw_id": "EDGE",
        "units": [[f"U{i}", "S"] for i in range(4)],
        "strata": {"S": {"ratio": [1, 2], "rounding": "ceil", "min": 0, "max": None}},
        "commit": hashlib.sha256(bytes.fromhex(SECRET)).hexdigest(),
        "randomness_sources": ["x"],
        "teams": {"inspectors": [["I1", "D"], ["I2", "D"], ["I3", "D"]],
                  "slots": [{"department": "D", "count": 1}], "cap": 2, "exclusions": []}
        if teams else None,
        "secret": SECRET,
        "public_randomness": "r",
        "events": events or [],
    }


def error_of(inp: dict[str, Any]) -> draw.DrawError:
    with pytest.raises(draw.DrawError) as info:
        draw.compute(inp)
    return info.value


# --------------------------------------------------------------------------------------------
# events


def test_event_errors_name_the_event() -> None:
    package = draw.compute(small_input())
    selected, reserve = package["result"]["order"], package["result"]["strata"]["S"]["reserve"]
    team = package["result"]["teams"][selected[0]]

    err = error_of(small_input([{"type": "replace_unit", "unit": reserve[0], "reason": "x"}]))
    assert (err.code, err.details) == ("invalid_input", {"event": 0})
    assert err.message == f"events[0]：检查对象 {reserve[0]} 当前不在检查名单中，不能替换"

    other = next(i for i in ("I1", "I2", "I3") if i not in team)
    ok = {"type": "replace_unit", "unit": selected[1], "reason": "x"}
    err = error_of(small_input([ok, {"type": "replace_inspector", "unit": selected[0], "inspector": other,
                                     "reason": "x"}]))
    assert (err.code, err.details) == ("invalid_input", {"event": 1})
    assert err.message == f"events[1]：检查人员 {other} 不在检查对象 {selected[0]} 的检查组中"


def test_reserve_exhausted_names_unit_stratum_and_event() -> None:
    package = draw.compute(small_input(teams=False))
    first, second = package["result"]["order"]
    reserve = package["result"]["strata"]["S"]["reserve"]
    events = [{"type": "replace_unit", "unit": u, "reason": "x"} for u in (first, second, reserve[0])]
    err = error_of(small_input(events, teams=False))
    assert err.code == "reserve_exhausted"
    assert err.details == {"unit": reserve[0], "stratum": "S", "event": 2}
    assert err.message == f"events[2]：层 'S' 的候补名单已经用完，无法替换检查对象 {reserve[0]}"


# --------------------------------------------------------------------------------------------
# teams


def test_a_department_listed_in_several_slots() -> None:
    inp = small_input()
    inp["teams"] = {
        "inspectors": [["A1", "甲"], ["A2", "甲"], ["A3", "甲"], ["B1", "乙"], ["B2", "乙"]],
        "slots": [{"department": "甲", "count": 1}, {"department": "甲", "count": 1},
                  {"department": "乙", "count": 1}],
        "cap": 2,
        "exclusions": [],
    }
    package = draw.compute(inp)
    assert {k: package[k] for k in draw.PACKAGE_KEYS} == reference(copy.deepcopy(inp))
    for team in package["result"]["teams"].values():
        assert [m[0] for m in team] == ["A", "A", "B"] and len(set(team)) == 3


@pytest.mark.parametrize("size", [0, 1, 63, 64, 65, 100])
def test_hmac_keys_of_every_length(size: int) -> None:
    key = bytes(range(size))
    assert draw._hmac_fn(key, b"p\n")(b"m") == hmac.digest(key, b"p\nm", "sha256")
    assert draw._hmac_fn(key)(b"m") == hmac.digest(key, b"m", "sha256")


def test_commitment_error_names_the_input() -> None:
    with pytest.raises(draw.DrawError) as info:
        draw.commitment({"draw_id": "x"})
    assert info.value.message.startswith("输入 必须恰好包含键 draw_id、")


# --------------------------------------------------------------------------------------------
# strict JSON


def test_loads_messages_name_the_problem() -> None:
    with pytest.raises(draw.DrawError) as info:
        draw.loads('{"a": 1, "b": 2, "b": 3}')
    assert info.value.message == "不是合法的 JSON：JSON 对象中键 'b' 重复"
    with pytest.raises(draw.DrawError) as info:
        draw.loads("[NaN]")
    assert info.value.message == "不是合法的 JSON：不允许 NaN"
    with pytest.raises(draw.DrawError) as info:
        draw.loads("{")
    assert info.value.code == "invalid_input" and info.value.message.startswith("不是合法的 JSON：")


# --------------------------------------------------------------------------------------------
# the JSON writer


@pytest.mark.parametrize(
    "value",
    [
        ["a\"b", "c\\d", "e\nf", "plain"],  # strings that need escaping
        [str(i) for i in range(draw._CHUNK + 5)],  # more than one chunk
        [f"x{i}\t" for i in range(draw._CHUNK + 5)],
        [[1, "a"], [2, "b"]],  # pairs whose first items are not strings
        [["a", 1], ["b", 2]],  # ... or whose second items are not strings
        [["a\"", "b"], ["c", "d"]],  # ... or need escaping
        [[f"U{i}", "S"] for i in range(draw._CHUNK + 5)],
    ],
    ids=["escapes", "chunks", "chunks-escaped", "int-firsts", "int-seconds", "escaped-firsts", "pair-chunks"],
)
def test_dumps_lists_exactly_like_json(value: Any) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=1)
    assert draw.dumps(value) == expected
    assert draw.dumps({"k": value}) == json.dumps({"k": value}, ensure_ascii=False, indent=1)


def test_write_json_flushes_large_output_unchanged() -> None:
    value = {"units": [[f"U{i:07d}", "层"] for i in range(60_000)], "x": ["中" * 40] * 20_000}
    stream = io.BytesIO()
    draw.write_json(value, stream)
    text = stream.getvalue().decode("utf-8")
    assert len(text) > 1 << 20
    assert text == json.dumps(value, ensure_ascii=False, indent=1) + "\n"


# --------------------------------------------------------------------------------------------
# the command line, in-process


def write(tmp_path: Path, name: str, obj: Any) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_main_compute_prints_the_package(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    vector = load("vector-2.json")
    assert draw.main(["compute", write(tmp_path, "in.json", vector["input"])]) == 0
    out = capfdbinary.readouterr().out.decode("utf-8")
    assert out == json.dumps(vector["package"], ensure_ascii=False, indent=1) + "\n"


def test_main_compute_from_stdin(monkeypatch: pytest.MonkeyPatch, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    vector = load("vector-1.json")
    data = b"\xef\xbb\xbf" + json.dumps(vector["input"], ensure_ascii=False).encode("utf-8")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    assert draw.main(["compute", "-"]) == 0
    assert json.loads(capfdbinary.readouterr().out) == vector["package"]


def test_main_compute_errors(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    vector = load("vector-3-unstaffable.json")
    assert draw.main(["compute", write(tmp_path, "in.json", vector["input"])]) == 2
    captured = capfdbinary.readouterr()
    assert captured.err.decode("utf-8").startswith("错误 unstaffable: 无法为检查对象 H14052200034 配齐")
    assert captured.out.decode("utf-8") == (
        '{"error": "unstaffable", "unit": "H14052200034", "department": "县医疗保障局"}\n'  # readable Chinese
    )

    missing = str(tmp_path / "missing.json")
    assert draw.main(["compute", missing]) == 2
    captured = capfdbinary.readouterr()
    assert captured.err.decode("utf-8").startswith(f"错误 invalid_input: 无法读取文件 {missing}：")
    assert json.loads(captured.out) == {"error": "invalid_input"}

    (tmp_path / "dup.json").write_text('{"a": 1, "a": 2}', encoding="utf-8")
    assert draw.main(["compute", str(tmp_path / "dup.json")]) == 2
    assert json.loads(capfdbinary.readouterr().out) == {"error": "invalid_input"}


def test_main_verify(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    package = load("vector-2.json")["package"]
    assert draw.main(["verify", write(tmp_path, "ok.json", package)]) == 0
    assert capfdbinary.readouterr().out == b"OK\n"

    package["seed"] = "0" * 64
    package["result"]["order"].reverse()
    diffs = draw.verify(package)
    assert len(diffs) > 1 and diffs[0].startswith("seed 不一致：公布的为 '000")
    assert draw.main(["verify", write(tmp_path, "bad.json", package)]) == 1
    assert capfdbinary.readouterr().out.decode("utf-8") == "\n".join(diffs) + "\n"  # one line per difference

    missing = str(tmp_path / "nope.json")
    assert draw.main(["verify", missing]) == 1
    assert capfdbinary.readouterr().out.decode("utf-8").startswith(f"无法读取文件 {missing}：")
    (tmp_path / "garbage.json").write_bytes(b"\xff{")
    assert draw.main(["verify", str(tmp_path / "garbage.json")]) == 1
    assert capfdbinary.readouterr().out.decode("utf-8").startswith("不是合法的 JSON：")


def test_main_reads_sys_argv_and_writes_to_a_text_stdout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vector = load("vector-1.json")
    monkeypatch.setattr(sys, "argv", ["draw.py", "compute", write(tmp_path, "in.json", vector["input"])])
    out = io.StringIO()  # a stdout without .buffer (e.g. replaced by an embedding program)
    monkeypatch.setattr(sys, "stdout", out)
    assert draw.main() == 0
    assert out.getvalue() == draw.dumps(vector["package"]) + "\n"


def test_main_usage(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    for argv, status in (([], 2), (["frobnicate", "x"], 2), (["verify"], 2), (["--help"], 0), (["help"], 0),
                         (["-h"], 0)):
        assert draw.main(argv) == status, argv
        captured = capfdbinary.readouterr()
        assert captured.err.decode("utf-8") == draw.USAGE + "\n" and captured.out == b""


def test_say_encodes_for_the_stream() -> None:
    raw = io.BytesIO()
    ascii_stream = io.TextIOWrapper(raw, encoding="ascii")
    draw._say(ascii_stream, "中 ok")
    assert raw.getvalue() == b"\\u4e2d ok\n"  # unencodable characters are escaped, never an error
    text_only = io.StringIO()  # no .buffer and no .encoding: written as text
    draw._say(text_only, "中 ok")
    assert text_only.getvalue() == "中 ok\n"


# --------------------------------------------------------------------------------------------
# input validation: exact messages and details, and the fast path of the unit check


def vector_2() -> dict[str, Any]:
    return copy.deepcopy(load("vector-2.json")["input"])


def invalid(**changes: Any) -> draw.DrawError:
    inp = vector_2()
    inp.update(changes)
    err = error_of(inp)
    assert err.code == "invalid_input"
    return err


_LABEL_RULE = "不合法：只允许 0-9 A-Z . _ -（1 到 64 个字符，首尾空白会被去掉，小写字母 a-z 会转为大写）"


@pytest.mark.parametrize("position", [0, 3, 59])
def test_an_empty_label_anywhere_in_a_normalised_list_is_refused(position: int) -> None:
    units = vector_2()["units"]
    units[position][0] = ""
    err = invalid(units=units)
    assert err.message == f"units[{position}] 的标签 '' {_LABEL_RULE}"
    assert err.details == {"field": f"units[{position}]"}


def test_label_length_limit_in_the_fast_path() -> None:
    units = vector_2()["units"]
    units[-1][0] = "A" * 65
    assert invalid(units=units).message == f"units[59] 的标签 '{'A' * 24}…' {_LABEL_RULE}"
    units[-1][0] = "A" * 64
    assert draw.commitment({k: v for k, v in vector_2().items() if k in draw.COMMIT_KEYS} | {"units": units})


def test_unit_errors_carry_index_and_label() -> None:
    units = vector_2()["units"]
    err = invalid(units=[*units, list(units[5])])
    assert err.message == f"units[60] 的标签 {units[5][0]} 与 units[5] 重复（规范化后）"
    assert err.details == {"index": 60, "label": units[5][0]}
    err = invalid(units=[*units[:2], [units[2][0], "nope"], *units[3:]])
    assert (err.message, err.details) == ("units[2] 的层 'nope' 未在 strata 中定义", {"index": 2})
    err = invalid(units=[*units[:2], [units[2][0]], *units[3:]])
    assert err.message == f'units[2] 必须是 [标签, 层标识] 两项数组，实际为 ["{units[2][0]}"]'
    assert err.details == {"index": 2}
    assert invalid(units={}).message == "units 必须是数组，实际为 {}"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("ratio", [1], "ratio 必须是两个整数 [p, q]，实际为 [1]"),
        ("ratio", [3, 2], "ratio 必须满足 0 <= p <= q 且 q >= 1，实际为 [3, 2]"),
        ("rounding", "up", "rounding 必须是 ceil、floor 或 half_up，实际为 'up'"),
        ("min", -1, "min 必须是不小于 0 的整数，实际为 -1"),
        ("max", -1, "max 必须是不小于 0 的整数或 null，实际为 -1"),
    ],
)
def test_stratum_messages(field: str, value: Any, message: str) -> None:
    strata = vector_2()["strata"]
    strata["140522|H"][field] = value
    assert invalid(strata=strata).message == f"strata['140522|H'].{message}"


def test_stratum_keys_types_and_max_zero() -> None:
    strata = vector_2()["strata"]
    strata["140522|H"]["extra"] = 1
    del strata["140522|H"]["min"]
    err = invalid(strata=strata)
    assert err.message == "strata['140522|H'] 必须恰好包含键 ratio、rounding、min、max：缺少 min；多余 'extra'"
    assert err.details == {"missing": ["min"], "extra": ["extra"]}
    assert invalid(strata=[]).message == "strata 必须是 JSON 对象，实际为 []"
    assert invalid(strata={5: {}}).message == "strata 的层标识 5 必须是字符串，实际为 5"
    commit_time = {k: v for k, v in vector_2().items() if k in draw.COMMIT_KEYS}
    commit_time["strata"]["140522|P"]["max"] = 0  # a stratum may be switched off
    assert draw.commitment(commit_time)["strata"]["140522|P"]["sample_size"] == 0


def test_input_keys_message_and_details() -> None:
    inp = vector_2()
    del inp["draw_id"]
    inp.update(x=1, y=2)
    err = error_of(inp)
    assert err.message == (
        "输入 必须恰好包含键 draw_id、units、strata、commit、randomness_sources、teams、secret、"
        "public_randomness、events：缺少 draw_id；多余 'x'、'y'"
    )
    assert err.details == {"missing": ["draw_id"], "extra": ["x", "y"]}
    assert invalid(commit="ABC").message == "commit 必须是 64 位小写十六进制字符串，实际为 'ABC'"
    assert invalid(draw_id="").message == "draw_id 不能为空字符串"
    assert invalid(draw_id=5).message == "draw_id 必须是字符串，实际为 5"


def test_object_checks_name_the_place() -> None:
    teams = vector_2()["teams"]
    teams["slots"][1] = 5
    assert invalid(teams=teams).message == "teams.slots[1] 必须是 JSON 对象，实际为 5"
    teams = vector_2()["teams"]
    teams["slots"][0] = {}
    err = invalid(teams=teams)
    assert err.message == "teams.slots[0] 必须恰好包含键 department、count：缺少 department、count"
    assert err.details == {"missing": ["department", "count"], "extra": []}


def test_normalisers_default_names_and_messages() -> None:
    cases = [
        (lambda: draw.normalise_label(5), "标签 的标签必须是字符串，实际为 5", {}),
        (lambda: draw.normalise_label("a b"), f"标签 的标签 'a b' {_LABEL_RULE}", {"field": "标签"}),
        (lambda: draw.normalise_text(""), "public_randomness 规范化后为空", {}),
        (lambda: draw.normalise_text(" \r\n "), "public_randomness 规范化后为空", {}),
        (lambda: draw.normalise_text(5), "public_randomness 必须是字符串，实际为 5", {}),
    ]
    for call, message, details in cases:
        with pytest.raises(draw.DrawError) as info:
            call()
        assert (info.value.message, info.value.details) == (message, details)


def commit_part(units: list[list[str]]) -> dict[str, Any]:
    inp = {k: v for k, v in small_input(teams=False).items() if k in draw.COMMIT_KEYS}
    inp["units"] = units
    return inp


def test_duplicate_normalised_labels_are_found_inside_and_across_hashing_chunks() -> None:
    step = 1 << 15  # labels are hashed in chunks of this many, in label order
    units = [[f"U{i:05d}", "S"] for i in range(step)]
    for duplicate in ("U00007", f"U{step - 1:05d}"):  # inside the first chunk / first of the next chunk
        with pytest.raises(draw.DrawError) as info:
            draw.commitment(commit_part([*units, [duplicate, "S"]]))
        assert info.value.message == f"units[{step}] 的标签 {duplicate} 与 units[{int(duplicate[1:])}] 重复（规范化后）"


@pytest.mark.parametrize("count", [0, 1, (1 << 15) - 1, 1 << 15, (1 << 15) + 1])
def test_snapshot_digest_at_chunk_boundaries(count: int) -> None:
    units = [[f"U{i:05d}", "S"] for i in range(count)]
    expected = hashlib.sha256(json.dumps(units, separators=(",", ":")).encode()).hexdigest()
    assert draw.commitment(commit_part(units))["snapshot_digest"] == expected


def test_commit_time_messages() -> None:
    assert invalid(randomness_sources="abc").message == "randomness_sources 必须是非空的字符串数组，实际为 'abc'"
    assert invalid(randomness_sources=[]).message == "randomness_sources 必须是非空的字符串数组，实际为 []"
    assert invalid(randomness_sources=["a", ""]).message == "randomness_sources[1] 不能为空字符串"
    assert invalid(secret="x").message == "secret 必须是 64 位小写十六进制字符串，实际为 'x'"
    assert invalid(public_randomness=" ").message == "public_randomness 规范化后为空"
    err = error_of(dict(vector_2(), secret="22" * 32))
    assert err.code == "commit_mismatch" and err.details == {"commit": vector_2()["commit"]}
    assert err.message == (
        f"secret 与 commit 不匹配：H(secret) = {hashlib.sha256(bytes.fromhex('22' * 32)).hexdigest()}，"
        f"commit = {vector_2()['commit']}"
    )


def test_sample_size_messages() -> None:
    with pytest.raises(ValueError, match="^q must be >= 1$"):
        draw.sample_size(10, 1, 0, "ceil", 0, None)
    with pytest.raises(ValueError, match="^unknown rounding 'up'$"):
        draw.sample_size(10, 1, 2, "up", 0, None)
