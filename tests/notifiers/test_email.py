"""Email notifier against the local aiosmtpd server."""

from __future__ import annotations

import dataclasses
import re

import pytest

from notifiers import NotifierConfig, PermanentFailure, RetryAfter, Sent, Target
from tests.notifiers.sending import make_message, send, send_all
from tests.support.smtp_receiver import free_port

RECIPIENT = "contact@gxj.example.gov.cn"


def crlf_to_lf(text: str) -> str:
    return text.replace("\r\n", "\n")  # SMTP carries CRLF line ends


def config_for(receiver, notifier_config: NotifierConfig, **overrides) -> NotifierConfig:
    return dataclasses.replace(
        notifier_config,
        smtp_port=receiver.port,
        smtp_security=receiver.security,
        **overrides,
    )


@pytest.mark.parametrize("security", ["none", "starttls", "ssl"])
def test_email_is_delivered_with_login(security, smtp_receiver_factory, notifier_config):
    receiver = smtp_receiver_factory(security)
    message = make_message()

    result = send(config_for(receiver, notifier_config), message, Target("email", RECIPIENT))

    assert isinstance(result, Sent)
    [received] = receiver.messages
    assert received.rcpt_tos == [RECIPIENT]
    assert received.mail_from == "duban@office.example.gov.cn"


def test_email_is_multipart_text_and_html_with_a_utf8_subject(smtp_receiver, notifier_config):
    message = make_message()

    send(notifier_config, message, Target("email", RECIPIENT))

    email = smtp_receiver.messages[0].email
    assert email["Subject"] == message.subject
    assert email.get_content_type() == "multipart/alternative"
    assert crlf_to_lf(email.get_body(("plain",)).get_content()).strip() == message.text
    assert crlf_to_lf(email.get_body(("html",)).get_content()).strip() == message.html
    assert email["Date"]
    assert str(email["From"]) == "督办 <duban@office.example.gov.cn>"


def test_a_long_chinese_subject_goes_out_as_encoded_words_of_at_most_75_characters(smtp_receiver, notifier_config):
    subject = "【督办】关于知识产权强市建设三年行动计划第十二项措施（含𠀀等扩展汉字）的黄色催办：请市市场监督管理局于本周五前报送进展情况" * 2
    message = make_message(subject=subject)

    send(notifier_config, message, Target("email", RECIPIENT))

    received = smtp_receiver.messages[0]
    head = received.raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    lines = head.split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Subject:"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    subject_lines = lines[start:end]
    words = re.findall(r"=\?[^?]+\?[bB]\?[^?]*\?=", "\n".join(subject_lines))
    assert len(words) > 3
    assert max(len(word) for word in words) <= 75  # RFC 2047 §2
    assert max(len(line) for line in subject_lines) <= 76
    assert received.email["Subject"] == subject


def test_message_id_is_derived_from_the_notification_id(smtp_receiver, notifier_config):
    message = make_message(id="reminder 42:T-3")

    send_all(notifier_config, (message, Target("email", RECIPIENT)), (message, Target("email", RECIPIENT)))

    first, resent = (m.email["Message-ID"] for m in smtp_receiver.messages)
    assert first == resent == "<duban.reminder-42-T-3@office.example.gov.cn>"


def test_text_only_email_is_not_multipart(smtp_receiver, notifier_config):
    send(notifier_config, make_message(html=None), Target("email", RECIPIENT))

    assert smtp_receiver.messages[0].email.get_content_type() == "text/plain"


def test_wrong_password_is_permanent(smtp_receiver, notifier_config):
    config = dataclasses.replace(notifier_config, smtp_password="wrong")

    result = send(config, make_message(), Target("email", RECIPIENT))

    assert isinstance(result, PermanentFailure)
    assert "535" in result.reason
    assert result.words == "邮件服务器拒绝发送（代码 535）"
    assert smtp_receiver.messages == []


def test_mailbox_unavailable_is_permanent(smtp_receiver, notifier_config):
    smtp_receiver.reject(RECIPIENT, 550, "5.1.1 mailbox unavailable")

    result = send(notifier_config, make_message(), Target("email", RECIPIENT))

    assert isinstance(result, PermanentFailure)
    assert "550" in result.reason
    assert result.words == "邮件服务器拒收该收件地址（代码 550）"


def test_temporary_refusal_is_retried(smtp_receiver, notifier_config):
    smtp_receiver.reject(RECIPIENT, 451, "4.3.0 try again later")

    result = send(notifier_config, make_message(), Target("email", RECIPIENT))

    assert isinstance(result, RetryAfter)
    assert "451" in result.reason
    assert result.words == "邮件服务器拒收该收件地址（代码 451），系统将稍后重试"


def test_server_down_is_retried(notifier_config):
    config = dataclasses.replace(notifier_config, smtp_port=free_port())

    result = send(config, make_message(), Target("email", RECIPIENT))

    assert isinstance(result, RetryAfter)
    assert result.words == "无法连接到接收方，系统将稍后重试"


def test_untrusted_certificate_is_permanent(smtp_receiver_factory, notifier_config):
    receiver = smtp_receiver_factory("ssl")
    config = config_for(receiver, notifier_config, smtp_ca_file=None)

    result = send(config, make_message(), Target("email", RECIPIENT))

    assert isinstance(result, PermanentFailure)
    assert "certificate" in result.reason
    assert result.words == "邮件服务器证书无法验证"
