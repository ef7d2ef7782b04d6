"""TelegramRateLimiter: new messages within a strict budget per chat and overall, edits and
button answers straight through, and one chat's flood control never holds up another chat."""

from __future__ import annotations

import asyncio
import time

import pytest
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, BaseRateLimiter

from bot.app import build_application
from bot.ratelimit import TelegramRateLimiter
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
    limiter = TelegramRateLimiter(chat_per_second=1.0, chat_burst=3, clock=clock)
    assert [limiter.delay(7) for _ in range(5)] == [0.0, 0.0, 0.0, 1.0, 2.0]
    assert limiter.delay(8) == 0.0  # another chat has its own bucket
    clock.now += 10  # the bucket fills up again, never beyond the burst
    assert [limiter.delay(7) for _ in range(4)] == [0.0, 0.0, 0.0, 1.0]


def test_a_group_gets_twenty_messages_a_minute() -> None:
    clock = Clock()
    limiter = TelegramRateLimiter(clock=clock)
    waits = [limiter.delay(-100123) for _ in range(22)]
    assert waits[:20] == [0.0] * 20 and waits[20:] == [60.0, 60.0]
    assert limiter.delay("@cluster_news") == 0.0  # a channel by name has its own window


def test_the_overall_window_is_strict_and_first_come_first_served() -> None:
    clock = Clock()
    limiter = TelegramRateLimiter(per_second=30, margin=0.0, clock=clock)
    waits = [limiter.slot() for _ in range(95)]
    assert waits[:30] == [0.0] * 30
    assert waits[30:60] == [1.0] * 30 and waits[60:90] == [2.0] * 30
    # However the sends are timed, no window of one second ever holds more than 30 starts.
    starts = sorted(clock.now + w for w in waits)
    assert max(sum(1 for s in starts if t - 1.0 < s <= t) for t in starts) == 30
    clock.now += 0.5  # later arrivals queue behind the earlier ones, never before them
    assert limiter.slot() == pytest.approx(2.5)


def test_idle_chats_are_forgotten() -> None:
    clock = Clock()
    limiter = TelegramRateLimiter(chat_per_second=1.0, chat_burst=3, clock=clock)
    sizes = []
    for chat in range(1, 20_000):
        limiter.delay(chat)
        clock.now += 0.01
        sizes.append(len(limiter._buckets))
    assert max(sizes) <= 4097  # forgotten once their bucket is full again: memory is bounded
    assert limiter.delay(19_999) == 0.0  # a recent chat is still known (2 tokens left)
    assert limiter.delay(19_999) == 0.0 and limiter.delay(19_999) > 0
    with pytest.raises(ValueError):
        TelegramRateLimiter(chat_per_second=0)
    with pytest.raises(ValueError):
        TelegramRateLimiter(per_second=0)


def app_on(limits: TelegramLimits, limiter: BaseRateLimiter) -> Application:
    return (
        ApplicationBuilder()
        .token(TOKEN)
        .request(limits)
        .get_updates_request(limits)
        .rate_limiter(limiter)
        .build()
    )


async def send_both(limiter: BaseRateLimiter) -> tuple[float, int]:
    """Eight messages to one chat at once, then one to another chat: how long the other
    waited, and how many sends Telegram refused."""
    limits = TelegramLimits(chat_per_second=10.0, chat_burst=3)
    limits.meet(1)  # both chats wrote to the bot
    limits.meet(2)
    async with app_on(limits, limiter) as app:
        busy = [asyncio.create_task(app.bot.send_message(1, f"answer {i}")) for i in range(8)]
        await asyncio.sleep(0.05)  # the fourth send to chat 1 has been refused by now
        started = time.monotonic()
        await app.bot.send_message(2, "hello")
        waited = time.monotonic() - started
        await asyncio.gather(*busy)
        assert [m.text for m in limits.messages(1)] == [f"answer {i}" for i in range(8)]
    return waited, limits.rejected_429


async def test_one_chats_pace_does_not_hold_up_another_chat() -> None:
    waited, refused = await send_both(TelegramRateLimiter(chat_per_second=9.0, max_retries=3))
    assert refused == 0 and waited < 0.5
    # PTB's limiter alone: chat 1's flood control holds back every request of the bot.
    waited, refused = await send_both(AIORateLimiter(max_retries=3))
    assert refused > 0 and waited >= 0.9


