"""Every registration step rejects bad input with a clear message, asks again, and loses nothing."""

from __future__ import annotations

import pytest

from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.helpers import load, register, state


async def reach(bot: BotDriver, user: FakeUser, step: str) -> None:
    """Register up to (not including) ``step``."""
    plan = [
        ("cmd", "/start"),
        ("btn", "consent", "yes"),
        ("btn", "role", "visitor"),
        ("btn", "org_type", "cluster"),
        ("txt", "name", "Marta Nowak"),
        ("txt", "organisation", "Silesian Textile Cluster"),
        ("btn", "country", "PL"),
        ("txt", "city", "Łódź"),
        ("btn", "ecosystems", "12"),
        ("btn", "ecosystems", "done"),
        ("txt", "offers", "Recycling know-how"),
        ("txt", "seeks", "Smart textiles partners"),
        ("btn", "languages", "pl"),
        ("btn", "languages", "done"),
        ("txt", "available_from", "2027-02-01"),
        ("txt", "available_to", "2027-05-31"),
        ("txt", "motivation", "To start a joint project."),
    ]
    for item in plan:
        current = await state(bot, user.id)
        if current == step:
            return
        if item[0] == "cmd":
            await bot.send(user, item[1])
        elif item[0] == "btn":
            await bot.choose(user, item[1], item[2])
        else:
            await bot.send(user, item[2])
    assert await state(bot, user.id) == step


TEXT_STEPS = ["name", "organisation", "city", "offers", "seeks", "motivation"]


@pytest.mark.parametrize("step", [*TEXT_STEPS, "available_from", "available_to", "email"])
@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document", "location"])
async def test_non_text_is_refused_at_text_steps(
    bot: BotDriver, anna: FakeUser, step: str, kind: str
) -> None:
    await reach(bot, anna, step)
    r = await bot.process(anna, getattr(bot.updates, kind)(anna))
    assert "I can only read text here" in r.text
    assert await state(bot, anna.id) == step


@pytest.mark.parametrize("step", TEXT_STEPS)
@pytest.mark.parametrize("value", ["   ", "\u200b\u200b", "\n\t\n"])
async def test_empty_text_is_refused(bot: BotDriver, anna: FakeUser, step: str, value: str) -> None:
    await reach(bot, anna, step)
    r = await bot.send(anna, value)
    assert "An empty message can't be saved" in r.text
    assert await state(bot, anna.id) == step


@pytest.mark.parametrize(
    ("step", "limit"),
    [("name", 80), ("organisation", 120), ("offers", 1000), ("seeks", 1000), ("motivation", 1500)],
)
async def test_too_long_text_is_refused_and_says_the_limit(
    bot: BotDriver, anna: FakeUser, step: str, limit: int
) -> None:
    await reach(bot, anna, step)
    r = await bot.send(anna, "a" * (limit + 1))
    assert f"{limit + 1} characters, the limit is {limit}" in r.text
    assert await state(bot, anna.id) == step
    r = await bot.send(anna, "b" * limit)  # exactly at the limit is fine
    assert await state(bot, anna.id) != step


async def test_symbols_only_name_is_refused(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "name")
    r = await bot.send(anna, "12345 !!!")
    assert "not only numbers or symbols" in r.text


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("yesterday", "couldn't read that date"),
        ("31.2.2027", "date does not exist"),
        ("2026-11-20", "not in the future"),
        ("21.11.2026", "not in the future"),
        ("2028-06-01", "more than 18 months ahead"),
    ],
)
async def test_bad_start_dates(bot: BotDriver, anna: FakeUser, typed: str, message: str) -> None:
    await reach(bot, anna, "available_from")
    r = await bot.send(anna, typed)
    assert message in r.text
    assert await state(bot, anna.id) == "available_from"


async def test_end_before_start_and_too_short_window(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "available_to")
    r = await bot.send(anna, "2027-01-15")
    assert "must be after the start date (1 Feb 2027)" in r.text
    r = await bot.send(anna, "2.2.2027")  # Mon 1 Feb – Tue 2 Feb: two working days
    assert "at least 3 working days" in r.text
    assert await state(bot, anna.id) == "available_to"
    await bot.send(anna, "3.2.27")
    assert await state(bot, anna.id) == "motivation"


async def test_ineligible_country_lists_the_eligible_ones(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "country")
    r = await bot.send(anna, "United States")
    assert "United States cannot take part" in r.text
    assert "Germany" in r.text and "Kosovo" in r.text and "Türkiye" in r.text
    r = await bot.send(anna, "Narnia")
    assert "I don't know the country “Narnia”" in r.text
    assert await state(bot, anna.id) == "country"
    r = await bot.send(anna, "Germnay")
    assert await state(bot, anna.id) == "city"


