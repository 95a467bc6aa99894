"""Pinyin initials of Chinese names: what people type to find a unit (fgw for
发改委) and what readable usernames are made of."""

from pypinyin import Style, lazy_pinyin


def initials(name: str) -> str:
    """市发展改革委 → sfzggw; letters and digits in the name are kept."""
    return "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()


def pinyin_key(name: str) -> list[str]:
    """Sorts names the way a Chinese list is read, by pinyin."""
    return lazy_pinyin(name)
