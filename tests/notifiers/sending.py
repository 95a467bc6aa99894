"""Helpers to send through the real notifiers from synchronous tests."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx

from notifiers import DeliveryResult, Message, NotifierConfig, Target, build_notifiers


def make_message(**overrides: object) -> Message:
    fields = {
        "id": "notification-42",
        "subject": "督办提醒：发明专利授权指标 3 天后到期",
        "text": "市工业和信息化委：\n指标“发明专利授权55件”将于2025-06-30到期。",
        "markdown": "**市工业和信息化委**\n> 指标“发明专利授权55件”将于 2025-06-30 到期",
        "html": "<p><b>市工业和信息化委</b>：指标将于 2025-06-30 到期。</p>",
        "event": {"type": "reminder", "step": "T-3", "due_date": "2025-06-30"},
    }
    return Message(**{**fields, **overrides})  # type: ignore[arg-type]


def send_all(config: NotifierConfig, *deliveries: tuple[Message, Target]) -> list[DeliveryResult]:
    """Send one after another through one shared client, as a dispatcher would."""

    async def run() -> list[DeliveryResult]:
        async with httpx.AsyncClient() as client:
            notifiers = build_notifiers(config, client)
            return [await notifiers[t.channel_type].send(m, t) for m, t in deliveries]

    return asyncio.run(run())


def send(config: NotifierConfig, message: Message, target: Target) -> DeliveryResult:
    return send_all(config, (message, target))[0]


def with_timeout(config: NotifierConfig, seconds: float) -> NotifierConfig:
    return dataclasses.replace(config, timeout_seconds=seconds)
