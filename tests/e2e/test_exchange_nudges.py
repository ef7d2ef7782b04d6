"""An exchange that waits on one side nudges that side: a week after it became their turn,
and again after three weeks (who travels, the dates, an answer to proposed dates). A step
taken meanwhile makes the nudge moot; each step plans them anew for whoever's turn it is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.clock import FixedClock
from bot.handlers.jobs import dispatch
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Phase, Reminder
from tests.e2e.test_direction import RITA, both_match, exchange
from tests.e2e.test_exchange import at, reminders

HOURS = timedelta(hours=1)


def since(bot: BotDriver, user: FakeUser, count: int) -> list[str]:
    return [m.text or "" for m in bot.transport.messages(user.id)[count:]]


def seen(bot: BotDriver, *users: FakeUser) -> dict[int, int]:
    return {u.id: len(bot.transport.messages(u.id)) for u in users}


async def dates_agreed(bot: BotDriver, visitor: FakeUser) -> None:
    """After the match: ``visitor`` travels, 1 to 5 March 2027 (buttons in any language)."""
    await bot.press(visitor, "✈️")
    await bot.press(RITA, "✅")
    await bot.press(visitor, "📅")
    await bot.send(visitor, "2027-03-01 - 2027-03-05")
    await bot.press(RITA, "✅")


async def pending(bot: BotDriver) -> list[Reminder]:
    return [r for r in await reminders(bot) if r.sent_at is None and r.cancelled_at is None]


async def test_each_turn_is_nudged_after_a_week_and_three_weeks(
    bot: BotDriver, anna: FakeUser, clock: FixedClock
) -> None:
    await both_match(bot, anna)
    before = seen(bot, anna, RITA)
    clock.advance(timedelta(days=7) - HOURS)
    assert await dispatch(bot.app) == 0  # not yet a week
    clock.advance(2 * HOURS)
    assert await dispatch(bot.app) == 2
    for user in (anna, RITA):
        [nudge] = since(bot, user, before[user.id])
        assert nudge.startswith("⏳ Your exchange with <b>")
        assert "waiting for one step: who travels?" in nudge
        last = bot.transport.messages(user.id)[-1]
        assert last.button_texts() == ["✈️ We travel to them", "🏠 They come to us"]

    # Anna answers from the nudge; now it is Rita's turn alone, a week from now.
    await bot.press(anna, "We travel to them")
    before = seen(bot, anna, RITA)
    clock.advance(timedelta(days=7) + HOURS)
    assert await dispatch(bot.app) == 1
    assert since(bot, anna, before[anna.id]) == []
    [nudge] = since(bot, RITA, before[RITA.id])
    assert "proposed that <b>Textilwerk Augsburg GmbH</b> travels to <b>Cluster Têxtil" in nudge
    assert "is waiting for your answer" in nudge
    assert bot.transport.messages(RITA.id)[-1].button_texts()[0] == "✅ Agreed"

    # Rita agrees: the dates are both sides' business now.
    await bot.press(RITA, "Agreed")
    before = seen(bot, anna, RITA)
    clock.advance(timedelta(days=7) + HOURS)
    assert await dispatch(bot.app) == 2
    for user in (anna, RITA):
        [nudge] = since(bot, user, before[user.id])
        assert "is waiting for the dates of the visit" in nudge
        assert "📅 Propose dates" in bot.transport.messages(user.id)[-1].button_texts()

    # No dates for three weeks: the second nudge comes, and none after it.
    before = seen(bot, anna, RITA)
    clock.advance(timedelta(days=14))
    assert await dispatch(bot.app) == 2
    assert all(len(since(bot, u, before[u.id])) == 1 for u in (anna, RITA))
    assert await pending(bot) == []

    # Anna proposes dates: Rita is nudged to answer, Anna is not.
    await bot.press(anna, "Propose dates")
    await bot.send(anna, "2027-03-01 - 2027-03-05")
    before = seen(bot, anna, RITA)
    clock.advance(timedelta(days=7) + HOURS)
    assert await dispatch(bot.app) == 1
    [nudge] = since(bot, RITA, before[RITA.id])
    assert "proposed these dates for the visit and is waiting for your answer:" in nudge
    assert "📅 1 – 5 Mar 2027 (5 working days)" in nudge
    assert bot.transport.messages(RITA.id)[-1].button_texts() == [
        "✅ Confirm dates",
        "📅 Propose other dates",
    ]
    await bot.press(RITA, "Confirm dates")
    assert [r.kind for r in await pending(bot)].count("stalled") == 0


async def test_a_step_taken_before_the_nudge_makes_it_moot(
    bot: BotDriver, anna: FakeUser, clock: FixedClock
) -> None:
    await both_match(bot, anna)
    await dates_agreed(bot, anna)
    before = seen(bot, anna, RITA)
    clock.advance(timedelta(days=22))
    await dispatch(bot.app)
    for user in (anna, RITA):
        assert not [t for t in since(bot, user, before[user.id]) if t.startswith("⏳")]
    assert not [r for r in await pending(bot) if r.kind == "stalled"]


async def test_in_german_with_a_hostile_organisation_name(
    bot: BotDriver, jonas: FakeUser, clock: FixedClock
) -> None:
    hostile = {"organisation": "Grüße & <i>Söhne</i> \u202eGmbH"}
    await both_match(bot, jonas, own=hostile, interested="Interessiert")
    before = seen(bot, RITA, jonas)
    clock.advance(timedelta(days=7) + HOURS)
    assert await dispatch(bot.app) == 2
    [to_jonas] = since(bot, jonas, before[jonas.id])
    assert to_jonas.startswith("⏳ Ihr Austausch mit <b>")
    assert "wartet auf einen Schritt: Wer reist?" in to_jonas
    [to_rita] = since(bot, RITA, before[RITA.id])
    assert "Grüße &amp; &lt;i&gt;Söhne&lt;/i&gt;" in to_rita
    assert "<i>" not in to_rita


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_postponed_visit_is_nudged_for_new_dates(
    bot: BotDriver, anna: FakeUser, jonas: FakeUser, clock: FixedClock, lang: str
) -> None:
    visitor = anna if lang == "en" else jonas
    await both_match(bot, visitor, interested="Interested" if lang == "en" else "Interessiert")
    await dates_agreed(bot, visitor)
    at(clock, datetime(2027, 3, 6, 10, 0, tzinfo=UTC))  # the day after the visit
    await dispatch(bot.app)  # the reminders before it, and "did it take place?"
    await bot.press(visitor, "🔁")  # it was postponed
    ex = await exchange(bot)
    assert ex.phase == Phase.PLANNING and ex.start_date is None
    before = seen(bot, visitor)
    clock.advance(timedelta(days=7) + HOURS)
    await dispatch(bot.app)
    nudges = [t for t in since(bot, visitor, before[visitor.id]) if t.startswith("⏳")]
    words = "waiting for the dates" if lang == "en" else "wartet auf die Termine"
    assert len(nudges) == 1 and words in nudges[0]
