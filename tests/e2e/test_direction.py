"""Who travels when both sides are visitor and host (issue 15): they choose, the engine does
not. The match starts in the phase ``direction``; one proposes, the other agrees (or proposes
the other way round), and only then does the exchange go to validation or to the dates."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from sqlalchemy import select

from bot.context import services_of
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Exchange, ExchangeEvent, Phase
from tests.e2e.test_matching import RITA, RITA_ANSWERS
from tests.helpers import make_partnership, register

SARA = FakeUser(id=5_961, first_name="Sara", username="sara_staff", language_code="en")


async def exchange(bot: BotDriver) -> Exchange:
    async with services_of(bot.app).db.session() as session:
        [ex] = (await session.execute(select(Exchange))).scalars()
        return ex


async def both_match(
    bot: BotDriver,
    anna: FakeUser,
    own: Mapping[str, object] = MappingProxyType({}),
    interested: str = "Interested",
    **extra: object,
) -> None:
    """Anna (or another user, pressing ``interested`` in their language) and Rita both offer
    to visit and to host, and both are interested. ``extra``: answers of both (a partnership:
    its staff approve them); ``own``: answers of Anna's alone."""
    await register(bot, anna, role="both", **extra, **own)
    await register(bot, RITA, **{**RITA_ANSWERS, "role": "both", **extra})
    if extra:
        await bot.press(SARA, "Approve")
        await bot.press(SARA, "Approve")
    await bot.send(anna, "/matches")
    await bot.press(anna, interested)
    await bot.press(RITA, "Interested")


async def test_both_choose_who_travels_before_anything_else(bot: BotDriver, anna: FakeUser) -> None:
    await both_match(bot, anna)
    ex = await exchange(bot)
    assert ex.phase == Phase.DIRECTION
    for user in (anna, RITA):
        question = bot.transport.messages(user.id)[-1]
        assert "Who travels" in (question.text or "")
        assert question.button_texts() == ["✈️ We travel to them", "🏠 They come to us"]
    r = await bot.press(anna, "We travel to them")
    assert "Textilwerk Augsburg GmbH</b> travels to <b>Cluster Têxtil Portugal" in r.text
    [asked] = r.others[RITA.id]
    assert "proposes that <b>Textilwerk Augsburg GmbH</b> travels to" in asked.text
    assert asked.buttons()[0][0][0] == "✅ Agreed"
    # The proposer cannot agree with themselves; nothing is planned yet.
    r = await bot.press_data(anna, f"x:ta:{ex.id}")
    assert r.toasts and (await exchange(bot)).phase == Phase.DIRECTION
    r = await bot.press(RITA, "Agreed")
    ex = await exchange(bot)
    assert ex.phase == Phase.PLANNING and (ex.visitor_id, ex.host_id) == (anna.id, RITA.id)
    assert "propose the dates" in bot.transport.messages(anna.id)[-1].text.lower() or any(
        "Propose dates" in label for label in bot.transport.messages(anna.id)[-1].button_texts()
    )
    r = await bot.press_data(RITA, f"x:ta:{ex.id}")  # agreed already: nothing changes
    assert r.toasts == ["Already noted."]
    async with services_of(bot.app).db.session() as session:
        actions = [e.action for e in (await session.execute(select(ExchangeEvent))).scalars()]
    assert actions == ["created", "direction", "direction_agreed"]


async def test_the_other_side_may_propose_the_other_way_round(
    bot: BotDriver, anna: FakeUser
) -> None:
    await both_match(bot, anna)
    await bot.press(anna, "We travel to them")
    r = await bot.press(RITA, "We travel to them")  # Rita would rather travel herself
    assert "I have asked the other side to agree" in r.text
    assert "Cluster Têxtil Portugal</b> travels to" in r.others[anna.id][0].text
    await bot.press(anna, "Agreed")
    ex = await exchange(bot)
    assert (ex.visitor_id, ex.host_id) == (RITA.id, anna.id) and ex.phase == Phase.PLANNING


async def test_the_chosen_visitors_partnership_validates(bot: BotDriver, anna: FakeUser) -> None:
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await both_match(bot, anna, partnership=textiles)
    ex = await exchange(bot)
    assert ex.phase == Phase.DIRECTION
    before = len(bot.transport.messages(SARA.id))
    await bot.press(RITA, "They come to us")  # Anna travels to Rita
    assert len(bot.transport.messages(SARA.id)) == before  # nothing to validate yet
    r = await bot.press(anna, "Agreed")
    ex = await exchange(bot)
    assert ex.phase == Phase.APPROVAL and ex.visitor_id == anna.id
    assert "validates this exchange" in r.text
    assert "Textilwerk Augsburg GmbH" in r.others[SARA.id][0].text


async def test_in_german(bot: BotDriver, jonas: FakeUser) -> None:
    await both_match(bot, jonas, interested="Interessiert")
    question = bot.transport.messages(jonas.id)[-1]
    assert "Wer reist" in (question.text or "")
    assert question.button_texts() == ["✈️ Wir reisen zu ihnen", "🏠 Sie kommen zu uns"]
