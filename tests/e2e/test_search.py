"""/search through the real Application: words in either language, criteria buttons, paging,
the scheme's rules, and 👍 Interested as the same mutual consent as a proposal."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.context import services_of
from bot.transport import telegram_html
from bot.transport.driver import BotDriver, Exchange
from bot.transport.offline import ChatMessage
from bot.transport.updates import FakeUser
from storage.models import Profile, Proposal, Review
from tests.helpers import make_partnership, register, state

# An English-speaking host in Italy who offers additive manufacturing (in English).
LUCA = FakeUser(id=7_310_043_001, first_name="Luca", username="luca_it", language_code="en")
LUCA_ANSWERS: dict[str, Any] = dict(
    role="host",
    org_type="support",
    name="Luca Bianchi",
    organisation="Additive Lab Torino",
    country="IT",
    city="Turin",
    ecosystems=["4"],
    offers="Additive manufacturing of metal spare parts and rapid prototyping.",
    seeks="Partners for digital twins of production lines.",
    languages=["en", "de"],
    available_from="2026-12-01",
    available_to="2027-12-31",
    motivation="Show our additive manufacturing lab to other clusters.",
    email="luca@example.it",
)


def host(user_id: int, organisation: str, country: str, city: str, **more: Any) -> tuple:
    """Another host who offers the same, in another place."""
    user = FakeUser(id=user_id, first_name="Host", username=f"host{user_id}", language_code="en")
    return user, {
        **LUCA_ANSWERS,
        "name": f"Host {user_id}",
        "organisation": organisation,
        "country": country,
        "city": city,
        "email": f"h{user_id}@example.org",
        **more,
    }


PORTO = host(7_310_043_002, "Cluster Têxtil Portugal", "PT", "Porto")
BERLIN = host(7_310_043_003, "Berlin Druckwerk", "DE", "Berlin")  # the searcher's country
LYON = host(7_310_043_004, "Atelier Lyon Fabrication", "FR", "Lyon")
GRAZ = host(7_310_043_005, "Grazer Werkstatt", "AT", "Graz")
WIEN = host(7_310_043_006, "Wiener Prototypen", "AT", "Vienna")
BRNO = host(7_310_043_007, "Brno Print Hub", "CZ", "Brno")


def plain(message: ChatMessage | None) -> str:
    """What the reader sees (the transport keeps the HTML)."""
    assert message is not None
    return telegram_html.parse(message.text or message.caption or "")


def results(bot: BotDriver, user: FakeUser, prefix: str = "sq:") -> ChatMessage:
    """The newest message with search buttons (``prefix``: staff search's ``ss:``)."""
    for message in reversed(bot.transport.messages(user.id)):
        if any(data.startswith(prefix) for row in message.buttons() for _t, data in row):
            return message
    raise LookupError(f"no message with {prefix} buttons")


async def press(bot: BotDriver, user: FakeUser, label: str, prefix: str = "sq:") -> Exchange:
    """Press a button of the newest results message by (part of) its label."""
    message = results(bot, user, prefix)
    for row in message.buttons():
        for text, data in row:
            if label.casefold() in text.casefold():
                return await bot.press_data(user, data, message.message_id)
    raise LookupError(f"no search button {label!r}: {message.button_texts()}")


async def set_profile(bot: BotDriver, user_id: int, **values: Any) -> None:
    async with services_of(bot.app).db.session() as session:
        profile = await session.get(Profile, user_id)
        assert profile is not None
        for name, value in values.items():
            setattr(profile, name, value)
        await session.commit()


async def test_german_words_find_an_english_profile(bot: BotDriver, jonas: FakeUser) -> None:
    await register(bot, LUCA, **LUCA_ANSWERS)
    await register(bot, jonas, name="Jonas Gruber", organisation="Textilwerk Augsburg GmbH")
    r = await bot.send(jonas, "/search 3D-Druck")
    page = plain(r.last)
    assert "Additive Lab Torino" in page
    assert "Passt zu Ihrer Suche: Additive Fertigung" in page
    assert "Warum dieser Vorschlag" in page  # the proposal card's reasons
    # No contact details before both sides agree.
    assert "Luca" not in page and "luca@example.it" not in page and "luca_it" not in page
    assert any("Interessiert" in label for label in r.last.button_texts())


async def test_search_asks_for_words_and_cancel_leaves(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, LUCA, **LUCA_ANSWERS)
    await register(bot, anna)
    r = await bot.send(anna, "/search")
    assert "What are you looking for?" in r.text
    r = await bot.send(anna, "/cancel")
    assert "Search cancelled" in r.text
    r = await bot.send(anna, "/search")
    r = await bot.send(anna, "<>")  # no words: asked again
    assert "only numbers or symbols" in r.text and "What are you looking for?" in r.text
    r = await bot.send(anna, "additive manufacturing")
    assert "Additive Lab Torino" in plain(r.last)
    assert "1 organisation fits" in plain(r.last)
    assert await state(bot, anna.id) == "idle"
    # Words with the command while the question is open: the question is closed.
    await bot.send(anna, "/search")
    r = await bot.send(anna, "/search additive manufacturing")
    assert "Additive Lab Torino" in plain(r.last)
    assert await state(bot, anna.id) == "idle"


async def test_rules_leave_out_own_country_paused_unvalidated_and_declined(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)  # visitor in Germany
    for user, answers in (PORTO, BERLIN, LYON, GRAZ, WIEN):
        await register(bot, user, **answers)
    await bot.send(LYON[0], "/pause")
    await set_profile(bot, GRAZ[0].id, review=Review.PENDING)  # waits for validation
    # Vienna turned Anna down (she was interested, they said "not for me").
    r = await bot.send(anna, "/search additive manufacturing")
    assert "Wiener Prototypen" in plain(r.last)
    await press(bot, anna, "Wiener Prototypen")
    await bot.press(WIEN[0], "Not for me")
    r = await bot.send(anna, "/search additive manufacturing")
    page = plain(r.last)
    assert "Cluster Têxtil Portugal" in page
    for absent in ("Berlin Druckwerk", "Atelier Lyon", "Grazer Werkstatt", "Wiener Prototypen"):
        assert absent not in page
    assert "1 organisation fits" in page


async def test_a_criterion_narrows_and_pages_turn(any_db_bot: BotDriver, anna: FakeUser) -> None:
    bot = any_db_bot  # also on PostgreSQL when configured
    await register(bot, anna)
    for user, answers in (PORTO, LYON, WIEN, BRNO, (LUCA, LUCA_ANSWERS)):
        await register(bot, user, **answers)
    r = await bot.send(anna, "/search additive manufacturing")
    first = plain(r.last)
    assert "5 organisations fit" in first and "Page 1 of 2" in first
    assert sum(name in first for name in ("Porto", "Lyon", "Wien", "Brno", "Torino")) == 3
    r = await press(bot, anna, "▶")
    [page] = r.edited
    assert "Page 2 of 2" in plain(page)
    r = await press(bot, anna, "Country")
    assert any("Italy" in label for label in results(bot, anna).button_texts())
    assert not any("Germany" in label for label in results(bot, anna).button_texts())
    r = await press(bot, anna, "Italy")
    narrowed = plain(r.edited[0])
    assert "Additive Lab Torino" in narrowed and "1 organisation fits" in narrowed
    assert "Criteria: Italy" in narrowed
    await press(bot, anna, "🌍 Italy")  # the criterion's menu again
    r = await press(bot, anna, "Any country")
    assert "5 organisations fit" in plain(r.edited[0])
    # Anna is available from March only: nobody within a month.
    r = await press(bot, anna, "Within a month")
    assert "No organisation fits" in plain(r.edited[0])
    assert "Remove a criterion" in plain(r.edited[0])
    r = await press(bot, anna, "✅ Within a month")
    assert "5 organisations fit" in plain(r.edited[0])


async def test_same_button_twice_answers_once(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    for user, answers in (PORTO, LYON, WIEN, BRNO):
        await register(bot, user, **answers)
    await bot.send(anna, "/search additive manufacturing")
    message = results(bot, anna)
    [forward] = [data for row in message.buttons() for text, data in row if text == "▶️"]
    r = await bot.press_data(anna, forward, message.message_id)
    assert r.edited and "Page 2 of 2" in plain(r.edited[0])
    r = await bot.press_data(anna, forward, message.message_id)
    assert not r.edited and not r.sent
    assert r.toasts == ["This search is not current any more. Send /search to search again."]


async def test_interested_from_search_then_from_the_other_side_is_a_match(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot  # also on PostgreSQL when configured
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    await bot.send(anna, "/search additive manufacturing")
    r = await press(bot, anna, "Interested")
    assert "introduce you as soon as they are interested too" in r.text
    luca_card = plain(bot.transport.last_message(LUCA.id))
    assert "would like to meet you" in luca_card and "Textilwerk Augsburg GmbH" in luca_card
    assert "Anna" not in luca_card and "anna@example.org" not in luca_card
    # Pressed again: one answer only.
    r = await press(bot, anna, "Interested")
    assert r.toasts == ["You have already answered this proposal."] and not r.sent
    r = await bot.press(LUCA, "Interested")
    assert "It's a match" in r.text and "anna@example.org" in r.text
    intros = [plain(m) for m in bot.transport.messages(anna.id)]
    assert any("It's a match" in t and "luca@example.it" in t for t in intros)
    async with services_of(bot.app).db.session() as session:
        [row] = list((await session.execute(select(Proposal))).scalars())
    assert row.matched_at is not None


async def test_luca_searches_and_the_match_completes_from_search(
    bot: BotDriver, anna: FakeUser
) -> None:
    """The other way round: the card came through the outbox, the answer from a search."""
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    await bot.press(anna, "Interested")  # the newcomer's card pushed to Anna
    r = await bot.send(LUCA, "/search digital twins")
    assert "Textilwerk Augsburg GmbH" in plain(r.last)
    r = await press(bot, LUCA, "Interested")
    assert r.toasts == ["It's a match! I am sending you the contact details."]
    assert any("anna@example.org" in plain(m) for m in bot.transport.messages(LUCA.id))


async def test_hostile_words_are_shown_as_typed(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    r = await bot.send(anna, "/search <b>R&D</i> \u200fadditive manufacturing")
    page = plain(r.last)
    assert "<b>R&D</i> additive manufacturing" in page
    assert "\u200f" not in page
    assert "Additive Lab Torino" in page


async def test_a_name_without_concepts_is_found_fuzzily(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot  # also on PostgreSQL when configured
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    r = await bot.send(anna, "/search Torino Lab")
    assert "Additive Lab Torino" in plain(r.last)
    r = await bot.send(anna, "/search Zzyzx Qwrt")
    assert "No organisation fits this search" in plain(r.last)
    assert "broader words" in plain(r.last)


async def test_who_may_not_search_is_told_why(bot: BotDriver, anna: FakeUser) -> None:
    r = await bot.send(anna, "/search hydrogen")
    assert "complete profile" in r.text and "/start" in r.text
    partnership = await make_partnership(bot, "textiles", "Textile Cluster Partnership")
    await register(bot, anna, partnership=partnership)
    r = await bot.send(anna, "/search hydrogen")
    assert "waiting for validation by Textile Cluster Partnership" in plain(r.last)
    await set_profile(bot, anna.id, review=Review.APPROVED)
    await bot.send(anna, "/pause")
    r = await bot.send(anna, "/search hydrogen")
    assert "You are paused" in r.text


async def test_german_user_reads_german(bot: BotDriver, jonas: FakeUser) -> None:
    await register(bot, LUCA, **LUCA_ANSWERS)
    await register(bot, jonas, name="Jonas Gruber", organisation="Textilwerk Augsburg GmbH")
    r = await bot.send(jonas, "/search")
    assert "Wonach suchen Sie?" in r.text
    r = await bot.send(jonas, "Wasserstoff")
    assert "Keine Organisation passt" in plain(r.last) and not r.last.buttons()
    r = await bot.send(jonas, "/search additive Fertigung")
    assert "1 Organisation passt" in plain(r.last)
    labels = " ".join(r.last.button_texts())
    assert "Interessiert: Additive Lab Torino" in labels
    assert "Land" in labels and "Innerhalb eines Monats" in labels
    r = await press(bot, jonas, "Rolle")
    assert results(bot, jonas).button_texts() == ["Gastgeber", "Jede Rolle", "◀️ Zurück"]


async def test_forged_or_stale_buttons_change_nothing(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    for data in ("sq:i:AAAAAAAAAAA", f"sq:i:{LUCA.id}", "sq:1:pg:1", "sq:zz", "sq:1:cty:XX"):
        r = await bot.press_data(anna, data)
        assert r.toasts and not r.sent and not r.edited, data
    async with services_of(bot.app).db.session() as session:
        rows = list((await session.execute(select(Proposal))).scalars())
    assert all("interested" not in (p.a_status, p.b_status) for p in rows)


async def test_a_paused_searcher_cannot_press_interested(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    await bot.send(anna, "/search additive manufacturing")
    await bot.send(anna, "/pause")
    r = await press(bot, anna, "Interested")
    assert "You are paused" in r.text
    async with services_of(bot.app).db.session() as session:
        rows = list((await session.execute(select(Proposal))).scalars())
    assert all("interested" not in (p.a_status, p.b_status) for p in rows)


async def test_the_results_on_a_map_numbered_as_in_the_list(bot: BotDriver, anna: FakeUser) -> None:
    import io

    from PIL import Image

    from bot.services import maps

    await register(bot, anna)
    for user, answers in (PORTO, LYON, WIEN, BRNO, (LUCA, LUCA_ANSWERS)):
        await register(bot, user, **answers)
    await bot.send(anna, "/search additive manufacturing")
    listed = plain(results(bot, anna))
    r = await press(bot, anna, "Map")
    [picture] = r.sent
    assert picture.photo is not None
    assert "5 organisations of your search, numbered as in the list" in (picture.caption or "")
    image = Image.open(io.BytesIO(picture.photo.content)).convert("RGB")
    assert image.size == (maps.WIDTH_PX, maps.HEIGHT_PX)
    async with services_of(bot.app).db.session() as session:
        placed = {
            p.user_id: (p.latitude, p.longitude)
            for p in (await session.execute(select(Profile))).scalars()
        }
    # Each organisation's place is painted in the markers' red.
    for user, _answers in (PORTO, LYON, WIEN, BRNO):
        x, y = maps.project(*placed[user.id])
        ring = [image.getpixel((round(x) + dx, round(y) + 8)) for dx in (-2, 0, 2)]
        assert any(abs(r - 200) < 30 and g < 90 and b < 90 for r, g, b in ring), user
    # Anna's own place is the blue ring; the search shown is unchanged and still answers.
    x, y = maps.project(*placed[anna.id])
    assert image.getpixel((round(x) + 10, round(y)))[2] > 150
    assert plain(results(bot, anna)) == listed
    r = await press(bot, anna, "▶")
    assert "Page 2 of 2" in plain(r.edited[0])
