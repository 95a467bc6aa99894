"""Delivery results in words: the notifiers report what the other side answered in
technical English ("accepted by smtp.example.org", "HTTP 404: ..."), which the
office reads on its pages as a Chinese sentence saying what happened and what to do."""

import re

# First match wins; {0}… are the pattern's groups.
_RESULTS = [
    (re.compile(r"^accepted by (.+)$"), "已送达（邮件服务器 {0} 已接收）"),
    (re.compile(r"^HTTP (2\d\d)$"), "已送达"),
    (re.compile(r"^(sent|ok)$", re.I), "已送达"),
    (re.compile(r"^timed out"), "对方长时间未应答，系统将稍后重试"),
    (re.compile(r"^(SMTP )?connection failed"), "无法连接到接收方，系统将稍后重试"),
    (re.compile(r"^invalid URL|^unsupported URL scheme"), "地址无效，请检查渠道地址"),
    (re.compile(r"not on the allowed hosts list"), "该地址的主机未获准发送，请联系系统运维人员放行"),
    (re.compile(r"^rate limited"), "对方限制了发送频率，系统将稍后重发"),
    (re.compile(r"^robot busy"), "机器人繁忙，系统将稍后重试"),
    (re.compile(r"^robot refused: (-?\d+)"), "机器人拒收（错误码 {0}），请检查密钥、关键词或签名设置"),
    (re.compile(r"^robot answered"), "机器人的应答无法识别，系统将稍后重试"),
    (re.compile(r"over the \d+-byte limit"), "消息超出该渠道的长度限制"),
    (re.compile(r"^HTTP (\d{3})"), "接收方拒绝（状态码 {0}）"),
    (re.compile(r"^SMTP server certificate"), "邮件服务器证书无法验证"),
    (re.compile(r"^SMTP|^unknown SMTP"), "邮件服务器设置有误，请联系系统运维人员"),
]


def delivery_words(detail: str | None) -> str:
    """What a delivery attempt's detail means, in Chinese; Chinese details are kept as written."""
    if not detail:
        return ""
    for pattern, words in _RESULTS:
        found = pattern.search(detail)
        if found:
            return words.format(*found.groups())
    return detail if not re.search(r"[A-Za-z]{3}", detail) else "发送失败，原因未能识别"
