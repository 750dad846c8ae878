"""Chinese line breaking: fits the width, keeps ASCII words, 避头尾."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from spotcheck.documents.linebreak import NO_LINE_END, NO_LINE_START, wrap


def width(text: str) -> int:
    """Half width for ASCII, full width for everything else."""
    return sum(1 if ord(ch) < 128 else 2 for ch in text)


def test_ascii_words_stay_whole_and_spaces_break():
    words = ["python", "draw.py", "verify", "package.json"]
    assert wrap("python draw.py verify package.json", 12, width) == words
    assert wrap("abcdef" * 4, 8, width) == ["abcdefab", "cdefabcd", "efabcdef"]  # longer than a line


def test_no_closing_punctuation_at_line_start_nor_opening_at_end():
    assert wrap("一二三四。", 8, width) == ["一二三", "四。"]
    assert wrap("张三（S001，阳城县）、李四", 10, width) == ["张三", "（S001，阳", "城县）、李", "四"]
    assert wrap("甲乙丙（丁戊", 8, width) == ["甲乙丙", "（丁戊"]


def test_the_rule_yields_rather_than_overflow_or_leave_nothing():
    def wide_stop(text: str) -> int:
        return width(text) + text.count("。")

    # "abcdefghij。" would be 13 wide
    assert wrap("甲abcdefghij。", 12, wide_stop) == ["甲abcdefghij", "。"]
    assert wrap("下载结果包（2026-140522-001-package.json）", 30, width) == [
        "下载结果包", "（2026-140522-001-package.json", "）"]  # only "（" would stay


def test_forced_breaks_are_kept():
    assert wrap("1. 甲\n2. 乙", 100, width) == ["1. 甲", "2. 乙"]


@given(st.text(alphabet="阳城县医保局，。、（）“”abc 123-", max_size=80), st.integers(min_value=4, max_value=30))
def test_lines_fit_and_nothing_is_lost(text, limit):
    lines = wrap(text, limit, width)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(width(line) <= limit for line in lines)


@given(st.lists(st.sampled_from(list("阳城县医保局检查") + ["，", "。", "（", "）"]), max_size=60))
def test_kinsoku_holds_for_chinese_text(chars):
    text = "".join(chars)
    lines = wrap(text, 20, width)
    for before, after in zip(lines, lines[1:], strict=False):
        # obeying needs a normal character after the first one of `before` to carry down with the mark
        movable = any(ch not in NO_LINE_START | NO_LINE_END for ch in before[1:])
        if movable:
            assert not (after and after[0] in NO_LINE_START), (before, after)
            assert not before or before[-1] not in NO_LINE_END, (before, after)
