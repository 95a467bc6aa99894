import httpx
import pytest

from notifiers import NotifierConfig, PermanentFailure, ensure_host_allowed
from notifiers.transport import retry_after_seconds


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
