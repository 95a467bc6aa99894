"""Bracket-aware scanning: annotations and unit names can hold brackets of their own.

`各县（市、区）政府` and `市委组织部〔市人才办〕` are one name each, and an
annotation that lists such a name is often wrapped in 〔…〕 or 〈…〉. A regular
expression cannot count nesting, so these few lines do, in one pass.
"""

import functools
import re

OPENING = {"(": ")）", "（": ")）", "〔": "〕", "〈": "〉", "[": "]］", "［": "]］", "【": "】"}
CLOSING = frozenset("".join(OPENING.values()))
MAX_SPAN = 300
# Brackets that may wrap a responsibility annotation.
_ANNOTATION_OPENING = re.compile("[(（〔〈]")
_ANY_BRACKET = re.compile("[" + re.escape("".join(OPENING) + "".join(CLOSING)) + "]")


def bracket_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost (…)/（…）/〔…〕/〈…〉 of at most MAX_SPAN characters.

    Inner brackets of any kind nest; an opening bracket left unclosed within
    MAX_SPAN characters is ordinary text, and the scan goes on after it.
    """
    closing = _closings(text)
    spans, index = [], 0
    for match in _ANNOTATION_OPENING.finditer(text):
        start = match.start()
        end = closing.get(start)
        if start >= index and end is not None and end - start <= MAX_SPAN + 2:
            spans.append((start, end))
            index = end
    return spans


def _closings(text: str) -> dict[int, int]:
    """For each opening bracket that is properly closed, the end (exclusive) of its closing one.

    One pass with a stack, so a run of brackets costs its length, not its length
    times MAX_SPAN. A closing bracket that does not match the innermost open one
    leaves every bracket then open unclosed: each of them would meet it first.
    """
    closing, stack = {}, []
    for match in _ANY_BRACKET.finditer(text):
        char = match.group()
        if char in OPENING:
            stack.append((match.start(), OPENING[char]))
        elif stack and char in stack[-1][1]:
            closing[stack.pop()[0]] = match.end()
        else:
            stack.clear()
    return closing


@functools.lru_cache(maxsize=8)
def _splitter(separators: str) -> re.Pattern:
    return re.compile("[" + re.escape(separators) + "]")


def split_outside(text: str, separators: str) -> list[str]:
    """`text` split at the separator characters that stand outside every bracket."""
    if not _ANY_BRACKET.search(text):
        return _splitter(separators).split(text)  # the usual name list: no brackets to count
    parts, current, depth = [], [], 0
    for char in text:
        if char in OPENING:
            depth += 1
        elif char in CLOSING and depth:
            depth -= 1
        elif char in separators and not depth:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return parts
