"""TelegramLimits: the offline Bot API with Telegram's flood limits on sends."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import warnings
from collections.abc import AsyncIterator

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter
from telegram.ext import AIORateLimiter, ApplicationBuilder
from telegram.warnings import PTBDeprecationWarning

from bot.transport.limits import TelegramLimits

TOKEN = "123456:OFFLINE"
# PTB warns on every RetryAfter it builds that retry_after will become a timedelta
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


def _seconds(exc: BaseException) -> float:
    """``RetryAfter.retry_after`` in seconds (an int, or a timedelta with PTB_TIMEDELTA)."""
    assert isinstance(exc, RetryAfter)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class ManualClock:
    """A clock that only moves when told to."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


def met(limits: TelegramLimits) -> TelegramLimits:
    """Chats 1 to 1,100 have written to the bot, so it may send to them."""
    for chat in range(1, 1_101):
        limits.meet(chat)
    return limits


@pytest.fixture
def limits(clock: ManualClock) -> TelegramLimits:
    return met(TelegramLimits(clock=clock))


@pytest.fixture
async def bot(limits: TelegramLimits) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, request=limits, get_updates_request=limits) as bot:
        yield bot


async def test_global_limit_30_of_40_immediate_sends(bot: Bot, limits: TelegramLimits) -> None:
    chats = range(1, 41)
    results = await asyncio.gather(
        *(bot.send_message(chat, f"hello {chat}") for chat in chats), return_exceptions=True
    )
    delivered = [r for r in results if not isinstance(r, BaseException)]
    rejected = [r for r in results if isinstance(r, BaseException)]
    assert len(delivered) == 30
    assert len(rejected) == 10
    assert all(isinstance(r, RetryAfter) for r in rejected)
    assert all(_seconds(r) == 1 for r in rejected)
    assert limits.sent == 30
    assert limits.rejected_429 == 10
    assert limits.rejected_429_global == 10
    assert limits.peak_global_rate == 30
    # not delivered: those chats got no message, and the calls are recorded with the error
    assert sum(1 for chat in chats if limits.messages(chat)) == 30
    failed = [c for c in limits.calls_to("sendMessage") if c.error]
    assert len(failed) == 10
    assert failed[0].error == "Too Many Requests: retry after 1"


async def test_global_window_slides(bot: Bot, limits: TelegramLimits, clock: ManualClock) -> None:
    for chat in range(1, 31):
        await bot.send_message(chat, "x")
    clock.advance(0.4)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(99, "x")
    assert _seconds(info.value) == 1
    assert limits.retry_after(99) == 1
    clock.advance(0.6)  # the first 30 sends leave the window (now - 1 s, now]
    assert limits.retry_after(99) == 0
    await bot.send_message(99, "x")
    assert limits.sent == 31
    assert limits.peak_global_rate == 30


async def test_fourth_rapid_message_to_one_chat_is_rejected(
    bot: Bot, limits: TelegramLimits, clock: ManualClock
) -> None:
    for n in range(3):  # the burst of 3
        await bot.send_message(7, f"m{n}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(7, "m3")
    assert _seconds(info.value) == 1
    assert limits.rejected_429_chat == 1
    assert [m.text for m in limits.messages(7)] == ["m0", "m1", "m2"]
    await bot.send_message(8, "another chat is not affected")

    clock.advance(1.0)  # one token back
    await bot.send_message(7, "m3")
    clock.advance(0.5)  # half a token: still too early
    with pytest.raises(RetryAfter):
        await bot.send_message(7, "m4")
    clock.advance(0.5)
    await bot.send_message(7, "m4")
    clock.advance(10)  # refilled up to the burst again, not beyond
    for n in range(5, 8):
        await bot.send_message(7, f"m{n}")
    with pytest.raises(RetryAfter):
        await bot.send_message(7, "m8")
    assert [m.text for m in limits.messages(7)] == [f"m{n}" for n in range(8)]


async def test_slow_chat_limit_reports_longer_waits(clock: ManualClock) -> None:
    limits = met(TelegramLimits(chat_per_second=0.25, chat_burst=1, clock=clock))
    async with Bot(TOKEN, request=limits) as bot:
        await bot.send_message(5, "a")
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(5, "b")
    assert _seconds(info.value) == 4


async def test_other_send_methods_count_edits_and_answers_do_not(
    bot: Bot, limits: TelegramLimits
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="ok")]])
    message = await bot.send_message(7, "question", reply_markup=keyboard)
    await bot.send_document(7, b"%PDF-1.4", filename="a.pdf")
    await bot.copy_message(7, from_chat_id=8, message_id=1)
    with pytest.raises(RetryAfter):
        await bot.forward_message(7, from_chat_id=8, message_id=1)
    with pytest.raises(RetryAfter):
        await bot.send_photo(7, b"\x89PNG")
    for n in range(5):  # edits and callback answers are never limited
        await bot.edit_message_text(f"edited {n}", chat_id=7, message_id=message.message_id)
        await bot.answer_callback_query(f"cbq{n}")
    await bot.send_chat_action(7, "typing")
    assert limits.sent == 3
    assert limits.rejected_429 == 2
    assert limits.peak_global_rate == 3


async def test_media_group_counts_once(bot: Bot, limits: TelegramLimits) -> None:
    from telegram import InputMediaPhoto

    await bot.send_media_group(9, [InputMediaPhoto(b"a"), InputMediaPhoto(b"b")])
    assert limits.sent == 1


async def test_failed_send_consumes_nothing(bot: Bot, limits: TelegramLimits) -> None:
    for _ in range(4):
        with pytest.raises(BadRequest):
            await bot.send_message(7, "   ")  # empty text: Bad Request, not delivered
    assert limits.sent == 0
    for n in range(3):
        await bot.send_message(7, f"m{n}")


async def test_injected_failures_come_first(bot: Bot, limits: TelegramLimits) -> None:
    limits.fail_next("sendMessage", "retry_after", retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(7, "x")
    assert _seconds(info.value) == 7
    assert limits.rejected_429 == 0  # not the model's doing
    await bot.send_message(7, "x")
    assert limits.sent == 1


def test_rejects_bad_limits() -> None:
    with pytest.raises(ValueError):
        TelegramLimits(global_per_second=0)
    with pytest.raises(ValueError):
        TelegramLimits(chat_burst=0)


async def test_idle_chat_buckets_are_pruned(clock: ManualClock) -> None:
    limits = met(TelegramLimits(global_per_second=10_000, clock=clock))
    async with Bot(TOKEN, request=limits) as bot:
        for chat in range(1, 1025):
            await bot.send_message(chat, "x")
            clock.advance(0.01)
    assert len(limits._buckets) < 400  # the chats of the last ~2 s (refill of 2 tokens)


async def test_aio_rate_limiter_delivers_a_burst_to_100_chats() -> None:
    """With PTB's AIORateLimiter and retries, nothing is lost (real time, about 3-4 s)."""
    limits = met(TelegramLimits())  # real clock
    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(limits)
        .get_updates_request(limits)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .build()
    )
    chats = list(range(1, 101))
    async with app:
        started = time.monotonic()
        results = await asyncio.gather(
            *(app.bot.send_message(chat, f"welcome {chat}") for chat in chats),
            return_exceptions=True,
        )
        elapsed = time.monotonic() - started
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert limits.sent == 100
    assert all(len(limits.messages(chat)) == 1 for chat in chats)
    assert limits.peak_global_rate <= 30
    assert elapsed < 15  # generous: a loaded machine
