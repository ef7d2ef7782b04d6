"""/profile edits, /language, /pause, /resume, /help, /privacy, /mydata, /deleteme."""

from __future__ import annotations

import json

from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.helpers import all_rows, load, register, state


async def test_profile_shows_and_edits_a_single_field(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    r = await bot.send(anna, "/profile")
    assert "Textilwerk Augsburg GmbH" in r.text and "Augsburg" in r.text
    r = await bot.press(anna, "Edit my profile")
    assert "Which field do you want to change?" in r.text
    r = await bot.press(anna, "Organisation", exact=True)
    assert "name of your organisation" in r.text
    assert "1/14" not in r.text  # no progress counter when editing
    r = await bot.send(anna, "Textilwerk Augsburg AG")
    assert "Saved." in r.text and "Textilwerk Augsburg AG" in r.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.organisation == "Textilwerk Augsburg AG"
    assert profile.name == "Anna Schmidt"  # nothing else changed
    assert await state(bot, anna.id) == "idle"


async def test_editing_the_country_asks_for_the_city_again(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    await bot.press(anna, "Country", exact=True)
    r = await bot.send(anna, "Portugal")
    assert "city or town in Portugal" in r.text
    r = await bot.send(anna, "Porto")
    assert "Saved." in r.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and (profile.country, profile.city) == ("PT", "Porto")


async def test_editing_availability_and_cancel(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    await bot.press(anna, "Availability")
    r = await bot.send(anna, "1.7.2027")  # after the stored end: the end is asked again
    assert "Until which date" in r.text
    r = await bot.send(anna, "/cancel")
    assert "Editing cancelled" in r.text
    assert await state(bot, anna.id) == "idle"


async def test_edit_from_the_summary_returns_to_it(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna, confirm=False, org_type="cluster")
    r = await bot.press(anna, "Edit")
    assert "Which field do you want to change?" in r.text
    r = await bot.press(anna, "Role", exact=True)
    r = await bot.press(anna, "Host: we want to receive a visitor")
    assert "Is everything correct?" in r.text and "<b>Role:</b> Host" in r.text
    r = await bot.press(anna, "Confirm")
    assert "Your profile is complete" in r.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.role == "host" and profile.org_type == "cluster"


async def test_visitor_role_with_a_host_only_type_asks_the_type_again(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna, role="host", org_type="large")
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    await bot.press(anna, "Role", exact=True)
    r = await bot.press(anna, "Visitor: we want")
    assert "hosts only" in r.text and "Large company" not in bot.buttons(anna)
    r = await bot.press(anna, "SME or start-up")
    assert "Saved." in r.text
    _user, profile = await load(bot, anna.id)
    assert profile is not None and (profile.role, profile.org_type) == ("visitor", "sme")


async def test_profile_and_pause_need_a_complete_registration(bot: BotDriver) -> None:
    marco = FakeUser(id=333, language_code="it")
    await bot.send(marco, "/start")
    await bot.choose(marco, "consent", "yes")
    r = await bot.send(marco, "/profile")
    assert "not completed your registration" in r.text
    r = await bot.send(marco, "/pause")
    assert "complete your registration first" in r.text


async def test_language_switch(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    r = await bot.send(anna, "/language")
    assert bot.buttons(anna) == ["English", "Deutsch"]
    r = await bot.press(anna, "Deutsch")
    assert "Deutsch" in r.edited[0].text
    menu = bot.transport.calls_to("setMyCommands")[-1].params
    assert menu["scope"] == {"type": "chat", "chat_id": anna.id}
    assert any("Profil" in c["description"] for c in menu["commands"])
    r = await bot.send(anna, "/profile")
    assert "Ihr Profil" in r.text and "Deutschland" in r.text
    user, _ = await load(bot, anna.id)
    assert user is not None and user.language == "de"
    await bot.send(anna, "/language")
    await bot.press(anna, "English")
    r = await bot.send(anna, "/help")
    assert "Here is what I can do" in r.text


async def test_command_menus_are_set_per_language(bot: BotDriver) -> None:
    calls = bot.transport.calls_to("setMyCommands")
    by_lang = {c.params.get("language_code"): c.params["commands"] for c in calls}
    assert {None, "en", "de"} <= set(by_lang)
    assert by_lang["de"][0]["command"] == "start"
    assert by_lang["de"][1]["description"] != by_lang["en"][1]["description"]


async def test_pause_and_resume(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    r = await bot.send(anna, "/pause")
    assert "Paused" in r.text
    user, _ = await load(bot, anna.id)
    assert user is not None and user.paused
    r = await bot.send(anna, "/pause")
    assert "already paused" in r.text
    r = await bot.send(anna, "/resume")
    assert "take part in matching again" in r.text
    user, _ = await load(bot, anna.id)
    assert user is not None and not user.paused


async def test_help_before_and_after_registration(bot: BotDriver, anna: FakeUser) -> None:
    r = await bot.send(anna, "/help")
    assert "/start" in r.text and "/deleteme" in r.text
    await register(bot, anna)
    r = await bot.send(anna, "/help")
    assert "/start:" not in r.text and "/profile" in r.text


async def test_privacy_explains_what_and_why(bot: BotDriver, jonas: FakeUser) -> None:
    r = await bot.send(jonas, "/privacy")
    assert "DSGVO" in r.text and "/deleteme" in r.text


async def test_mydata_sends_everything_as_json(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    r = await bot.send(anna, "/mydata")
    doc = r.last.document
    assert doc is not None and doc.filename == "cxbot-my-data.json"
    data = json.loads(doc.content)
    assert data["user"]["id"] == anna.id and data["user"]["consent"] == "given"
    assert data["profile"]["organisation"] == "Textilwerk Augsburg GmbH"
    assert data["profile"]["email"] == "anna@example.org"
    assert data["profile"]["ecosystems"] == ["digital", "textiles"]


async def test_deleteme_erases_every_row(any_db_bot: BotDriver, anna: FakeUser, jonas) -> None:
    bot = any_db_bot
    await register(bot, anna)
    await register(bot, jonas, name="Jonas Gruber", email="jonas@example.at")
    r = await bot.send(anna, "/deleteme")
    assert "cannot be undone" in r.text
    r = await bot.press(anna, "No, keep my data")
    assert "Nothing was deleted" in r.edited[0].text
    assert (await load(bot, anna.id))[0] is not None
    await bot.send(anna, "/deleteme")
    r = await bot.press(anna, "Yes, erase everything")
    assert "All your data has been erased" in r.edited[0].text

    rows = await all_rows(bot)
    flat = repr(rows)
    for needle in (str(anna.id), "Anna Schmidt", "anna@example.org", "anna_sme"):
        assert needle not in flat, needle
    assert "Jonas Gruber" in flat  # others are untouched
    r = await bot.send(anna, "/mydata")
    assert "I have no data about you" in r.text
    r = await bot.send(anna, "/start")
    assert "Welcome to ClusterXchange" in r.text
