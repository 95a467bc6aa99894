"""Bracket-aware scanning: annotations and unit names can hold brackets of their own.

`各县（市、区）政府` and `市委组织部〔市人才办〕` are one name each, and an
annotation that lists such a name is often wrapped in 〔…〕 or 〈…〉. A regular
expression cannot count nesting, so these few lines do, in one pass.
"""

OPENING = {"(": ")）", "（": ")）", "〔": "〕", "〈": "〉", "[": "]］", "［": "]］", "【": "】"}
CLOSING = frozenset("".join(OPENING.values()))
# Brackets that may wrap a responsibility annotation.
ANNOTATION_OPENING = frozenset("(（〔〈")
MAX_SPAN = 300


def bracket_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost (…)/（…）/〔…〕/〈…〉 of at most MAX_SPAN characters.

    Inner brackets of any kind nest; an opening bracket left unclosed within
    MAX_SPAN characters is ordinary text, and the scan goes on after it.
    """
    spans, index, length = [], 0, len(text)
    while index < length:
        if text[index] not in ANNOTATION_OPENING:
            index += 1
            continue
        end = _closing(text, index)
        if end is None:
            index += 1
        else:
            spans.append((index, end))
            index = end
    return spans


def _closing(text: str, start: int) -> int | None:
    """The end (exclusive) of the bracket opened at `start`, or None."""
    expected = [OPENING[text[start]]]
    for index in range(start + 1, min(len(text), start + MAX_SPAN + 2)):
        char = text[index]
        if char in OPENING:
            expected.append(OPENING[char])
        elif char in CLOSING:
            if char not in expected[-1]:
                return None
            expected.pop()
            if not expected:
                return index + 1
    return None


def split_outside(text: str, separators: str) -> list[str]:
    """`text` split at the separator characters that stand outside every bracket."""
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
