"""Two instances of the bot on one PostgreSQL database behind one bot token (issue 16): each
update is handled once, each outbox message is sent once, and Telegram's 30 new messages a
second are shared between them. Both Applications talk to one modelled Telegram
(``TelegramLimits``): one token, one budget. PostgreSQL only (``CXBOT_TEST_DATABASE_URL``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app import RATE_LIMIT_RETRIES, shared_budget
from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.render import send_reply
from bot.ratelimit import TelegramRateLimiter
from bot.services.outbox import LEASE
from bot.services.ui import Notice, Reply
from bot.transport.driver import BotDriver
from bot.transport.limits import TelegramLimits
from bot.transport.updates import FakeUser
from storage.db import Database
from tests.conftest import PG_URL, make_settings, reset_postgres

pytestmark = pytest.mark.skipif(PG_URL is None, reason="needs CXBOT_TEST_DATABASE_URL")

CHATS = list(range(8_100_001, 8_100_091))  # 90 people, 45 answered by each instance


@pytest.fixture
async def pair(clock: FixedClock) -> AsyncIterator[tuple[BotDriver, BotDriver, TelegramLimits]]:
    """Two started bots on one database and one Telegram, each with the shared budget."""
    assert PG_URL is not None
    await reset_postgres(PG_URL)
    telegram = TelegramLimits()  # real clock: Telegram's 30 a second
    for chat in CHATS:
        telegram.meet(chat)
    drivers = []
    for _ in range(2):
        settings = make_settings(PG_URL)
        db = Database(PG_URL)  # the limiter's own pool, as each instance would have
        limiter = TelegramRateLimiter(max_retries=RATE_LIMIT_RETRIES, shared=shared_budget(db))
        driver = await BotDriver.start(
            settings, clock=clock, transport=telegram, rate_limit=limiter
        )
        driver.app.bot_data["limiter_db"] = db
        drivers.append(driver)
    yield drivers[0], drivers[1], telegram
    for driver in drivers:
        await driver.stop()
        await driver.app.bot_data["limiter_db"].dispose()


async def burst(a: BotDriver, b: BotDriver) -> float:
    """Each instance sends one message to each of its 45 people at once; seconds taken."""
    started = time.monotonic()
    sends = [
        (a if i % 2 else b).app.bot.send_message(chat, f"Welcome {chat}")
        for i, chat in enumerate(CHATS)
    ]
    await asyncio.gather(*sends)
    return time.monotonic() - started


async def test_the_two_instances_share_telegrams_budget(
    pair: tuple[BotDriver, BotDriver, TelegramLimits],
) -> None:
    a, b, telegram = pair
    took = await burst(a, b)
    assert telegram.sent == 90 and telegram.rejected_429 == 0
    assert telegram.peak_global_rate <= 30
    assert took >= 2.0  # 90 messages at 30 a second need three windows
    assert all(len(telegram.messages(chat)) == 1 for chat in CHATS)


async def test_each_on_its_own_budget_the_instances_would_be_refused(clock: FixedClock) -> None:
    """The contrast: two limiters that each keep 30 a second send 60 a second together."""
    telegram = TelegramLimits()
    for chat in CHATS:
        telegram.meet(chat)
    assert PG_URL is not None
    await reset_postgres(PG_URL)
    drivers = [
        await BotDriver.start(
            make_settings(PG_URL),
            clock=clock,
            transport=telegram,
            rate_limit=TelegramRateLimiter(max_retries=RATE_LIMIT_RETRIES),
        )
        for _ in range(2)
    ]
    try:
        await burst(*drivers)
    finally:
        for driver in drivers:
            await driver.stop()
    assert telegram.rejected_429 > 0  # retried and delivered, but Telegram said no first
    assert telegram.sent == 90


async def test_an_update_delivered_to_both_is_handled_once(
    pair: tuple[BotDriver, BotDriver, TelegramLimits],
) -> None:
    a, b, telegram = pair
    person = FakeUser(id=CHATS[0], first_name="Ana", language_code="en")
    update = a.updates.text(person, "/start")
    before = len(telegram.calls_to("sendMessage"))
    # Telegram retried the webhook on the other instance: both queues get the same update.
    await asyncio.gather(a.app.update_queue.put(update), b.app.update_queue.put(update))
    await asyncio.gather(a.drain(), b.drain())
    answers = [
        c for c in telegram.calls_to("sendMessage")[before:] if c.params["chat_id"] == person.id
    ]
    assert len(answers) == 1


async def test_an_outbox_message_is_sent_once_by_two_dispatchers(
    pair: tuple[BotDriver, BotDriver, TelegramLimits], clock: FixedClock
) -> None:
    a, b, telegram = pair
    services = services_of(a.app)
    async with services.units.job() as unit:
        for chat in CHATS[:10]:
            unit.notify(Notice(chat, [Reply(f"Reminder for {chat}")]))
    # The instance that wrote them died before sending: after the lease both dispatchers
    # find them due at the same moment.
    clock.advance(LEASE + timedelta(seconds=1))
    await asyncio.gather(
        *(
            services_of(d.app).outbox.dispatch(
                lambda chat, reply, bot=d.app.bot: send_reply(bot, chat, reply)
            )
            for d in (a, b)
        )
    )
    for chat in CHATS[:10]:
        assert [m.text for m in telegram.messages(chat)] == [f"Reminder for {chat}"]
