"""Nobody validates their own registration or an exchange they take part in: another member
of the team or a super-admin does (issue 12)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.context import services_of
from bot.pseudonyms import who
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import ExchangeEvent, Phase, Quality, Review
from tests.e2e.test_exchange import ADMIN, PEDRO, SARA, approve, exchange_row, people
from tests.e2e.test_matching import RITA_ANSWERS
from tests.helpers import answer_questions, load, make_partnership, register, state

OWN_REGISTRATION = "This is your own registration, so you cannot decide it"
OWN_EXCHANGE = "You take part in this exchange, so you cannot decide on it"


def decision_cards(bot: BotDriver, user: FakeUser, prefix: str) -> list[str]:
    """Callback data of the decision buttons ``prefix…`` in a user's chat."""
    return [
        data
        for message in bot.transport.messages(user.id)
        for row in message.buttons()
        for _label, data in row
        if data.startswith(prefix)
    ]


async def register_staff(bot: BotDriver, user: FakeUser, **answers: object) -> None:
    """A staff member registers their organisation as a participant."""
    await bot.send(user, "/start")
    await bot.press(user, "Register as a participant")
    await bot.choose(user, "consent", "yes")
    await answer_questions(bot, user, **answers)


async def event_count(bot: BotDriver) -> int:
    async with services_of(bot.app).db.session() as session:
        return (await session.execute(select(func.count()).select_from(ExchangeEvent))).scalar_one()


async def test_a_staff_member_cannot_validate_their_own_registration(
    staffed: BotDriver, caplog: pytest.LogCaptureFixture
) -> None:
    bot = staffed
    sara = SARA  # staff of Textiles EU, who registers her own organisation too
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA, PEDRO))
    await register_staff(bot, sara, partnership=textiles)
    assert decision_cards(bot, sara, f"sv:p:{sara.id}:") == []  # not offered to her
    assert decision_cards(bot, PEDRO, f"sv:p:{sara.id}:")  # her colleague has the card

    r = await bot.send(sara, "/pending")
    assert "Nothing waits for your validation" in r.text
    assert "1 item of your own waits too" in r.text
    assert not any(m.reply_markup for m in r.sent)

    caplog.set_level(logging.WARNING)
    for data in (f"sv:p:{sara.id}:a", f"sv:p:{sara.id}:r", f"sv:p:{sara.id}:x:incomplete"):
        r = await bot.press_data(sara, data)  # forged or kept from elsewhere
        assert r.toasts and OWN_REGISTRATION in r.toasts[0], data
        assert not r.others  # nobody is told anything
    assert await state(bot, sara.id) != "st_reason"  # not asked for a reason either
    _user, profile = await load(bot, sara.id)
    assert profile is not None and profile.review == Review.PENDING
    assert "own registration" in caplog.text and who(sara.id) in caplog.text
    assert str(sara.id) not in caplog.text  # a pseudonym, never the Telegram id

    await approve(bot, PEDRO)
    _user, profile = await load(bot, sara.id)
    assert profile is not None and profile.review == Review.APPROVED
    assert profile.reviewed_by == PEDRO.id


async def test_a_super_admin_decides_a_staff_members_registration_but_not_their_own(
    staffed: BotDriver,
) -> None:
    bot = staffed
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await register_staff(bot, SARA, partnership=textiles)  # Sara is the partnership's only staff
    r = await bot.send(SARA, "/pending")
    assert "1 item of your own waits too" in r.text

    await register_staff(bot, ADMIN, partnership=textiles, name="Ada Admin")
    r = await bot.send(ADMIN, "/pending")
    assert "One item waits for your validation" in r.text  # Sara's, not Ada's own
    assert "1 item of your own waits too" in r.text
    r = await bot.press_data(ADMIN, f"sv:p:{ADMIN.id}:a")
    assert OWN_REGISTRATION in r.toasts[0]
    r = await bot.press_data(ADMIN, f"sv:p:{SARA.id}:a")
    assert r.toasts == ["Approved"]
    _user, profile = await load(bot, SARA.id)
    assert profile is not None and profile.review == Review.APPROVED
    r = await bot.press_data(SARA, f"sv:p:{ADMIN.id}:a")  # the admin's, by the team: fine
    assert r.toasts == ["Approved"]


async def test_a_staff_member_cannot_decide_an_exchange_they_take_part_in(
    staffed: BotDriver, caplog: pytest.LogCaptureFixture
) -> None:
    bot = staffed
    anna, rita = people("en")  # Anna is a visitor and a member of Textiles EU's team
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA, anna))
    iberia = await make_partnership(
        bot, "iberia", "Iberian Clusters", ecosystems=("digital",), staff=(PEDRO,)
    )
    await register_staff(bot, anna, partnership=textiles)
    await register(bot, rita, partnership=iberia, **{**RITA_ANSWERS, "languages": ["en", "de"]})
    await approve(bot, SARA)
    await approve(bot, PEDRO)
    await bot.press(anna, "👍")
    r = await bot.press(rita, "👍")
    ex = await exchange_row(bot)
    assert ex.visitor_id == anna.id and ex.phase == Phase.APPROVAL
    assert SARA.id in r.others  # the match goes to the visitor's partnership: Sara, not Anna
    assert decision_cards(bot, anna, f"sv:m:{ex.id}:") == []

    r = await bot.send(anna, "/pending")
    assert "Match to validate" not in r.text
    assert "1 item of your own waits too" in r.text

    caplog.set_level(logging.WARNING)
    before = await event_count(bot)
    for data in (f"sv:m:{ex.id}:a", f"sv:m:{ex.id}:r", f"sv:m:{ex.id}:x:budget"):
        r = await bot.press_data(anna, data)
        assert r.toasts and OWN_EXCHANGE in r.toasts[0], data
        assert not r.others
    assert (await exchange_row(bot)).phase == Phase.APPROVAL
    assert await event_count(bot) == before  # nothing recorded, nothing changed
    assert f"exchange {ex.id}, a party to it" in caplog.text

    r = await bot.press_data(SARA, f"sv:m:{ex.id}:a")
    assert r.toasts == ["Approved"]
    assert (await exchange_row(bot)).phase == Phase.PLANNING

    # Goals and agenda and the closing report: the same rule, whatever the phase.
    for data in (f"sv:q:{ex.id}:a", f"sv:q:{ex.id}:r", f"sv:r:{ex.id}:a", f"sv:r:{ex.id}:r"):
        r = await bot.press_data(anna, data)
        assert r.toasts and OWN_EXCHANGE in r.toasts[0], data
    ex = await exchange_row(bot)
    assert ex.phase == Phase.PLANNING and ex.cq_status != Quality.VALIDATED
