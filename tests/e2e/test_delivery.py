"""The durable inbox and outbox through the real Application: an update delivered twice has
one effect and one reply; a crash after a commit delays messages to others but never loses
them; updates fetched by polling but never handled are handled after a restart."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

import bot.handlers.unit as unit_module
from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.services.outbox import LEASE
from bot.transport.driver import BotDriver
from bot.transport.offline import OfflineRequest
from bot.transport.updates import FakeUser
from storage.models import InboxUpdate, OutboxMessage, Proposal
from tests.e2e.test_matching import RITA, RITA_ANSWERS
from tests.helpers import load, make_settings, register, state


class Crash(BaseException):
    """The process dies here (not an error any handler could catch)."""


def intros(bot: BotDriver, user: FakeUser) -> list[str]:
    texts = [m.text or "" for m in bot.transport.messages(user.id)]
    return [text for text in texts if "It's a match" in text]


async def outbox_rows(bot: BotDriver) -> list[OutboxMessage]:
    async with services_of(bot.app).db.session() as session:
        return list((await session.execute(select(OutboxMessage))).scalars())


# ------------------------------------------------------------------ the same update twice


async def test_a_typed_answer_delivered_twice_is_taken_once(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot
    await bot.send(anna, "/start")
    await bot.choose(anna, "consent", "yes")
    await bot.choose(anna, "role", "visitor")
    await bot.choose(anna, "org_type", "sme")
    update = bot.updates.text(anna, "Anna Schmidt")
    first = await bot.process(anna, update)
    again = await bot.process(anna, update)
    assert "name of your organisation" in first.text
    assert again.sent == [] and again.edited == [] and again.toasts == []
    assert await state(bot, anna.id) == "organisation"
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.name == "Anna Schmidt" and profile.organisation is None


async def test_a_button_delivered_twice_is_pressed_once(bot: BotDriver, anna: FakeUser) -> None:
    await bot.send(anna, "/start")
    message, data = bot.find_button(anna, "I agree")
    update = bot.updates.callback(anna, data, message.message_id)
    first = await bot.process(anna, update)
    again = await bot.process(anna, update)
    assert "Let's build your profile" in first.text
    assert again.sent == [] and again.toasts == [] and again.calls == []
    answers = bot.transport.calls_to("answerCallbackQuery")
    assert len(answers) == 1  # Telegram accepts one answer per callback query
    assert await state(bot, anna.id) == "role"


async def test_start_delivered_twice_welcomes_once(bot: BotDriver, anna: FakeUser) -> None:
    update = bot.updates.text(anna, "/start")
    first = await bot.process(anna, update)
    again = await bot.process(anna, update)
    assert "Welcome to ClusterXchange" in first.text
    assert again.sent == []
    assert len(bot.transport.messages(anna.id)) == 1


async def test_a_mutual_interest_delivered_twice_introduces_once(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    await bot.press(anna, "Interested")
    message, data = bot.find_button(RITA, "Interested")
    update = bot.updates.callback(RITA, data, message.message_id)
    await bot.process(RITA, update)
    again = await bot.process(RITA, update)
    assert again.sent == [] and again.others == {} and again.toasts == []
    assert len(intros(bot, anna)) == 1 and len(intros(bot, RITA)) == 1


# ------------------------------------------------------------------ a crash after the commit


async def test_a_crash_after_a_mutual_match_still_introduces_both_after_restart(
    db_url: str, anna: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FixedClock(services_clock_now())
    transport = OfflineRequest()
    bot = await BotDriver.start(make_settings(db_url), clock=clock, transport=transport)
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    await bot.press(anna, "Interested")

    async def die(*_args: object) -> int:
        raise Crash

    monkeypatch.setattr(unit_module, "deliver", die)
    with pytest.raises(Crash):
        await bot.press(RITA, "Interested")
    monkeypatch.undo()
    await bot.stop()
    # The match was committed, the introductions were not sent.
    assert intros(bot, anna) == [] and intros(bot, RITA) == []
    waiting = [row for row in await outbox_rows(bot) if row.sent_at is None]
    assert {row.chat_id for row in waiting} >= {anna.id, RITA.id}

    restarted = await BotDriver.start(make_settings(db_url), clock=clock, transport=transport)
    assert await dispatch(restarted.app) == 0  # the dead sender's claim still holds
    clock.advance(LEASE + timedelta(seconds=1))
    sent = await dispatch(restarted.app)
    assert sent == len(waiting)
    [anna_intro] = intros(restarted, anna)
    [rita_intro] = intros(restarted, RITA)
    assert "rita@example.pt" in anna_intro and "anna@example.org" in rita_intro
    # The visitor's next step arrives after her introduction, in order.
    texts = [m.text or "" for m in transport.messages(anna.id)]
    assert texts.index(anna_intro) < max(i for i, t in enumerate(texts) if "propose the dates" in t)
    assert await dispatch(restarted.app) == 0  # each message once
    # Delivered rows keep no text (it names people): only the record remains.
    assert all(row.message == {} for row in await outbox_rows(restarted))
    async with services_of(restarted.app).db.session() as session:
        [pair] = (await session.execute(select(Proposal))).scalars()
    assert pair.matched_at is not None
    await restarted.stop()
    assert restarted.errors == []


def services_clock_now():  # the suite's fixed "now" (conftest.NOW)
    from tests.conftest import NOW

    return NOW


async def test_a_partner_who_blocked_the_bot_is_unreachable_until_they_return(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    await bot.process(RITA, bot.updates.chat_member(RITA, "kicked"))
    user, _profile = await load(bot, RITA.id)
    assert user is not None and user.unreachable_at is not None
    before = len(bot.transport.calls)
    r = await bot.press(anna, "Interested")  # Rita would be shown the card now
    assert "introduce you as soon as" in r.text and bot.errors == []
    assert all(c.params.get("chat_id") != RITA.id for c in bot.transport.calls[before:])
    [row] = [row for row in await outbox_rows(bot) if row.chat_id == RITA.id]
    assert row.sent_at is not None and row.error == "unreachable" and row.message == {}
    await bot.process(RITA, bot.updates.chat_member(RITA, "member"))
    user, _profile = await load(bot, RITA.id)
    assert user is not None and user.unreachable_at is None


async def test_a_refusal_while_sending_marks_the_user_unreachable(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    bot.transport.block(RITA.id)  # Telegram refuses; the bot has not heard of it yet
    r = await bot.press(anna, "Interested")
    assert "introduce you as soon as" in r.text and bot.errors == []
    user, _profile = await load(bot, RITA.id)
    assert user is not None and user.unreachable_at is not None
    [row] = [row for row in await outbox_rows(bot) if row.chat_id == RITA.id]
    assert row.sent_at is not None and "blocked" in (row.error or "")


# ------------------------------------------------------------------ polling and the inbox


async def test_updates_fetched_but_not_handled_before_a_crash_are_handled_after_restart(
    db_url: str, anna: FakeUser, jonas: FakeUser, clock: FixedClock
) -> None:
    transport = OfflineRequest()
    bot = await BotDriver.start(make_settings(db_url), clock=clock, transport=transport)
    for user in (anna, jonas):
        transport.push_update(json.loads(bot.updates.text(user, "/start").to_json()))
    app = bot.app
    # Polling runs; the application itself does not handle anything: it dies first.
    await app.updater.start_polling(poll_interval=0.0, timeout=0)
    for _ in range(200):
        if not transport.unconfirmed_updates:
            break
        await asyncio.sleep(0.01)
    assert transport.unconfirmed_updates == []  # Telegram was told they were received
    await app.updater.stop()
    await bot.stop()
    assert transport.messages(anna.id) == [] and transport.messages(jonas.id) == []

    restarted = await BotDriver.start(make_settings(db_url), clock=clock, transport=transport)
    assert "Welcome to ClusterXchange" in (transport.last_message(anna.id).text or "")
    assert "Willkommen bei ClusterXchange" in (transport.last_message(jonas.id).text or "")
    async with services_of(restarted.app).db.session() as session:
        rows = list((await session.execute(select(InboxUpdate))).scalars())
    assert len(rows) == 2 and all(r.handled_at is not None and r.payload is None for r in rows)
    await restarted.stop()
    again = await BotDriver.start(make_settings(db_url), clock=clock, transport=transport)
    assert len(transport.messages(anna.id)) == 1  # handled once, not at every start
    await again.stop()


async def test_a_redelivered_update_is_dropped_at_the_queue(bot: BotDriver, anna: FakeUser) -> None:
    update = bot.updates.text(anna, "/start")
    queue = bot.app.update_queue
    await queue.put(update)
    await queue.put(update)  # Telegram sends it again (no 200 in time)
    assert queue.qsize() == 1
    assert await bot.drain() == 1
    assert len(bot.transport.messages(anna.id)) == 1


async def test_a_failing_handler_is_not_retried_after_a_restart(
    db_url: str, anna: FakeUser, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    transport = OfflineRequest()
    bot = await BotDriver.start(make_settings(db_url), clock=clock, transport=transport)
    await bot.app.update_queue.put(bot.updates.text(anna, "/start"))
    onboarding = services_of(bot.app).onboarding

    async def broken(*_args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(onboarding, "start", broken)
    await bot.drain()
    assert len(bot.errors) == 1
    monkeypatch.undo()
    await bot.app.shutdown()
    restarted = await BotDriver.start(make_settings(db_url), clock=clock, transport=transport)
    apologies = [m for m in transport.messages(anna.id) if "went wrong" in (m.text or "")]
    assert len(apologies) == 1 and restarted.errors == []
    await restarted.stop()


async def test_goals_delivered_twice_are_not_taken_for_the_agenda(
    staffed: BotDriver, clock: FixedClock
) -> None:
    from tests.e2e.test_exchange import SARA, exchange_row, matched_and_validated, people

    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, "Propose dates")
    await bot.send(anna, "2027-05-03 - 2027-05-07")
    await bot.press(rita, "Confirm dates")
    await bot.press(anna, "Write goals and agenda")
    goals = bot.updates.text(anna, "Learn how Portuguese clusters sort and recycle textile waste.")
    first = await bot.process(anna, goals)
    again = await bot.process(anna, goals)  # Telegram delivers it once more
    assert "And the agenda" in first.text
    assert again.sent == [] and again.others == {}
    ex = await exchange_row(bot)
    assert ex.goals and "recycle" in ex.goals and ex.agenda is None
    assert await state(bot, anna.id) == "ex_agenda"
    r = await bot.send(anna, "Day 1: tour of the sorting plant; Day 2: joint workshop on fibres.")
    assert rita.id in r.others  # the host is asked to agree, with the real agenda
    ex = await exchange_row(bot)
    assert ex.agenda and ex.agenda.startswith("Day 1")
