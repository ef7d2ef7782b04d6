"""Staff follow-up through the real Application: an item waiting for validation is reminded
to the partnership's staff after CXBOT_REVIEW_REMINDER_DAYS, reported to the super-admins
after twice as long, each once; a partnership without staff sends its registrations to the
super-admins at once; a decided item is never reminded."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import ReviewFollowUp
from tests.conftest import make_settings
from tests.helpers import load, make_partnership, register

ADMIN = FakeUser(id=5_900, first_name="Ada", language_code="en")
SARA = FakeUser(id=5_901, first_name="Sara", username="sara_staff", language_code="en")
LUKAS = FakeUser(id=5_902, first_name="Lukas", language_code="de")


@pytest.fixture
async def fbot(db_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    """A bot with a super-admin who has opened it, reminders after 3 days."""
    settings = make_settings(db_url, admin_ids={ADMIN.id}, review_reminder_days=3)
    driver = await BotDriver.start(settings, clock=clock)
    await driver.send(ADMIN, "/start")
    yield driver
    await driver.stop()
    assert driver.errors == [], "a handler raised"


def texts_to(bot: BotDriver, user: FakeUser, since: int) -> list[str]:
    """What the bot sent to ``user`` since call number ``since``."""
    return [
        str(c.params.get("text", ""))
        for c in bot.transport.calls[since:]
        if c.method == "sendMessage" and c.params.get("chat_id") == user.id
    ]


async def followups(bot: BotDriver) -> list[ReviewFollowUp]:
    async with services_of(bot.app).db.session() as session:
        return list((await session.execute(select(ReviewFollowUp))).scalars())


async def test_staff_are_reminded_then_the_super_admins_told_each_once(
    fbot: BotDriver, clock: FixedClock, anna: FakeUser
) -> None:
    bot = fbot
    textiles = await make_partnership(bot, "textiles-eu", "Textiles <EU> & Co", staff=(SARA, LUKAS))
    await register(bot, anna, partnership=textiles)
    mark = len(bot.transport.calls)
    await dispatch(bot.app)  # seen waiting: nobody is told yet
    clock.advance(timedelta(days=2, hours=23))
    await dispatch(bot.app)
    assert texts_to(bot, SARA, mark) == [] and texts_to(bot, ADMIN, mark) == []
    clock.advance(timedelta(hours=2))  # more than 3 days
    await dispatch(bot.app)
    [sara] = texts_to(bot, SARA, mark)
    assert "⏰ One item of <b>Textiles &lt;EU&gt; &amp; Co</b>" in sara
    assert "for more than 3 days" in sara and "/pending" in sara
    [lukas] = texts_to(bot, LUKAS, mark)
    assert "seit mehr als 3 Tagen" in lukas and "/pending" in lukas
    assert texts_to(bot, ADMIN, mark) == []
    mark = len(bot.transport.calls)
    await dispatch(bot.app)  # once only
    assert texts_to(bot, SARA, mark) == []
    clock.advance(timedelta(days=3))
    await dispatch(bot.app)
    [admin] = texts_to(bot, ADMIN, mark)
    assert "⚠️ One item of <b>Textiles &lt;EU&gt; &amp; Co</b>" in admin
    assert "for more than 6 days" in admin and "staff were reminded" in admin
    assert texts_to(bot, SARA, mark) == []  # the staff are not reminded a second time
    mark = len(bot.transport.calls)
    clock.advance(timedelta(days=3))
    await dispatch(bot.app)
    assert texts_to(bot, ADMIN, mark) == [] and texts_to(bot, SARA, mark) == []
    # The staff decide: the item no longer waits, and its row is gone.
    await bot.send(SARA, "/pending")
    r = await bot.press(SARA, "Approve")
    assert r.toasts == ["Approved"]
    await dispatch(bot.app)
    assert await followups(bot) == []


async def test_a_decided_item_is_never_reminded(
    fbot: BotDriver, clock: FixedClock, anna: FakeUser
) -> None:
    bot = fbot
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await register(bot, anna, partnership=textiles)
    await dispatch(bot.app)
    await bot.press(SARA, "Approve")
    mark = len(bot.transport.calls)
    clock.advance(timedelta(days=10))
    await dispatch(bot.app)
    assert texts_to(bot, SARA, mark) == [] and texts_to(bot, ADMIN, mark) == []
    assert await followups(bot) == []


async def test_a_partnership_without_staff_sends_registrations_to_the_super_admins(
    fbot: BotDriver, clock: FixedClock, anna: FakeUser, jonas: FakeUser
) -> None:
    bot = fbot
    lonely = await make_partnership(bot, "lonely", "Lonely Cluster Partnership")
    await register(bot, anna, partnership=lonely, confirm=False)
    r = await bot.choose(anna, "summary", "ok")
    [warning, card] = r.others[ADMIN.id]
    assert "has no staff who could validate this registration" in warning.text
    assert "Lonely Cluster Partnership" in card.text and "Approve" in str(card.buttons())
    r = await bot.press(ADMIN, "Approve")
    assert r.toasts == ["Approved"]
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.review == "approved"
    # A registration nobody decides: the super-admins are told again after the reminder
    # time (there is nobody else to remind), and once only.
    await register(bot, jonas, partnership=lonely)
    await dispatch(bot.app)
    mark = len(bot.transport.calls)
    clock.advance(timedelta(days=3, minutes=1))
    await dispatch(bot.app)
    [admin] = texts_to(bot, ADMIN, mark)
    assert "has no staff, and one item has been waiting for validation" in admin
    clock.advance(timedelta(days=3))
    mark = len(bot.transport.calls)
    await dispatch(bot.app)
    assert texts_to(bot, ADMIN, mark) == []


async def test_the_reminder_time_is_a_setting(db_url: str, clock: FixedClock) -> None:
    settings = make_settings(db_url, review_reminder_days=1)
    assert settings.review_reminder_days == 1
    with pytest.raises(ValueError):
        make_settings(db_url, review_reminder_days=0)
