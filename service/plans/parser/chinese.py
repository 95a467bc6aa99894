"""Traditional → Simplified conversion and whitespace handling shared by the parser."""

import re
from functools import lru_cache

import opencc

_WHITESPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    # Building the converter loads dictionaries; do it once per process.
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _converter().convert(text)


def strip_spaces(text: str) -> str:
    return _WHITESPACE.sub("", text)


def chinese_number(numeral: str) -> int:
    """Value of a small Chinese numeral such as 三, 十, 十七, 二十一."""
    digits = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if "十" not in numeral:
        return digits[numeral]
    tens, _, units = numeral.partition("十")
    return digits.get(tens, 1) * 10 + digits.get(units, 0)