async def test_unknown_city_did_you_mean_and_keep_as_typed(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "city")  # Poland
    r = await bot.send(anna, "Krakw")
    assert "Did you mean" in r.text
    assert "Kraków" in " ".join(bot.buttons(anna))
    r = await bot.press(anna, "Kraków")
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.city == "Kraków" and profile.latitude is not None
    # A small town that is not in the list can be kept as typed.
    await bot.choose(anna, "ecosystems", "0")
    await bot.choose(anna, "ecosystems", "done")
    anna2 = FakeUser(id=999, language_code="en")
    await reach(bot, anna2, "city")
    r = await bot.send(anna2, "Zzyzxwola Mała")
    assert "could not find" in r.text
    await bot.press(anna2, "Keep")
    _user, profile = await load(bot, anna2.id)
    assert profile is not None and profile.city == "Zzyzxwola Mała" and profile.latitude is None


async def test_ecosystem_toggle_limits(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "ecosystems")
    r = await bot.choose(anna, "ecosystems", "done")
    assert r.toasts == ["Please choose at least one ecosystem."]
    for i in ("0", "1", "2"):
        await bot.choose(anna, "ecosystems", i)
    r = await bot.choose(anna, "ecosystems", "3")
    assert r.toasts == ["You can choose at most 3 ecosystems. Remove one first."]
    await bot.choose(anna, "ecosystems", "1")  # untoggle
    await bot.choose(anna, "ecosystems", "done")
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.ecosystems == ["aerospace-defence", "construction"]


async def test_text_where_buttons_are_expected(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "role")
    r = await bot.send(anna, "I am a visitor")
    assert "Please use the buttons below" in r.text
    assert "Visitor: we want to visit a host abroad" in bot.buttons(anna)


async def test_stale_and_repeated_buttons(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "role")
    message, data = bot.find_button(anna, "Visitor")
    await bot.press(anna, "Visitor")
    # The same button pressed again (a double tap): noted, nothing changes.
    r = await bot.press_data(anna, data, message.message_id)
    assert r.toasts == ["Already noted."] and not r.sent
    # An older button (the "Host" one of the answered question) is stale.
    stale = data.replace(":visitor", ":host")
    r = await bot.press_data(anna, stale, message.message_id)
    assert "belongs to an earlier question" in r.text
    assert "What kind of organisation" in r.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.role == "visitor"


@pytest.mark.parametrize(
    "data", ["r:", "r:x:role:visitor", "r:1:role", "r:99999999999:role:host", "zzz", "del", ""]
)
async def test_forged_callback_data_changes_nothing(
    bot: BotDriver, anna: FakeUser, data: str
) -> None:
    await reach(bot, anna, "org_type")
    r = await bot.press_data(anna, data)
    assert r.toasts or r.sent  # the user always gets an answer
    assert await state(bot, anna.id) == "org_type"


async def test_cancel_then_start_resumes(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "offers")
    r = await bot.send(anna, "/cancel")
    assert "Registration paused" in r.text
    r = await bot.send(anna, "/start")
    assert "continue where you stopped" in r.text and "offer a partner" in r.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.name == "Marta Nowak"


async def test_invalid_email_then_skip(bot: BotDriver, anna: FakeUser) -> None:
    await reach(bot, anna, "email")
    r = await bot.send(anna, "anna at example")
    assert "is not a valid e-mail address" in r.text
    r = await bot.send(anna, "anna@@example.org")
    assert "is not a valid e-mail address" in r.text
    r = await bot.press(anna, "Skip")
    assert "Your profile" in r.text


async def test_unknown_command_and_chatter(bot: BotDriver, anna: FakeUser) -> None:
    r = await bot.send(anna, "/frobnicate")
    assert "I don't know that command" in r.text
    r = await bot.send(anna, "hello?")
    assert "Send /start to begin" in r.text


PREFIXES = ("m", "x", "r", "q", "en", "ev", "es", "sv", "pn", "lang", "del", "prof")
MALFORMED = (
    "{p}:",
    "{p}:i:²",  # a superscript two passes isdigit() but is no id
    "{p}:i:١٢",  # Arabic-Indic digits
    "{p}:i:-1",
    "{p}:h:1:yes:extra",
    "{p}:::",
    "{p}:i:99999999999999999999999",
    "{p}:" + "9" * 70,  # longer than Telegram's 64 bytes
    "{p}:1:q_country:" + "Ä" * 40,
)


@pytest.mark.parametrize("prefix", PREFIXES)
async def test_malformed_and_oversized_button_data_gets_the_stale_answer(
    bot: BotDriver, anna: FakeUser, prefix: str
) -> None:
    await register(bot, anna)
    before = await load(bot, anna.id)
    for pattern in MALFORMED:
        r = await bot.press_data(anna, pattern.format(p=prefix))
        assert r.toasts == ["This button is not valid any more."], (pattern, r.toasts)
        assert r.sent == [] and r.others == {}
    after = await load(bot, anna.id)
    assert after[0].state == before[0].state and after[0].state_version == before[0].state_version
    assert bot.errors == []
