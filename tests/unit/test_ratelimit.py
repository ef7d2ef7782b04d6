"""ChatPacedRateLimiter: sends paced per private chat, so one chat's flood control never holds
up another chat's messages."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.ext import AIORateLimiter, ApplicationBuilder, BaseRateLimiter

from bot.app import build_application
from bot.ratelimit import ChatPacedRateLimiter
from bot.transport.limits import TelegramLimits
from bot.transport.offline import OfflineRequest
from tests.conftest import make_settings

TOKEN = "123456:PACED"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_one_send_per_interval_per_chat() -> None:
    clock = Clock()
    limiter = ChatPacedRateLimiter(chat_per_second=1.0, chat_burst=3, clock=clock)
    assert [limiter.delay(7) for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert limiter.delay(8) == 0.0  # another chat has its own bucket
    clock.now += 10  # the bucket fills up again, never beyond the burst
    assert [limiter.delay(7) for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


def test_idle_chats_are_forgotten() -> None:
    clock = Clock()
    limiter = ChatPacedRateLimiter(chat_per_second=1.0, chat_burst=3, clock=clock)
    sizes = []
    for chat in range(1, 20_000):
        limiter.delay(chat)
        clock.now += 0.01
        sizes.append(len(limiter._buckets))
    assert max(sizes) <= 4097  # forgotten once their bucket is full again: memory is bounded
    assert limiter.delay(19_999) == 0.0  # a recent chat is still known (2 tokens left)
    assert limiter.delay(19_999) == 0.0 and limiter.delay(19_999) > 0
    with pytest.raises(ValueError):
        ChatPacedRateLimiter(chat_per_second=0)


async def send_both(limiter: BaseRateLimiter) -> tuple[float, int]:
    """Eight messages to one chat at once, then one to another chat: how long the other
    waited, and how many sends Telegram refused."""
    limits = TelegramLimits(chat_per_second=10.0, chat_burst=3)
    limits.meet(1)  # both chats wrote to the bot
    limits.meet(2)
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(limits)
        .get_updates_request(limits)
        .rate_limiter(limiter)
        .build()
    )
    async with app:
        busy = [asyncio.create_task(app.bot.send_message(1, f"answer {i}")) for i in range(8)]
        await asyncio.sleep(0.05)  # the fourth send to chat 1 has been refused by now
        started = time.monotonic()
        await app.bot.send_message(2, "hello")
        waited = time.monotonic() - started
        await asyncio.gather(*busy)
        assert [m.text for m in limits.messages(1)] == [f"answer {i}" for i in range(8)]
    return waited, limits.rejected_429


async def test_one_chats_pace_does_not_hold_up_another_chat() -> None:
    waited, refused = await send_both(ChatPacedRateLimiter(chat_per_second=9.0, max_retries=3))
    assert refused == 0 and waited < 0.5
    # PTB's limiter alone: chat 1's flood control holds back every request of the bot.
    waited, refused = await send_both(AIORateLimiter(max_retries=3))
    assert refused > 0 and waited >= 0.9


def test_the_bot_paces_chats_when_it_talks_to_telegram(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    app = build_application(make_settings(url), OfflineRequest(), rate_limit=True)
    assert isinstance(app.bot.rate_limiter, ChatPacedRateLimiter)
    assert build_application(make_settings(url), OfflineRequest()).bot.rate_limiter is None
