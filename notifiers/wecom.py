"""WeCom (企业微信) group robot: POST {base}/cgi-bin/webhook/send?key=KEY.

Markdown by default; a plain text message when someone is to be @-mentioned,
because WeCom markdown cannot @ by mobile (text has mentioned_mobile_list).
"""

from __future__ import annotations

from urllib.parse import quote

from notifiers.base import DeliveryResult, Message, RobotNotifier, Setting, Target, check_size, mentions_for
from notifiers.transport import post_to_robot, result_for_code

MARKDOWN_MAX_BYTES = 4096
TEXT_MAX_BYTES = 2048
API_FREQ_OUT_OF_LIMIT = 45009


def read_reply(reply: dict) -> DeliveryResult:
    # 45009 blocks the robot for the rest of its one-minute window.
    return result_for_code(
        reply.get("errcode"), str(reply.get("errmsg", "")), {API_FREQ_OUT_OF_LIMIT: 60.0}
    )


class WeComNotifier(RobotNotifier):
    channel_type = "wecom"
    label = "企业微信机器人"
    supports_mentions = True
    # The text limit: a message with mentions goes out as text, so 2048 is
    # the size that fits every WeCom message whatever the target.
    max_message_bytes = TEXT_MAX_BYTES
    rate_limit_per_minute = 20
    base_url_setting = Setting("wecom_base_url", str, "https://qyapi.weixin.qq.com")
    settings = (base_url_setting,)

    async def send(self, message: Message, target: Target) -> DeliveryResult:
        mentions = mentions_for(message, target)
        if mentions or not message.markdown:
            too_big = check_size(message.text, TEXT_MAX_BYTES, "WeCom text content")
            payload = {
                "msgtype": "text",
                "text": {"content": message.text, "mentioned_mobile_list": list(mentions)},
            }
        else:
            too_big = check_size(message.markdown, MARKDOWN_MAX_BYTES, "WeCom markdown content")
            payload = {"msgtype": "markdown", "markdown": {"content": message.markdown}}
        if too_big:
            return too_big
        url = f"{self.base_url(self.config)}/cgi-bin/webhook/send?key={quote(target.address, safe='')}"
        return await post_to_robot(self.http_client, self.config, url, payload, read_reply)
