"""Registration end to end through the real Application, in English and German."""

from __future__ import annotations

from datetime import date

from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.conftest import make_settings
from tests.helpers import ANSWERS, load, register, state


async def test_full_registration_in_english(any_db_bot: BotDriver, anna: FakeUser) -> None:
    bot = any_db_bot
    r = await bot.send(anna, "/start")
    assert "Welcome to ClusterXchange" in r.text
    assert "Privacy" in r.text
    assert bot.buttons(anna) == ["I agree", "No, thanks"]

    r = await bot.press(anna, "I agree")
    assert "What is your role" in r.text
    r = await bot.press(anna, "Visitor")
    assert r.edited and "✅ Visitor" in r.edited[0].text  # the answer is recorded in place
    assert "What kind of organisation" in r.text
    assert "Large company" not in bot.buttons(anna)  # visitors cannot be large companies
    r = await bot.press(anna, "SME or start-up")
    assert "What is your name" in r.text
    r = await bot.send(anna, "Anna Schmidt")
    assert "name of your organisation" in r.text
    r = await bot.send(anna, "Textilwerk Augsburg GmbH")
    assert "In which country" in r.text and "Germany" in bot.buttons(anna)
    r = await bot.send(anna, "germany")  # typed, resolved
    assert "In which city or town in Germany" in r.text
    r = await bot.send(anna, "Muenchen")
    assert r.text.startswith("📍 München, Germany")
    assert "industrial ecosystems" in r.text
    await bot.press(anna, "Digital")
    r = await bot.press(anna, "Textiles")
    assert "✅ Digital" in bot.buttons(anna) and "✅ Textiles" in bot.buttons(anna)
    r = await bot.press(anna, "Done")
    assert "offer a partner" in r.text
    r = await bot.send(anna, ANSWERS["offers"])
    assert "looking for" in r.text
    r = await bot.send(anna, ANSWERS["seeks"])
    assert "languages" in r.text
    await bot.press(anna, "German", exact=True)
    await bot.press(anna, "English", exact=True)
    r = await bot.press(anna, "Done")
    assert "From which date" in r.text
    r = await bot.send(anna, "2027-03-01")
    assert "Until which date" in r.text and "1 Mar 2027" in r.text
    r = await bot.send(anna, "30.6.2027")
    assert "Why do you want" in r.text
    r = await bot.send(anna, ANSWERS["motivation"])
    assert "e-mail" in r.text and "Skip" in bot.buttons(anna)
    r = await bot.send(anna, "Anna@Example.org")
    summary = r.text
    for expected in (
        "Your profile",
        "Visitor",
        "SME or start-up",
        "Anna Schmidt",
        "Textilwerk Augsburg GmbH",
        "Germany",
        "München",
        "Digital and Textiles",
        "German and English",  # in the order chosen
        "1 Mar – 30 Jun 2027",
        "Anna@example.org",
    ):
        assert expected in summary, expected
    r = await bot.press(anna, "Confirm")
    assert "Your profile is complete" in r.text

    user, profile = await load(bot, anna.id)
    assert user is not None and profile is not None
    assert user.state == "idle" and user.consent == "given" and user.username == "anna_sme"
    assert profile.completed_at is not None
    assert (profile.role, profile.org_type, profile.country) == ("visitor", "sme", "DE")
    assert profile.city == "München" and profile.city_geoname_id is not None
    assert abs(profile.latitude - 48.14) < 0.1
    assert profile.ecosystems == ["digital", "textiles"]
    assert profile.languages == ["de", "en"]  # in the order chosen (German pressed first)
    assert (profile.available_from, profile.available_to) == (date(2027, 3, 1), date(2027, 6, 30))
    assert profile.email == "Anna@example.org"


