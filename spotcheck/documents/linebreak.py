"""Chinese line breaking (避头尾) for renderers that only know how to break at spaces or anywhere.

Breaks between any two CJK characters, keeps runs of printable ASCII (codes, dates, file names)
together unless a run is longer than a whole line, never starts a line with closing punctuation
(，。、）” …) and never ends one with opening punctuation (（“《 …), unless obeying would leave
a line empty or overflow the next one. Every line fits the width.
"""

from __future__ import annotations

import re
from collections.abc import Callable

NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…—·,.;:!?)]}%")
NO_LINE_END = frozenset("（《「『【〔〈“‘([{")
_TOKEN = re.compile(r"[!-~]+| |.", re.DOTALL)


def wrap(text: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Lines of ``text`` no wider than ``width`` (``measure`` gives a string's width); ``\\n`` is kept as
    a forced break. A space at a break is dropped."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line: list[str] = []  # tokens
        used = 0.0
        for token in _TOKEN.findall(paragraph):
            size = measure(token)
            if used + size <= width:
                line.append(token)
                used += size
            elif token == " ":
                lines.append("".join(line))
                line, used = [], 0.0
            elif size > width:  # longer than a line (a digest): break it anywhere
                for ch in token:
                    w = measure(ch)
                    if used + w > width and line:
                        lines.append("".join(line))
                        line, used = [], 0.0
                    line.append(ch)
                    used += w
            else:
                keep = len(line)  # tokens that stay on this line
                if token[0] in NO_LINE_START:  # carry the closing marks before it and one more token
                    while keep > 1 and line[keep - 1][0] in NO_LINE_START:
                        keep -= 1
                    keep -= 1
                while keep > 1 and line[keep - 1][-1] in NO_LINE_END:
                    keep -= 1
                if (keep < 1 or all(ch in NO_LINE_END for ch in "".join(line[:keep]))
                        or measure("".join(line[keep:])) + size > width):
                    keep = len(line)  # the rule would leave nothing or overflow the next line: break here
                line, carry = line[:keep], line[keep:]
                lines.append("".join(line).rstrip(" "))
                line = [*carry, token]
                used = measure("".join(line))
        lines.append("".join(line))
    return lines
