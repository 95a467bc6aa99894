"""Each channel declares its own settings (notifiers.SETTINGS); the service reads them from
the environment variables the README documents, and the notifiers get them."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from notifiers import SETTINGS
from service.config import Settings
from service.delivery.service import notifier_config

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_channels_settings_come_from_their_environment_variables(monkeypatch):
    monkeypatch.setenv("DUBAN_SMTP_CA_FILE", "/etc/duban/relay-ca.pem")
    monkeypatch.setenv("DUBAN_SMTP_SECURITY", "starttls")
    monkeypatch.setenv("DUBAN_NOTIFIER_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("DUBAN_WEBHOOK_ALLOWED_HOSTS", "hooks.example.gov.cn, oa.example.gov.cn")
    monkeypatch.setenv("DUBAN_FEISHU_BASE_URL", "http://127.0.0.1:9000/")

    config = notifier_config(Settings(database_url="sqlite://"))

    assert config.smtp_ca_file == "/etc/duban/relay-ca.pem"
    assert config.smtp_security == "starttls"
    assert config.timeout_seconds == 2.5
    assert config.webhook_allowed_hosts == ("hooks.example.gov.cn", "oa.example.gov.cn")
    assert config.allowed_hosts == {
        "hooks.example.gov.cn", "oa.example.gov.cn", "127.0.0.1", "qyapi.weixin.qq.com", "oapi.dingtalk.com",
    }


def test_every_declared_setting_is_a_setting_and_documented():
    fields = Settings.model_fields
    readme = README.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert setting.env_name in fields
        assert f"DUBAN_{setting.env_name.upper()}" in readme


@pytest.mark.parametrize("bad", [{"smtp_security": "tls"}, {"notifier_timeout_seconds": 0}])
def test_a_setting_a_channel_cannot_use_is_refused_at_start(bad):
    with pytest.raises(ValidationError):
        Settings(database_url="sqlite://", **bad)
