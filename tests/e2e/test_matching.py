"""Proposals through the real Application: cards, mutual consent, introductions, refusals,
nudges and expiry, newcomer pushes."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Proposal
from tests.helpers import register

RITA = FakeUser(id=7_310_042_333, first_name="Rita", username="rita_pt", language_code="pt")
RITA_ANSWERS = dict(
    role="host",
    org_type="cluster",
    name="Rita Sousa",
    organisation="Cluster Têxtil Portugal",
    country="PT",
    city="Porto",
    ecosystems=["12"],
    offers="Wir zeigen Textilrecycling und Recyclingfasern aus Alttextilien.",
    seeks="Partners for digital twins of weaving machines.",
    languages=["en"],
    available_from="2027-04-01",
    available_to="2027-09-30",
    motivation="Find partners for a joint circular textiles project.",
    email="rita@example.pt",
)


async def proposals(bot: BotDriver) -> list[Proposal]:
    async with services_of(bot.app).db.session() as session:
        return list((await session.execute(select(Proposal))).scalars())


async def pair(bot: BotDriver, anna: FakeUser) -> None:
    """Anna (visitor, DE) registers, then Rita (host, PT) joins and is pushed to Anna."""
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)


async def test_a_newcomer_is_pushed_to_whom_it_fits(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    before = len(bot.transport.messages(anna.id))
    await register(bot, RITA, **RITA_ANSWERS)
    pushed = bot.transport.messages(anna.id)[before:]
    assert len(pushed) == 1
    card = pushed[0].text or ""
    assert "A new participant fits you well" in card
    assert "Cluster Têxtil Portugal" in card and "Porto, Portugal" in card
    assert "They offer what you seek" in card and "textile recycling" in card.lower()
    # No contact detail before both sides agree.
    assert "Rita" not in card and "rita@example.pt" not in card and "rita_pt" not in card
    [row] = await proposals(bot)
    assert row.score > 0


async def test_mutual_interest_introduces_both(bot: BotDriver, anna: FakeUser) -> None:
    await pair(bot, anna)
    r = await bot.press(anna, "Interested")
    assert "introduce you as soon as they are interested too" in r.text
    rita_card = bot.transport.last_message(RITA.id)
    assert rita_card is not None and "would like to meet you" in (rita_card.text or "")
    assert "Textilwerk Augsburg GmbH" in (rita_card.text or "")
    assert "Anna" not in (rita_card.text or "")
    r = await bot.press(RITA, "Interested")
    intro = r.text
    assert "It's a match" in intro and "Textilwerk Augsburg GmbH" in intro
    assert f"tg://user?id={anna.id}" in intro and "@anna_sme" in intro
    assert "anna@example.org" in intro
    # Anna gets the introduction, then the exchange's next step (she is the visitor).
    anna_intro, next_step = bot.transport.messages(anna.id)[-2:]
    assert "rita@example.pt" in (anna_intro.text or "")
    assert "propose the dates" in (next_step.text or "")
    [row] = await proposals(bot)
    assert row.matched_at is not None
    # Pressing again changes nothing.
    r = await bot.press_data(RITA, f"m:i:{row.id}")
    assert r.toasts == ["You have already answered this proposal."]


async def test_not_for_me_is_final_and_the_other_side_is_told(
    bot: BotDriver, anna: FakeUser
) -> None:
    await pair(bot, anna)
    await bot.press(anna, "Interested")
    r = await bot.press(RITA, "Not for me")
    assert "will not propose them again" in r.text
    r = await bot.press(RITA, "Dates don't fit")
    [row] = await proposals(bot)
    assert row.decline_reason == "dates" and row.closed_at is not None
    told = bot.transport.last_message(anna.id)
    assert told is not None and "decided not to go ahead" in (told.text or "")
    assert "Cluster Têxtil Portugal" in (told.text or "")
    for user in (anna, RITA):
        r = await bot.send(user, "/matches")
        assert "I have no proposal for you right now" in r.text
        assert "You have seen every current proposal" in r.text


async def test_buttons_of_someone_else_are_refused(bot: BotDriver, anna: FakeUser) -> None:
    await pair(bot, anna)
    [row] = await proposals(bot)
    intruder = FakeUser(id=999_001, language_code="en")
    await register(
        bot, intruder, name="Ivan", organisation="Intruder Ltd", country="AT", city="Graz"
    )
    for data in (f"m:i:{row.id}", f"m:n:{row.id}", f"m:r:{row.id}:topic"):
        r = await bot.press_data(intruder, data)
        assert r.toasts == ["This proposal is not yours."]
    for data in ("m:i:abc", "m:i:", "m:zz:1", f"m:i:{row.id + 1000}"):
        r = await bot.press_data(anna, data)
        assert r.toasts, data
    [row] = [p for p in await proposals(bot) if {p.a_id, p.b_id} == {anna.id, RITA.id}]
    assert row.a_status in ("new", "shown") and row.b_status in ("new", "shown")


async def test_nobody_fits_says_why(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    r = await bot.send(anna, "/matches")
    assert "I have no proposal for you right now" in r.text
    assert "Nobody is registered yet who could be your counterpart" in r.text
    assert "at most one message a day" in r.text
    # Someone in the same country cannot be proposed either.
    await register(bot, RITA, **{**RITA_ANSWERS, "country": "DE", "city": "Berlin"})
    r = await bot.send(anna, "/matches")
    assert "in your own country" in r.text


async def test_matches_in_german_uses_german_concepts(bot: BotDriver, jonas: FakeUser) -> None:
    await register(bot, RITA, **RITA_ANSWERS)
    await register(
        bot,
        jonas,
        name="Jonas Gruber",
        organisation="Webtech Linz",
        country="AT",
        city="Linz",
        seeks="Recyclingfasern und Textilrecycling",
        offers="Digitale Zwillinge für Webmaschinen",
    )
    r = await bot.send(jonas, "/matches")
    card = r.text
    if "Cluster Têxtil Portugal" not in card:  # already pushed on registration
        card = bot.transport.messages(jonas.id)[-2].text or ""
    assert "Warum dieser Vorschlag" in card and "Dort wird geboten, was Sie suchen" in card
    assert "Interessiert" in " ".join(bot.buttons(jonas))


async def test_nudge_once_then_expiry_tells_the_waiting_side(
    bot: BotDriver, anna: FakeUser, clock
) -> None:
    await pair(bot, anna)
    await bot.press(anna, "Interested")  # Rita was shown the card now
    clock.advance(timedelta(days=4))
    assert await dispatch(bot.app) == 0
    clock.advance(timedelta(days=1, hours=1))
    assert await dispatch(bot.app) == 1
    nudge = bot.transport.last_message(RITA.id)
    assert nudge is not None and "A reminder: this proposal waits for your answer" in (
        nudge.text or ""
    )
    assert await dispatch(bot.app) == 0  # exactly one nudge
    clock.advance(timedelta(days=5, hours=1))
    assert await dispatch(bot.app) == 1
    told = bot.transport.last_message(anna.id)
    assert told is not None and "did not answer in time" in (told.text or "")
    [row] = await proposals(bot)
    rita_status = row.a_status if row.a_id == RITA.id else row.b_status
    assert rita_status == "expired" and row.closed_at is not None
    r = await bot.press_data(RITA, f"m:i:{row.id}")
    assert r.toasts == ["This proposal has expired."]  # she never answered it


async def test_deleteme_removes_proposals(bot: BotDriver, anna: FakeUser) -> None:
    await pair(bot, anna)
    await bot.send(anna, "/deleteme")
    await bot.press(anna, "Yes, erase everything")
    assert await proposals(bot) == []


async def test_the_waiting_side_is_offered_the_next_proposal(
    bot: BotDriver, anna: FakeUser
) -> None:
    await pair(bot, anna)
    mila = FakeUser(id=7_310_042_444, first_name="Mila", language_code="en")
    await register(
        bot, mila, **{**RITA_ANSWERS, "organisation": "Dutch Fibre Lab", "name": "Mila",
                      "country": "NL", "city": "Tilburg"},
    )  # fmt: skip
    await bot.press(anna, "Interested")  # on Rita's card
    before = len(bot.transport.messages(anna.id))
    await bot.press(RITA, "Not for me")
    told = bot.transport.messages(anna.id)[before:]
    assert "decided not to go ahead" in (told[0].text or "")
    assert len(told) == 2 and "Dutch Fibre Lab" in (told[1].text or "")
    assert "👍 Interested" in told[1].button_texts()


async def test_two_workers_send_each_nudge_and_expiry_once(
    any_db_bot: BotDriver, db_url: str, anna: FakeUser, clock
) -> None:
    import asyncio

    from tests.conftest import make_settings

    bot = any_db_bot
    await pair(bot, anna)
    await bot.press(anna, "Interested")
    second = await BotDriver.start(make_settings(db_url), clock=clock)
    for user in (anna, RITA):  # another process of the bot: Telegram knows the same chats
        second.transport.meet(user.id)
    try:
        clock.advance(timedelta(days=5, hours=1))
        sent = await asyncio.gather(dispatch(bot.app), dispatch(second.app))
        assert sorted(sent) == [0, 1]
        clock.advance(timedelta(days=5, hours=1))
        sent = await asyncio.gather(dispatch(second.app), dispatch(bot.app))
        assert sorted(sent) == [0, 1]  # the expiry note to Anna, once
        assert sum(await asyncio.gather(dispatch(bot.app), dispatch(second.app))) == 0
    finally:
        await second.stop()


async def test_next_moves_on_to_new_peers_before_cycling(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    hosts = []
    for n, (country, city) in enumerate((("PT", "Porto"), ("NL", "Tilburg"), ("ES", "Valencia"))):
        host = FakeUser(id=8_000_000 + n, language_code="en")
        await register(
            bot, host, **{**RITA_ANSWERS, "organisation": f"Host {n}", "country": country,
                          "city": city},
        )  # fmt: skip
        hosts.append(host)
    r = await bot.send(anna, "/matches")
    seen = [r.text.split("</b>")[0].split("<b>")[-1]]
    for _ in range(3):
        r = await bot.press(anna, "Next")
        seen.append(r.text.split("</b>")[0].split("<b>")[-1])
    assert sorted(set(seen)) == ["Host 0", "Host 1", "Host 2"]
    assert len(set(seen[:3])) == 3  # three different peers before any repeats


async def test_mydata_includes_proposals_without_revealing_the_other_side(
    bot: BotDriver, anna: FakeUser
) -> None:
    import json

    await pair(bot, anna)
    r = await bot.send(anna, "/mydata")
    assert r.last.document is not None
    data = json.loads(r.last.document.content)
    [proposal] = data["proposals"]
    assert anna.id in (proposal["a_id"], proposal["b_id"])
    assert RITA.id not in (proposal["a_id"], proposal["b_id"])  # hidden before a match
    assert data["user"]["id"] == anna.id and data["profile"]["name"] == "Anna Schmidt"
    await bot.press(anna, "Interested")
    await bot.press(RITA, "Interested")
    r = await bot.send(anna, "/mydata")
    [proposal] = json.loads(r.last.document.content)["proposals"]
    assert {proposal["a_id"], proposal["b_id"]} == {anna.id, RITA.id}


async def test_an_override_in_a_name_does_not_reverse_the_rest_of_the_card(
    bot: BotDriver, anna: FakeUser
) -> None:
    """Rita's organisation starts with a right-to-left override: in Anna's card it is
    isolated, so it cannot turn the card's own words around."""
    await register(bot, anna)
    await register(bot, RITA, **{**RITA_ANSWERS, "organisation": "\u202eCluster Têxtil Portugal"})
    card = bot.transport.last_message(anna.id)
    assert card is not None and "A new participant fits you well" in (card.text or "")
    assert "\u2068\u202eCluster Têxtil Portugal\u2069" in (card.text or "")
