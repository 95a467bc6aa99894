import httpx
import pytest

from notifiers import NotifierConfig, PermanentFailure, ensure_host_allowed, split_for_limit
from notifiers.transport import retry_after_seconds


def test_split_keeps_whole_lines_within_the_limit():
    lines = [f"{n}. 市发展改革委：第{n}项措施将于2025-06-30到期\n" for n in range(40)]
    text = "".join(lines)

    parts = split_for_limit(text, 300)

    assert len(parts) > 1
    assert "".join(parts) == text
    assert all(len(part.encode("utf-8")) <= 300 for part in parts)
    assert all(part.endswith("\n") for part in parts)  # no line was cut


def test_split_cuts_a_giant_line_between_characters():
    text = "督办" * 1000  # one 6000-byte line, 3 bytes per character

    parts = split_for_limit(text, 100)

    assert "".join(parts) == text
    assert all(len(part.encode("utf-8")) <= 100 for part in parts)
    assert [len(part.encode("utf-8")) for part in parts[:-1]] == [99] * (len(parts) - 1)


def test_split_leaves_short_text_whole():
    assert split_for_limit("短消息", 2048) == ["短消息"]
    assert split_for_limit("", 2048) == [""]


def test_split_refuses_a_limit_smaller_than_one_character():
    with pytest.raises(ValueError):
        split_for_limit("督", 3)


def test_allowed_hosts_are_the_webhook_list_plus_the_robot_hosts():
    config = NotifierConfig(webhook_allowed_hosts=("hooks.example.gov.cn",))

    assert config.allowed_hosts == {
        "hooks.example.gov.cn",
        "qyapi.weixin.qq.com",
        "oapi.dingtalk.com",
        "open.feishu.cn",
    }


def test_host_check():
    allowed = {"hooks.example.gov.cn"}

    assert ensure_host_allowed("https://HOOKS.example.gov.cn:8443/x", allowed) is None
    assert isinstance(ensure_host_allowed("https://evil.example.com/x", allowed), PermanentFailure)
    assert isinstance(ensure_host_allowed("http://10.0.0.1/x", allowed), PermanentFailure)
    assert isinstance(ensure_host_allowed("file://hooks.example.gov.cn/etc/passwd", allowed), PermanentFailure)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("120", 120.0), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0), ("soon", None), (None, None)],
)
def test_retry_after_header_forms(header, expected):
    headers = {"Retry-After": header} if header else {}
    assert retry_after_seconds(httpx.Response(429, headers=headers)) == expected
