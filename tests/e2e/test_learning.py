"""Learning from answers through the real Application (issue 14): "Not for me" because the
topics don't fit lowers, for that person only, the concepts behind that proposal; a match
both sides wanted raises them for both; other reasons teach nothing."""

from __future__ import annotations

from sqlalchemy import select

from bot.context import services_of
from bot.services.matchmaking.service import LEARN_DOWN, LEARN_UP
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import ConceptFeedback
from tests.e2e.test_matching import RITA, pair


async def learnt(bot: BotDriver) -> dict[tuple[int, str], float]:
    async with services_of(bot.app).db.session() as session:
        rows = (await session.execute(select(ConceptFeedback))).scalars()
        return {(row.user_id, row.concept): row.factor for row in rows}


async def test_topics_that_did_not_fit_count_less_for_that_person(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot
    await pair(bot, anna)
    await bot.press(anna, "Not for me")
    reasons, topic = bot.find_button(anna, "Topics don't fit")
    r = await bot.press_data(anna, topic, reasons.message_id)
    assert "that helps me propose better" in r.edited[0].text
    rows = await learnt(bot)
    assert rows and {user for user, _concept in rows} == {anna.id}  # Rita learnt nothing
    assert ("textile-recycling" in {c for _u, c in rows}) and set(rows.values()) == {LEARN_DOWN}
    # The same reason pressed again does not lower twice.
    await bot.press_data(anna, topic, reasons.message_id)
    assert set((await learnt(bot)).values()) == {LEARN_DOWN}


async def test_other_reasons_teach_nothing(bot: BotDriver, anna: FakeUser) -> None:
    await pair(bot, anna)
    await bot.press(anna, "Not for me")
    await bot.press(anna, "Dates don't fit")
    assert await learnt(bot) == {}


async def test_a_match_both_wanted_counts_more_for_both(bot: BotDriver, anna: FakeUser) -> None:
    await pair(bot, anna)
    await bot.press(anna, "Interested")
    await bot.press(RITA, "Interested")
    rows = await learnt(bot)
    assert {user for user, _concept in rows} == {anna.id, RITA.id}
    assert set(rows.values()) == {LEARN_UP}
    assert (anna.id, "textile-recycling") in rows and (RITA.id, "textile-recycling") in rows