async def test_full_registration_in_german(bot: BotDriver, jonas: FakeUser) -> None:
    r = await bot.send(jonas, "/start")
    assert "Willkommen bei ClusterXchange" in r.text
    assert "Einverstanden" in bot.buttons(jonas)
    r = await bot.press(jonas, "Einverstanden")
    assert "Rolle" in r.text
    r = await bot.press(jonas, "Gastgeber")
    assert "Großunternehmen" in bot.buttons(jonas)  # hosts may be large companies
    r = await bot.press(jonas, "Clusterorganisation")
    await bot.send(jonas, "Jonas Gruber")
    r = await bot.send(jonas, "Mechatronik-Cluster Oberösterreich")
    assert "Österreich" in bot.buttons(jonas)
    r = await bot.send(jonas, "Österreich")
    assert "Österreich" in r.text
    r = await bot.send(jonas, "Linz")
    assert "Ökosystem" in r.text
    assert "Agrar- und Lebensmittelwirtschaft" in bot.buttons(jonas)
    await bot.press(jonas, "Elektronik")
    await bot.press(jonas, "Mobilität")
    r = await bot.press(jonas, "Fertig")
    await bot.send(jonas, "Prüfstände, Reinraum, Kontakte zu Zulieferern")
    r = await bot.send(jonas, "Partner für Wasserstoff-Antriebe")
    assert "Deutsch" in bot.buttons(jonas)
    await bot.press(jonas, "Deutsch", exact=True)
    r = await bot.press(jonas, "Fertig")
    r = await bot.send(jonas, "1.4.2027")
    assert "01.04.2027" in r.text
    await bot.send(jonas, "2027-09-30")
    r = await bot.send(jonas, "Wir wollen Partner für ein gemeinsames Projekt finden.")
    r = await bot.press(jonas, "Überspringen")
    assert "Ihr Profil" in r.text and "Linz, Österreich" not in r.text
    for expected in ("Gastgeber", "Clusterorganisation", "Österreich", "Linz", "Elektronik"):
        assert expected in r.text, expected
    r = await bot.press(jonas, "Bestätigen")
    assert "Profil ist vollständig" in r.text
    _user, profile = await load(bot, jonas.id)
    assert profile is not None and profile.country == "AT" and profile.email is None
    assert profile.ecosystems == ["electronics", "mobility-transport-automotive"]


async def test_restart_in_the_middle_continues_at_the_same_step(
    sqlite_url: str, clock, anna: FakeUser
) -> None:
    settings = make_settings(sqlite_url)
    first = await BotDriver.start(settings, clock=clock)
    await first.send(anna, "/start")
    await first.choose(anna, "consent", "yes")
    await first.choose(anna, "role", "host")
    await first.choose(anna, "org_type", "large")
    await first.send(anna, "Anna Schmidt")
    await first.stop()  # the process dies here

    second = await BotDriver.start(settings, clock=clock)
    r = await second.send(anna, "Siemens Mobility")  # answers the question asked before
    assert "In which country" in r.text
    r = await second.send(anna, "/start")
    assert "continue where you stopped" in r.text and "In which country" in r.text
    await second.send(anna, "AT")
    _user, profile = await load(second, anna.id)
    assert profile is not None
    assert (
        profile.role,
        profile.org_type,
        profile.name,
        profile.organisation,
        profile.country,
    ) == (
        "host",
        "large",
        "Anna Schmidt",
        "Siemens Mobility",
        "AT",
    )
    assert await state(second, anna.id) == "city"
    await second.stop()


async def test_german_is_picked_from_telegram_language(bot: BotDriver) -> None:
    for code in ("de", "de-AT", "de-CH", "de_DE"):
        user = FakeUser(id=hash(code) % 10_000 + 1000, language_code=code)
        r = await bot.send(user, "/start")
        assert "Willkommen" in r.text, code
    for code in ("fr", None, "en-US"):
        user = FakeUser(id=hash(str(code)) % 10_000 + 20_000, language_code=code)
        r = await bot.send(user, "/start")
        assert "Welcome" in r.text, code


async def test_deep_link_payload_is_kept(bot: BotDriver, anna: FakeUser) -> None:
    await bot.send(anna, "/start p_textiles")
    await bot.choose(anna, "consent", "yes")
    user, _ = await load(bot, anna.id)
    assert user is not None and user.start_payload == "p_textiles"


async def test_registered_user_gets_welcome_back(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    r = await bot.send(anna, "/start")
    assert "Welcome back, Anna Schmidt" in r.text
    assert await state(bot, anna.id) == "idle"


async def test_decline_stores_only_the_refusal(bot: BotDriver, anna: FakeUser) -> None:
    await bot.send(anna, "/start ref_fair")
    r = await bot.press(anna, "No, thanks")
    assert r.texts == [
        "Understood. I have stored nothing about you except this refusal. If you change "
        "your mind, send /start."
    ]
    user, profile = await load(bot, anna.id)
    assert profile is None
    assert user is not None and user.consent == "declined"
    assert user.username is None and user.start_payload is None and user.language is None
    assert user.state_data == {}
    # They can change their mind.
    r = await bot.send(anna, "/start")
    assert "Do you agree?" in r.text
    r = await bot.press(anna, "I agree")
    assert "What is your role" in r.text
