"""pytest fixtures for the local receivers.

- robot_receiver: a RobotReceiver (WeCom, DingTalk, Feishu, generic webhook),
  started once per session and reset around each test.
- smtp_certificate: a self-signed certificate for 127.0.0.1 (session).
- smtp_receiver_factory: smtp_receiver_factory(security="none"|"starttls"|"ssl",
  require_auth=True) -> a started SmtpReceiver, stopped after the test.
- smtp_receiver: a plain SMTP receiver requiring login.
- notifier_config: a NotifierConfig pointing every channel at the receivers
  above (robot base URLs, SMTP host/port/login), 2-second timeouts; adapt it
  with dataclasses.replace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from notifiers import NotifierConfig
from tests.support.robot_receiver import RobotReceiver
from tests.support.smtp_receiver import (
    SMTP_PASSWORD,
    SMTP_USER,
    Certificate,
    SmtpReceiver,
    make_self_signed_certificate,
)


@pytest.fixture(scope="session")
def _robot_receiver_server() -> Iterator[RobotReceiver]:
    with RobotReceiver() as receiver:
        yield receiver


@pytest.fixture
def robot_receiver(_robot_receiver_server: RobotReceiver) -> Iterator[RobotReceiver]:
    _robot_receiver_server.reset()
    yield _robot_receiver_server
    _robot_receiver_server.reset()


@pytest.fixture(scope="session")
def smtp_certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return make_self_signed_certificate(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def smtp_receiver_factory(smtp_certificate: Certificate) -> Iterator[Callable[..., SmtpReceiver]]:
    started: list[SmtpReceiver] = []

    def start(security: str = "none", require_auth: bool = True) -> SmtpReceiver:
        receiver = SmtpReceiver(security, smtp_certificate, require_auth).start()
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def smtp_receiver(smtp_receiver_factory: Callable[..., SmtpReceiver]) -> SmtpReceiver:
    return smtp_receiver_factory()


@pytest.fixture
def notifier_config(
    robot_receiver: RobotReceiver, smtp_receiver: SmtpReceiver, smtp_certificate: Certificate
) -> NotifierConfig:
    return NotifierConfig(
        smtp_host=smtp_receiver.host,
        smtp_port=smtp_receiver.port,
        smtp_security="none",
        smtp_user=SMTP_USER,
        smtp_password=SMTP_PASSWORD,
        smtp_from="督办 <duban@office.example.gov.cn>",
        smtp_ca_file=smtp_certificate.cert_file,
        wecom_base_url=robot_receiver.base_url,
        dingtalk_base_url=robot_receiver.base_url,
        feishu_base_url=robot_receiver.base_url,
        timeout_seconds=2.0,
    )
