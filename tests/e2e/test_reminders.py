"""Reminders live in the database: each is sent exactly once, across a restart, after
downtime (late, once) and with two dispatchers on one database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.services.outbox import LEASE
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage import repo
from storage.models import Reminder
from tests.conftest import make_settings
from tests.e2e.test_exchange import (
    ADMIN,
    SARA,
    at,
    matched_and_validated,
    people,
    reminders,
)

START_UTC = datetime(2027, 5, 3, 7, 0, tzinfo=UTC)  # 09:00 in Brussels on the first day


async def visiting(db_url: str, clock: FixedClock) -> BotDriver:
    """A bot whose only exchange has agreed dates: 3 to 7 May 2027."""
    bot = await BotDriver.start(make_settings(db_url, admin_ids={ADMIN.id}), clock=clock)
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, "Propose dates")
    await bot.send(anna, "2027-05-03 - 2027-05-07")
    await bot.press(rita, "Confirm dates")
    return bot


def met(bot: BotDriver, *users: FakeUser) -> None:
    """A restarted (or second) process of the bot: Telegram still knows who wrote to it."""
    for user in users:
        bot.transport.meet(user.id)


def texts(bot: BotDriver, since: int, user_id: int) -> list[str]:
    return [m.text or "" for m in bot.transport.messages(user_id)[since:]]


async def test_the_schedule_of_a_visit(db_url: str, clock: FixedClock) -> None:
    bot = await visiting(db_url, clock)
    anna, _rita = people("en")
    rows = [r for r in await reminders(bot) if r.cancelled_at is None]
    kinds = sorted((r.kind, r.user_id == anna.id) for r in rows)
    assert kinds == sorted(
        [("before", True), ("before", False)] * 3
        + [("checkin", True), ("checkin", False), ("happened", True)]
    )
    assert min(r.due_at for r in rows) == START_UTC - timedelta(days=14)
    await bot.stop()


async def test_late_once_after_downtime_and_exactly_once_across_a_restart(
    db_url: str, clock: FixedClock
) -> None:
    bot = await visiting(db_url, clock)
    anna, rita = people("en")
    await bot.stop()
    # Down while the 14-day and the 3-day reminders fell due.
    at(clock, datetime(2027, 5, 1, 12, 0, tzinfo=UTC))
    bot = await BotDriver.start(make_settings(db_url, admin_ids={ADMIN.id}), clock=clock)
    met(bot, anna, rita)
    assert await dispatch(bot.app) == 2  # one message each, not two
    [late] = texts(bot, 0, anna.id)
    assert "starts in 2 days" in late
    assert await dispatch(bot.app) == 0
    await bot.stop()
    # Another restart: what was sent stays sent.
    bot = await BotDriver.start(make_settings(db_url, admin_ids={ADMIN.id}), clock=clock)
    met(bot, anna, rita)
    assert await dispatch(bot.app) == 0
    at(clock, START_UTC - timedelta(days=1))
    assert await dispatch(bot.app) == 2
    assert "starts their visit to you tomorrow" in texts(bot, 0, rita.id)[-1]
    at(clock, START_UTC)
    assert await dispatch(bot.app) == 2
    assert "Today your visit to" in texts(bot, 0, anna.id)[-1]
    assert "begins their visit to you" in texts(bot, 0, rita.id)[-1]
    assert all(
        r.sent_at is not None
        for r in await reminders(bot)
        if r.kind != "happened" and r.cancelled_at is None
    )
    await bot.stop()
    assert bot.errors == []


async def test_a_dispatcher_that_died_mid_send_is_taken_over_after_the_lease(
    db_url: str, clock: FixedClock
) -> None:
    bot = await visiting(db_url, clock)
    at(clock, START_UTC - timedelta(days=14))
    services = services_of(bot.app)
    # A worker turns the due reminders into messages and commits, then dies before sending.
    async with services.units.job() as unit:
        assert await services.exchanges.send_due_reminders(unit) == 2
    assert await dispatch(bot.app) == 0  # the dead worker's claim still holds
    clock.advance(LEASE + timedelta(seconds=1))
    assert await dispatch(bot.app) == 2
    assert await dispatch(bot.app) == 0
    assert len([r for r in await reminders(bot) if r.sent_at is not None]) == 2
    await bot.stop()


async def test_two_dispatchers_send_each_reminder_once(db_url: str, clock: FixedClock) -> None:
    first = await visiting(db_url, clock)
    second = await BotDriver.start(make_settings(db_url, admin_ids={ADMIN.id}), clock=clock)
    anna, rita = people("en")
    met(second, anna, rita)
    before = {u: len(first.transport.messages(u)) for u in (anna.id, rita.id)}
    for when in (
        START_UTC - timedelta(days=14),
        START_UTC - timedelta(days=3),
        START_UTC - timedelta(days=1),
        START_UTC,
    ):
        at(clock, when)
        sent = await asyncio.gather(*(dispatch(b.app) for b in (first, second, first, second)))
        assert sum(sent) == 2, when
    received = {
        u: len(first.transport.messages(u)) - before[u] + len(second.transport.messages(u))
        for u in (anna.id, rita.id)
    }
    assert received == {anna.id: 4, rita.id: 4}
    rows = [r for r in await reminders(first) if r.kind in ("before", "checkin")]
    assert all(r.sent_at is not None for r in rows)
    for bot in (first, second):
        await bot.stop()
        assert bot.errors == []


async def test_reminders_of_a_cancelled_visit_are_not_sent(db_url: str, clock: FixedClock) -> None:
    bot = await visiting(db_url, clock)
    _anna, _rita = people("en")
    async with services_of(bot.app).db.session() as session:
        ex_id = (await reminders(bot))[0].exchange_id
        await repo.cancel_reminders(session, exchange_id=ex_id or 0, now=clock.now())
        await session.commit()
    at(clock, START_UTC + timedelta(days=10))
    assert await dispatch(bot.app) == 0
    pending = [r for r in await reminders(bot) if isinstance(r, Reminder) and r.sent_at]
    assert pending == []
    await bot.stop()
