"""Feishu (飞书) custom bot: POST {base}/open-apis/bot/v2/hook/TOKEN.

Sent as an interactive card with a markdown element (the message type that
renders markdown). With a secret, the body carries timestamp (seconds) and
sign = Base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")): unlike
DingTalk, the string is the key and the message is empty.
Custom bots can only @ by open_id/user_id/email, not by mobile, so
mentions are not sent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from urllib.parse import quote

from notifiers.base import Body, DeliveryResult, Message, RobotNotifier, Setting, Target
from notifiers.transport import post_to_robot, result_for_code

# Feishu refuses request bodies over 20 KB; the content limit leaves room
# for the card envelope and JSON escaping.
CONTENT_MAX_BYTES = 16 * 1024
FREQUENCY_LIMITED = 11232
# 9499 is Feishu's generic "Bad Request"; only its "too many request"
# variant is worth retrying.
BAD_REQUEST = 9499


def sign(secret: str, timestamp_s: str) -> str:
    key = f"{timestamp_s}\n{secret}".encode("utf-8")
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


def read_reply(reply: dict) -> DeliveryResult:
    # Older deployments answer success as {"StatusCode": 0, ...}.
    code = reply.get("code", reply.get("StatusCode"))
    description = str(reply.get("msg") or reply.get("StatusMessage") or "")
    if code == BAD_REQUEST and "too many request" in description.lower():
        code = FREQUENCY_LIMITED
    return result_for_code(code, description, {FREQUENCY_LIMITED: 60.0})


class FeishuNotifier(RobotNotifier):
    channel_type = "feishu"
    label = "飞书机器人"
    supports_mentions = False
    # Also at most 5 a second.
    rate_limit_per_minute = 100
    base_url_setting = Setting("feishu_base_url", str, "https://open.feishu.cn")
    settings = (base_url_setting,)

    @classmethod
    def body(cls, text: str, markdown: str | None, mentions: tuple[str, ...]) -> Body:
        return Body("markdown", markdown or text, CONTENT_MAX_BYTES)

    async def send(self, message: Message, target: Target) -> DeliveryResult:
        body = self.body(message.text, message.markdown, ())
        too_big = body.refusal("Feishu card markdown")
        if too_big:
            return too_big
        content = body.content
        payload: dict = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": message.subject}},
                "elements": [{"tag": "markdown", "content": content}],
            },
        }
        if target.secret:
            timestamp_s = str(int(time.time()))
            payload |= {"timestamp": timestamp_s, "sign": sign(target.secret, timestamp_s)}
        url = f"{self.base_url(self.config)}/open-apis/bot/v2/hook/{quote(target.address, safe='')}"
        return await post_to_robot(self.http_client, self.config, url, payload, read_reply)
