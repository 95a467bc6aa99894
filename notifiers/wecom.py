"""WeCom (企业微信) group robot: POST {base}/cgi-bin/webhook/send?key=KEY.

Markdown by default; a plain text message when someone is to be @-mentioned,
because WeCom markdown cannot @ by mobile (text has mentioned_mobile_list).
"""

from __future__ import annotations

from urllib.parse import quote

from notifiers.base import Body, DeliveryResult, Message, RobotNotifier, Setting, Target, mentions_for
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
    rate_limit_per_minute = 20
    base_url_setting = Setting("wecom_base_url", str, "https://qyapi.weixin.qq.com")
    settings = (base_url_setting,)

    @classmethod
    def body(cls, text: str, markdown: str | None, mentions: tuple[str, ...]) -> Body:
        # Mentioned mobiles travel beside the text (mentioned_mobile_list), outside its limit.
        if mentions or not markdown:
            return Body("text", text, TEXT_MAX_BYTES)
        return Body("markdown", markdown, MARKDOWN_MAX_BYTES)

    async def send(self, message: Message, target: Target) -> DeliveryResult:
        mentions = mentions_for(message, target)
        body = self.body(message.text, message.markdown, mentions)
        too_big = body.refusal(f"WeCom {body.format} content")
        if too_big:
            return too_big
        section: dict = {"content": body.content}
        if body.format == "text":
            section["mentioned_mobile_list"] = list(mentions)
        payload = {"msgtype": body.format, body.format: section}
        url = f"{self.base_url(self.config)}/cgi-bin/webhook/send?key={quote(target.address, safe='')}"
        return await post_to_robot(self.http_client, self.config, url, payload, read_reply)
