"""Partnerships through the real Application: creation by a super-admin, one-time staff links
that expire, registration with a partnership (chosen or pre-set by a link)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.clock import FixedClock
from bot.context import services_of
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Partnership, Staff
from tests.conftest import make_settings
from tests.helpers import answer_questions, load, make_partnership, register

ADMIN = FakeUser(id=5_000, first_name="Ada", language_code="en")
SARA = FakeUser(id=5_001, first_name="Sara", username="sara_staff", language_code="en")
LUKAS = FakeUser(id=5_003, first_name="Lukas", language_code="de")


@pytest.fixture
async def admin_bot(db_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    """A bot with a super-admin and a bot username for printed links."""
    settings = make_settings(db_url, admin_ids={ADMIN.id}, bot_username="cxbot_test_bot")
    driver = await BotDriver.start(settings, clock=clock)
    yield driver
    await driver.stop()
    assert driver.errors == [], "a handler raised"


def link_payload(text: str) -> str:
    """The ``start`` payload of the first t.me link in ``text``."""
    return text.split("https://t.me/cxbot_test_bot?start=", 1)[1].split()[0]


async def test_a_super_admin_creates_a_partnership_and_invites_staff(
    admin_bot: BotDriver, clock: FixedClock
) -> None:
    bot = admin_bot
    r = await bot.send(ADMIN, "/newpartnership")
    assert "What is its name?" in r.text
    r = await bot.send(ADMIN, "Textiles & Fashion Europe")
    assert "textiles-fashion-europe" in bot.buttons(ADMIN)
    r = await bot.send(ADMIN, "Bad slug!")
    assert "lowercase letters" in r.text
    await bot.press(ADMIN, "textiles-fashion-europe")
    r = await bot.send(ADMIN, "Cluster partnership for circular textiles.")
    assert "Choose 1 to 3" in r.text
    await bot.press(ADMIN, "Textiles")
    await bot.press(ADMIN, "Retail")
    r = await bot.press(ADMIN, "Done")
    assert "The partnership is created" in r.text
    assert "https://t.me/cxbot_test_bot?start=p_textiles-fashion-europe" in r.text
    async with services_of(bot.app).db.session() as session:
        [row] = (await session.execute(select(Partnership))).scalars().all()
    assert row.ecosystems == ["retail", "textiles"] and row.name == "Textiles & Fashion Europe"

    r = await bot.press(ADMIN, "Invite staff")
    payload = link_payload(r.text)
    assert payload.startswith("st_") and len(payload) > 12
    r = await bot.send(SARA, f"/start {payload}")
    assert "Welcome to the staff of" in r.text and "/pending" in r.text
    menu = [c["command"] for c in bot.transport.commands({"type": "chat", "chat_id": SARA.id})]
    assert "pending" in menu and "stats" in menu and "matches" in menu
    r = await bot.send(SARA, f"/start {payload}")
    assert "already accepted" in r.text
    # Used: nobody else gets in with it.
    r = await bot.send(LUKAS, f"/start {payload}")
    assert "nicht gültig" in r.text or "not valid" in r.text
    _lukas, _profile = await load(bot, LUKAS.id)
    assert _lukas is None  # a refused link stores nothing about its user
    # Expired: a fresh link, eight days later.
    r = await bot.press(ADMIN, "Invite staff")
    late = link_payload(r.text)
    clock.advance(timedelta(days=8))
    r = await bot.send(LUKAS, f"/start {late}")
    assert "abgelaufen" in r.text or "expired" in r.text
    async with services_of(bot.app).db.session() as session:
        staff = (await session.execute(select(Staff))).scalars().all()
    assert [s.user_id for s in staff] == [SARA.id]
    # Staff see their partnership and the commands meant for them.
    r = await bot.send(SARA, "/partnerships")
    assert "Textiles &amp; Fashion Europe" in r.text or "Textiles & Fashion Europe" in r.text
    assert "Invite staff" not in " ".join(bot.buttons(SARA))
    r = await bot.send(SARA, "/help")
    assert "/pending" in r.text and "/newpartnership" not in r.text
    r = await bot.send(SARA, "/start")
    assert "partnership staff" in r.text and "Register as a participant" in bot.buttons(SARA)
    r = await bot.press(SARA, "Register as a participant")
    assert "Do you agree?" in r.text


async def test_registration_asks_for_the_partnership_fitting_first(
    admin_bot: BotDriver, anna: FakeUser
) -> None:
    bot = admin_bot
    await make_partnership(bot, "agri", "Agri-Food Alliance", ecosystems=("agri-food",))
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await register(bot, anna, partnership=textiles, confirm=False)
    question = next(
        c.params
        for c in bot.transport.calls_to("sendMessage")
        if "European Cluster Partnership" in c.params.get("text", "")
    )
    labels = [row[0]["text"] for row in question["reply_markup"]["inline_keyboard"]]
    assert labels == ["⭐ Textiles EU", "Agri-Food Alliance"]  # ecosystems fit first
    assert "8/15" in question["text"]
    offers = next(
        c.params["text"]
        for c in bot.transport.calls_to("sendMessage")
        if "What does your organisation offer" in c.params.get("text", "")
    )
    assert "9/15" in offers  # the counter goes on after the choice
    summary = bot.transport.last_message(anna.id)
    assert summary is not None and "Textiles EU" in (summary.text or "")
    r = await bot.choose(anna, "summary", "ok")
    assert "Textiles EU</b> now validates your registration" in r.text
    assert "New registration for" in r.others[SARA.id][0].text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.review == "pending"


async def test_a_partnership_link_presets_the_partnership(
    admin_bot: BotDriver, jonas: FakeUser
) -> None:
    bot = admin_bot
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await make_partnership(bot, "agri", "Agri-Food Alliance", ecosystems=("agri-food",))
    await bot.send(jonas, "/start p_textiles-eu")
    r = await bot.choose(jonas, "consent", "yes")
    assert "Textiles EU" in r.text
    await answer_questions(bot, jonas)
    questions = " ".join(m.text or "" for m in bot.transport.messages(jonas.id))
    assert (
        "European Cluster Partnership" not in questions and "Cluster-Partnerschaft" not in questions
    )
    _user, profile = await load(bot, jonas.id)
    assert profile is not None and profile.partnership_id == textiles
    # An unknown link says so and registers normally.
    stranger = FakeUser(id=6_001, first_name="Eva", language_code="en")
    await bot.send(stranger, "/start p_nope")
    r = await bot.choose(stranger, "consent", "yes")
    assert "don't know the partnership" in r.text and "What is your role" in r.text
