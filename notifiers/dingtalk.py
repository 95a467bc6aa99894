"""DingTalk (钉钉) custom robot: POST {base}/robot/send?access_token=TOKEN.

With a secret (加签), the URL also carries timestamp (milliseconds) and
sign = Base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")).
Messages are markdown; mentions go in at.atMobiles and, as DingTalk only
highlights a mention that also appears in the text, as "@mobile" in the text.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import urlencode

from notifiers.base import Body, DeliveryResult, Message, RobotNotifier, Setting, Target, mentions_for
from notifiers.transport import post_to_robot, result_for_code

# DingTalk refuses request bodies over 20000 bytes (errcode 460101); the
# content limit leaves room for the title, mentions and JSON escaping.
CONTENT_MAX_BYTES = 16000
SEND_TOO_FAST = 130101


def sign(secret: str, timestamp_ms: str) -> str:
    string_to_sign = f"{timestamp_ms}\n{secret}".encode("utf-8")
    digest = hmac.new(secret.encode("utf-8"), string_to_sign, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def read_reply(reply: dict) -> DeliveryResult:
    # A robot over 20 messages a minute is throttled for 10 minutes.
    return result_for_code(
        reply.get("errcode"), str(reply.get("errmsg", "")), {SEND_TOO_FAST: 600.0}
    )


class DingTalkNotifier(RobotNotifier):
    channel_type = "dingtalk"
    label = "钉钉机器人"
    supports_mentions = True
    rate_limit_per_minute = 20
    base_url_setting = Setting("dingtalk_base_url", str, "https://oapi.dingtalk.com")
    settings = (base_url_setting,)

    @classmethod
    def body(cls, text: str, markdown: str | None, mentions: tuple[str, ...]) -> Body:
        content = markdown or text
        if mentions:
            content += "\n\n" + " ".join(f"@{mobile}" for mobile in mentions)
        return Body("markdown", content, CONTENT_MAX_BYTES)

    async def send(self, message: Message, target: Target) -> DeliveryResult:
        mentions = mentions_for(message, target)
        body = self.body(message.text, message.markdown, mentions)
        too_big = body.refusal("DingTalk markdown text")
        if too_big:
            return too_big
        payload = {
            "msgtype": "markdown",
            "markdown": {"title": message.subject, "text": body.content},
            "at": {"atMobiles": list(mentions), "isAtAll": False},
        }
        query = {"access_token": target.address}
        if target.secret:
            timestamp_ms = str(int(time.time() * 1000))
            query |= {"timestamp": timestamp_ms, "sign": sign(target.secret, timestamp_ms)}
        url = f"{self.base_url(self.config)}/robot/send?{urlencode(query)}"
        return await post_to_robot(self.http_client, self.config, url, payload, read_reply)