async def test_a_burst_to_100_chats_is_never_refused_and_edits_do_not_wait() -> None:
    """100 new messages at once: all delivered, no 429, never more than 30 in a second; an
    edit and a button answer made in the middle of it are not queued behind the sends."""
    limits = TelegramLimits()  # real clock, Telegram's 30/s
    chats = list(range(1, 101))
    for chat in chats:
        limits.meet(chat)
    limiter = TelegramRateLimiter(max_retries=3)
    async with app_on(limits, limiter) as app:
        first = await app.bot.send_message(1, "first")
        started = time.monotonic()
        sends = [
            asyncio.create_task(app.bot.send_message(chat, f"welcome {chat}")) for chat in chats
        ]
        await asyncio.sleep(0)
        await app.bot.edit_message_text("first, edited", chat_id=1, message_id=first.message_id)
        edit_took = time.monotonic() - started
        await asyncio.gather(*sends)
        elapsed = time.monotonic() - started
    assert limits.rejected_429 == 0 and limits.sent == 101
    assert all(len(limits.messages(chat)) == (2 if chat == 1 else 1) for chat in chats)
    assert limits.peak_global_rate <= 30
    assert edit_took < 0.5  # PTB's AIORateLimiter queues it in the 30/s bucket
    assert elapsed >= 3.0  # 101 sends at 30 a second need three full windows
    assert limiter.sends == 101 and limiter.limited == 71  # the first 30 went at once


async def test_a_refused_send_holds_back_its_own_chat_only() -> None:
    """A 429 all the same (say, another process using the token): the chat waits what
    Telegram asked and the message still arrives; another chat is not held up."""
    limits = TelegramLimits(chat_per_second=10.0, chat_burst=3)
    limits.meet(1)
    limits.meet(2)
    limits.fail_next("sendMessage", "retry_after", retry_after=1, chat_id=1)
    limiter = TelegramRateLimiter(max_retries=2)
    async with app_on(limits, limiter) as app:
        refused = asyncio.create_task(app.bot.send_message(1, "late"))
        await asyncio.sleep(0.05)
        started = time.monotonic()
        await app.bot.send_message(2, "on time")
        other_waited = time.monotonic() - started
        await refused
    assert [m.text for m in limits.messages(1)] == ["late"]
    assert limiter.refused == 1 and other_waited < 0.5


def test_the_bot_limits_sends_when_it_talks_to_telegram(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    app = build_application(make_settings(url), OfflineRequest(), rate_limit=True)
    assert isinstance(app.bot.rate_limiter, TelegramRateLimiter)
    assert build_application(make_settings(url), OfflineRequest()).bot.rate_limiter is None


class FakeShared:
    """A shared budget that answers from scripts: reservations' waits, starts' waits, or
    an error for every step while ``down``."""

    def __init__(self, *, starts: list[float] | None = None, down: bool = False) -> None:
        self.starts = list(starts or [])
        self.down = down
        self.calls: list[str] = []

    async def reserve(self) -> float:
        self.calls.append("reserve")
        if self.down:
            raise ConnectionRefusedError
        return 0.0

    async def start(self) -> float:
        self.calls.append("start")
        if self.down:
            raise ConnectionRefusedError
        return self.starts.pop(0) if self.starts else 0.0


def paced(shared: FakeShared) -> tuple[TelegramRateLimiter, list[float]]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return TelegramRateLimiter(shared=shared, clock=Clock(), sleep=sleep), slept


async def test_a_shared_start_without_room_waits_and_asks_again() -> None:
    shared = FakeShared(starts=[0.25, 0.125])
    limiter, slept = paced(shared)

    async def send() -> str:
        return "sent"

    assert await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 7}, None) == (
        "sent"
    )
    assert shared.calls == ["reserve", "start", "start", "start"]
    assert slept == [0.25, 0.125] and limiter.limited == 1
    assert list(limiter._started) == []  # the database stamped the start, not the instance


async def test_a_shared_budget_that_fails_leaves_the_instance_pacing_alone(
    caplog: pytest.LogCaptureFixture,
) -> None:
    shared = FakeShared(down=True)
    limiter, _slept = paced(shared)

    async def send() -> str:
        return "sent"

    for chat in (7, 8, 9):
        await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": chat}, None)
    assert shared.calls == ["reserve"] * 3  # its start step is not asked after a failure
    assert len(limiter._started) == 3 and len(limiter._slots) == 3  # its own window instead
    warnings = [r.getMessage() for r in caplog.records if r.name == "bot.ratelimit"]
    assert warnings == [
        "the shared send budget is unavailable (ConnectionRefusedError): pacing alone"
    ]
    shared.down = False  # back: the next send uses it again
    await limiter.process_request(send, (), {}, "sendMessage", {"chat_id": 10}, None)
    assert shared.calls[3:] == ["reserve", "start"] and len(limiter._started) == 3
