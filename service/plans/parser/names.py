"""Department names in annotations → normalised Simplified Chinese names.

In a 、-list such as `市發展改革委、工業和信息化委` the level prefix (市/省/区/县)
is written once and shared by the following items, so `工业和信息化委` means
`市工业和信息化委`. Items that already name a whole body keep their form.
"""

import re

from .brackets import split_outside
from .chinese import strip_spaces, to_simplified
from .roles import without_vague

LEVEL_PREFIXES = ("省", "市", "区", "县")

# A name containing one of these already says which body it is
# (越秀区政府, 广州海关, 团市委, 广州知识产权法院); 市场 is a word, not a level.
_FULL_BODY = re.compile(
    r"^(各|本|全|国家|中国)|[省市区县州]|海关|法院|检察院|仲裁院|大学|集团|公司|银行"
)

ITEM_SEPARATORS = "、/"
# "各县、市、区政府" is one group of units, not 各县 + 市 + 区政府.
_LEVEL_SERIES = re.compile(r"各[县市区](?:、[县市区]){1,3}(?:人民)?政府")
# "市级各有关部门及各县市区政府", "州委编办及州直相关单位": 及 joins two lists.
_AND_EACH = re.compile(r"[及和](?=各|[市省区县州](?:直|级)|有关|相关|其他)")


def is_full_body(name: str) -> bool:
    return bool(_FULL_BODY.search(name.replace("市场", "")))


def level_prefix(name: str) -> str | None:
    return name[0] if name.startswith(LEVEL_PREFIXES) else None


def expand_list(items: list[str]) -> list[str]:
    """Give bare items the level prefix of the latest prefixed item before them."""
    expanded, prefix = [], None
    for item in items:
        if is_full_body(item):
            prefix = level_prefix(item) or prefix
            expanded.append(item)
        elif prefix:
            expanded.append(prefix + item)
        else:
            expanded.append(item)
    return expanded


def department_list(text: str, context: str = "") -> list[str]:
    """`市發展改革委、工業和信息化委` → [`市发展改革委`, `市工业和信息化委`].

    Brackets inside a name keep it whole (各县（市、区）政府); vague names
    (有关部门, …等相关单位) are left out and reported against `context`.
    """
    return simple_department_list(strip_spaces(to_simplified(text)), context)


def simple_department_list(text: str, context: str = "") -> list[str]:
    """`department_list` of a text already in Simplified Chinese without spaces."""
    text = _AND_EACH.sub("、", text)
    series = _LEVEL_SERIES.search(text)
    if series:
        before, after = text[: series.start()], text[series.end() :]
        return simple_department_list(before, context) + [series.group(0)] + simple_department_list(after, context)
    items = [item for item in split_outside(text, ITEM_SEPARATORS) if item]
    return expand_list(without_vague(items, context or text))
