"""The furniture of a web page a plan was copied from: not part of the plan.

Plans are often pasted or saved from a government site, and the page's own
words come along: 扫一扫在手机打开当前页, 【字体：大 中 小】, 打印本页,
关闭窗口, 分享到, 浏览次数, 上一篇/下一篇. They are removed wherever they
stand (often glued to the last measure), and a line left with nothing but
their brackets and separators is dropped.
"""

import re

_PHRASES = (
    "扫一扫在手机打开当前页|掃一掃在手機打開當前頁|扫一扫在手机上查看当前页面|打印本页|打印本頁|关闭窗口|關閉窗口"
    "|保存本页|收藏本页|打印页面|关闭本页|返回顶部|返回頂部|视力保护色|視力保護色|分享到[:：]|【打印】|【关闭】|【關閉】"
    r"|【?字[体體号號]\s{0,2}[:：](?:\s{0,3}【?大】?\s{0,3}【?中】?\s{0,3}【?小】?)?】?"
)
_FURNITURE = re.compile(_PHRASES)
# Page metadata on a line of its own.
_META_LINE = re.compile(
    r"^\s{0,8}(?:浏览次数|瀏覽次數|浏览量|瀏覽量|访问量|訪問量|上一篇|下一篇|相关链接|相關鏈接|当前位置|當前位置|您现在的位置|您的位置)[^\n]{0,80}$",
    re.MULTILINE,
)
_LEFT_OVER = re.compile(r"^[\s【】\[\]|｜/、,，:：]{1,40}$")


def strip_boilerplate(text: str) -> str:
    if not (_FURNITURE.search(text) or _META_LINE.search(text)):
        return text  # the usual case: the text is a plan and nothing else
    text = _META_LINE.sub("", _FURNITURE.sub("", text))
    return "\n".join(line for line in text.split("\n") if not _LEFT_OVER.match(line))
