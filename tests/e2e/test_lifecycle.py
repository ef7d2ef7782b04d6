"""The exchange's table of allowed actions through the real Application: every button the bot
offers is accepted, and every action out of order (a forged or old button, a typed answer
after the phase moved on) is refused with a clear message and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.context import services_of
from bot.services.exchanges import callbacks
from bot.services.exchanges.lifecycle import check
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Exchange, ExchangeEvent, Phase, User
from tests.e2e.test_exchange import SARA, at, exchange_row, matched_and_validated, people

NOT_OPEN = "This step is not open at this stage of the exchange."


async def audit_rows(bot: BotDriver) -> int:
    async with services_of(bot.app).db.session() as session:
        return (await session.execute(select(func.count()).select_from(ExchangeEvent))).scalar()


async def snapshot(bot: BotDriver) -> tuple:
    ex = await exchange_row(bot)
    return (
        ex.phase,
        ex.happened,
        ex.host_rating,
        ex.goals,
        ex.cq_status,
        ex.start_date,
        ex.dates_agreed_at,
        await audit_rows(bot),
    )


async def refused(bot: BotDriver, user: FakeUser, data: str, expected: str) -> None:
    """Pressing ``data`` is answered with ``expected`` and changes nothing."""
    before = await snapshot(bot)
    state_before = (await _user(bot, user.id)).state
    r = await bot.press_data(user, data)
    assert r.toasts and expected in r.toasts[0], r.toasts
    assert r.sent == [] and r.others == {}
    assert await snapshot(bot) == before
    assert (await _user(bot, user.id)).state == state_before


async def _user(bot: BotDriver, user_id: int) -> User:
    async with services_of(bot.app).db.session() as session:
        user = await session.get(User, user_id)
        assert user is not None
        return user


async def offered_buttons_are_allowed(bot: BotDriver, user: FakeUser, clock: FixedClock) -> int:
    """Every exchange button of /exchange passes the table; how many there were."""
    await bot.send(user, "/exchange")
    ex = await exchange_row(bot)
    count = 0
    for row in bot.transport.last_message(user.id).buttons():
        for _label, data in row:
            press = callbacks.parse(data)
            assert press is not None, data
            assert check(press.act, ex, user.id, clock.today()) is None, (data, ex.phase)
            count += 1
    return count


async def test_out_of_order_actions_are_refused_and_change_nothing(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    ex = await exchange_row(bot)
    xid = ex.id
    # Waiting for the partnership: nothing of the visit is open yet.
    assert await offered_buttons_are_allowed(bot, anna, clock) == 0
    await refused(bot, anna, f"x:d:{xid}", NOT_OPEN)
    await bot.press(SARA, "Approve")

    # Planning: the visit has not happened, there is nothing to rate, goals come later.
    assert await offered_buttons_are_allowed(bot, anna, clock) == 1  # propose dates
    await refused(bot, anna, f"x:h:{xid}:yes", NOT_OPEN)
    await refused(bot, anna, f"x:g:{xid}", NOT_OPEN)
    await refused(bot, rita, f"x:fb:{xid}:5", NOT_OPEN)
    await refused(bot, anna, f"x:rep:{xid}", NOT_OPEN)
    await refused(bot, anna, f"x:ok:{xid}", NOT_OPEN)  # no dates proposed yet
    await refused(bot, anna, f"x:o:{xid}:project", NOT_OPEN)

    await bot.press(anna, "Propose dates")
    await bot.send(anna, "2027-05-03 - 2027-05-07")
    await refused(bot, anna, f"x:ok:{xid}", "You proposed these dates")
    await bot.press(rita, "Confirm dates")
    assert (await exchange_row(bot)).phase == Phase.VISITING

    # Visiting, before the last day: "did it take place?" is not open yet.
    assert await offered_buttons_are_allowed(bot, anna, clock) >= 2  # calendar, goals
    assert await offered_buttons_are_allowed(bot, rita, clock) >= 1  # calendar
    await refused(bot, anna, f"x:h:{xid}:yes", "from the last day of the visit on")
    await refused(bot, rita, f"x:fb:{xid}:5", NOT_OPEN)
    await refused(bot, rita, f"x:h:{xid}:yes", "for the other side")
    await refused(bot, anna, f"x:ga:{xid}", "for the other side")
    await refused(bot, anna, f"x:d:{xid}", NOT_OPEN)  # dates are agreed

    # The host rates only once the visitor says the visit took place.
    at(clock, datetime(2027, 5, 7, 12, 0, tzinfo=UTC))
    assert await offered_buttons_are_allowed(bot, anna, clock) >= 3  # and "did it happen?"
    r = await bot.press_data(anna, f"x:h:{xid}:yes")
    assert "closing report" in r.text and rita.id in r.others
    assert (await exchange_row(bot)).phase == Phase.RETURNING
    await refused(bot, anna, f"x:h:{xid}:canc", "Already noted")
    await offered_buttons_are_allowed(bot, rita, clock)
    r = await bot.press_data(rita, f"x:fb:{xid}:4")
    assert (await exchange_row(bot)).host_rating == 4
    await refused(bot, rita, f"x:fb:{xid}:1", "Already noted")
    await refused(bot, anna, f"x:g:{xid}", NOT_OPEN)  # goals belong to before the visit
    assert bot.errors == []


async def test_a_typed_answer_after_its_step_closed_is_refused(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot = staffed
    anna, rita = people("de")
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    ex = await exchange_row(bot)
    # Anna is at "type your goals" (an old question), but the exchange is still planning.
    async with services_of(bot.app).db.session() as session:
        user = await session.get(User, anna.id)
        assert user is not None
        user.state, user.state_data = "ex_goals", {"x": ex.id, "resume": None}
        await session.commit()
    before = await snapshot(bot)
    r = await bot.send(anna, "We want to learn how to recycle textile fibres at scale.")
    assert "Dieser Schritt ist nicht mehr möglich" in r.text
    assert await snapshot(bot) == before
    assert (await _user(bot, anna.id)).state == "idle"
    assert r.others == {}


async def test_an_old_date_proposal_cannot_be_confirmed_after_new_dates(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, "Propose dates")
    await bot.send(anna, "2027-05-03 - 2027-05-07")
    old_message, old_data = bot.find_button(rita, "Confirm dates")
    await bot.press(rita, "Propose other dates")
    await bot.send(rita, "10.5.2027 - 14.5.2027")
    # Rita's first "Confirm" was for Anna's dates; they are no longer Anna's proposal.
    r = await bot.process(rita, bot.updates.callback(rita, old_data, old_message.message_id))
    assert r.toasts == ["You proposed these dates; the other side confirms them."]
    ex = await exchange_row(bot)
    assert ex.phase == Phase.PLANNING and ex.dates_agreed_at is None
    clock.advance(timedelta(minutes=1))
    await bot.press(anna, "Confirm dates")
    ex = await exchange_row(bot)
    assert ex.phase == Phase.VISITING and ex.start_date.day == 10


async def test_only_the_sides_of_an_exchange_may_press_its_buttons(staffed: BotDriver) -> None:
    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    ex = await exchange_row(bot)
    stranger = FakeUser(id=99, language_code="en")
    await bot.send(stranger, "/start")
    r = await bot.press_data(stranger, f"x:d:{ex.id}")
    assert r.toasts == ["This exchange is not yours."]
    async with services_of(bot.app).db.session() as session:
        assert (await session.get(Exchange, ex.id)).phase == ex.phase
