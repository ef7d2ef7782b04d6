"""Ordinary input that people type, through the real Application: dates with month names in
either language and month buttons, both ends of the availability editable, country buttons in
the reader's alphabet, regions typed for countries, short technical terms, event dates."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.onboarding import callbacks as registration
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Event
from tests.e2e.test_bad_input import reach
from tests.helpers import load, make_partnership, register, state

STAFF = FakeUser(id=6_001, first_name="Sara", username="sara_staff", language_code="en")


def user_speaking(lang: str) -> FakeUser:
    return FakeUser(id=7_400_000_001, first_name="Eva", language_code=lang)


async def availability(bot: BotDriver, user: FakeUser) -> tuple[date | None, date | None]:
    _user, profile = await load(bot, user.id)
    assert profile is not None
    return profile.available_from, profile.available_to


# ------------------------------------------------------------------ dates as people type them


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize(
    "typed",
    [
        "1 March 2027",
        "1 Mar 2027",
        "1. März 2027",
        "1. MÄRZ 2027",
        "1. Maerz 2027",
        "1.März 2027",
        "March 1, 2027",
        "März 2027",
        "march 2027",
        "Marz 2027",
    ],
)
async def test_the_start_is_read_in_either_language(bot: BotDriver, lang: str, typed: str) -> None:
    user = user_speaking(lang)
    await reach(bot, user, "available_from")
    r = await bot.send(user, typed)
    assert await state(bot, user.id) == "available_to", r.text
    assert ("1 Mar 2027" if lang == "en" else "01.03.2027") in r.text  # the start, understood


@pytest.mark.parametrize(
    ("typed", "end"),
    [
        ("30 June 2027", date(2027, 6, 30)),
        ("30. Juni 2027", date(2027, 6, 30)),
        ("June 2027", date(2027, 6, 30)),  # a month for the end: its last day
        ("Februar 2028", date(2028, 2, 29)),
    ],
)
async def test_the_end_is_read_and_a_month_means_its_last_day(
    bot: BotDriver, jonas: FakeUser, typed: str, end: date
) -> None:
    await reach(bot, jonas, "available_from")
    await bot.send(jonas, "Februar 2027")
    await bot.send(jonas, typed)
    assert await state(bot, jonas.id) == "motivation"
    assert await availability(bot, jonas) == (date(2027, 2, 1), end)


async def test_the_question_shows_the_readers_example_first_and_months_to_press(
    bot: BotDriver, anna: FakeUser, jonas: FakeUser
) -> None:
    await reach(bot, anna, "available_from")
    text = bot.transport.last_message(anna.id).text or ""
    assert "for example 1 December 2026 or 1.12.2026" in text  # today is 21 Nov 2026
    assert bot.buttons(anna) == [
        "December 2026", "January 2027", "February 2027", "March 2027", "April 2027", "May 2027",
    ]  # fmt: skip
    await reach(bot, jonas, "available_from")
    text = bot.transport.last_message(jonas.id).text or ""
    assert "z. B. 1.12.2026 oder 1 December 2026" in text
    user, _profile = await load(bot, jonas.id)
    assert user is not None
    for forged in ("2027-13", "27-03", "2027-3", "keep", "२०२७-03"):  # nothing to keep yet
        r = await bot.press_data(jonas, registration.step(user.state_version, user.state, forged))
        assert r.toasts and await state(bot, jonas.id) == "available_from", forged
    assert bot.buttons(jonas)[:3] == ["Dezember 2026", "Januar 2027", "Februar 2027"]
    # The start question's months mean their first day, the end question's their last.
    r = await bot.press(jonas, "März 2027")
    assert "✅ 01.03.2027" in r.edited[0].text
    assert bot.buttons(jonas)[:2] == ["März 2027", "April 2027"]
    r = await bot.press(jonas, "Juni 2027")
    assert "✅ 30.06.2027" in r.edited[0].text
    assert await state(bot, jonas.id) == "motivation"
    assert await availability(bot, jonas) == (date(2027, 3, 1), date(2027, 6, 30))


async def test_an_end_month_that_would_be_too_short_is_not_offered(
    bot: BotDriver, anna: FakeUser
) -> None:
    await reach(bot, anna, "available_from")
    await bot.send(anna, "29 March 2027")  # a Monday: Mon to Wed 31 March is long enough
    assert bot.buttons(anna)[0] == "March 2027"
    other = FakeUser(id=4242, language_code="en")
    await reach(bot, other, "available_from")
    await bot.send(other, "30 March 2027")  # a Tuesday: March leaves 2 working days
    assert bot.buttons(other)[0] == "April 2027"
    r = await bot.send(other, "March 2027")  # typed anyway: the usual explanation
    assert "at least 3 working days" in r.text
    assert await state(bot, other.id) == "available_to"


# ------------------------------------------------------------------ both ends of the availability


async def test_both_ends_of_the_availability_can_be_changed_from_the_profile(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)  # available 1 Mar – 30 Jun 2027
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    r = await bot.press(anna, "Availability")
    assert "From which date" in r.text
    assert bot.buttons(anna)[0] == "Keep 1 Mar 2027"
    r = await bot.press(anna, "Keep 1 Mar 2027")
    assert "Until which date" in r.text and bot.buttons(anna)[0] == "Keep 30 Jun 2027"
    r = await bot.send(anna, "31 August 2027")  # only the end changes
    assert "Saved." in r.text and "1 Mar – 31 Aug 2027" in r.text
    assert await availability(bot, anna) == (date(2027, 3, 1), date(2027, 8, 31))
    assert await state(bot, anna.id) == "idle"

    # Only the start changes; the end is kept.
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    await bot.press(anna, "Availability")
    await bot.press(anna, "April 2027")
    r = await bot.press(anna, "Keep 31 Aug 2027")
    assert "1 Apr – 31 Aug 2027" in r.text
    assert await availability(bot, anna) == (date(2027, 4, 1), date(2027, 8, 31))


async def test_an_edited_availability_has_the_checks_of_the_registration(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)  # 1 Mar – 30 Jun 2027
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    await bot.press(anna, "Availability")
    r = await bot.send(anna, "1.1.2026")
    assert "not in the future" in r.text
    r = await bot.send(anna, "1.7.2027")  # after the stored end: keeping it is not offered
    assert "Until which date" in r.text
    assert not any(label.startswith("Keep") for label in bot.buttons(anna))
    r = await bot.send(anna, "30.6.2027")
    assert "must be after the start date (1 Jul 2027)" in r.text
    # Leaving in the middle keeps the stored availability as it was.
    r = await bot.send(anna, "/cancel")
    assert "Editing cancelled" in r.text
    assert await availability(bot, anna) == (date(2027, 3, 1), date(2027, 6, 30))


async def test_both_ends_can_be_changed_from_the_summary_in_german(
    bot: BotDriver, jonas: FakeUser
) -> None:
    await register(bot, jonas, confirm=False)
    await bot.choose(jonas, "summary", "edit")
    await bot.choose(jonas, "edit_menu", "availability")
    assert bot.buttons(jonas)[0] == "01.03.2027 behalten"
    await bot.press(jonas, "April 2027")
    assert bot.buttons(jonas)[0] == "30.06.2027 behalten"
    r = await bot.press(jonas, "September 2027")
    assert "01.04. – 30.09.2027" in r.text and await state(bot, jonas.id) == "summary"
    await bot.choose(jonas, "summary", "ok")
    assert await availability(bot, jonas) == (date(2027, 4, 1), date(2027, 9, 30))


# ------------------------------------------------------------------ names in the reader's order


async def test_country_buttons_follow_the_readers_alphabet(
    bot: BotDriver, anna: FakeUser, jonas: FakeUser
) -> None:
    await reach(bot, jonas, "country")
    german = bot.buttons(jonas)
    assert german.index("Österreich") == german.index("Nordmazedonien") + 1
    assert german.index("Dänemark") == german.index("Deutschland") - 1
    assert german.index("Türkei") == german.index("Tschechien") + 1
    assert german[-1] == "Zypern" and len(german) == 38
    await reach(bot, anna, "country")
    english = bot.buttons(anna)
    assert english[:4] == ["Albania", "Armenia", "Austria", "Belgium"]
    assert english.index("Türkiye") == english.index("Sweden") + 1
    assert english[-1] == "Ukraine"


async def test_event_signup_countries_follow_the_readers_alphabet(bot: BotDriver) -> None:
    from tests.helpers import make_event

    pid = await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    code = await make_event(bot, pid)
    bruno = FakeUser(id=6_102, first_name="Bruno", language_code="de-AT")
    r = await bot.send(bruno, f"/start ev_{code}")
    await bot.press_data(bruno, r.last.buttons()[0][0][1], r.last.message_id)
    await bot.send(bruno, "Bruno Keller, Faserwerk Linz")
    german = bot.buttons(bruno)
    assert german.index("Österreich") == german.index("Nordmazedonien") + 1


# ------------------------------------------------------------------ regions and short answers


@pytest.mark.parametrize(
    ("lang", "typed", "said", "code"),
    [
        ("en", "Bavaria", "Bavaria is in Germany.", "DE"),
        ("de", "Bayern", "Verstanden: Bayern (Deutschland).", "DE"),
        ("de", "bavaria", "Verstanden: Bayern (Deutschland).", "DE"),
        ("en", "Nordrhein-Westfalen", "North Rhine-Westphalia is in Germany.", "DE"),
        ("de", "Tirol", "Verstanden: Tirol (Österreich).", "AT"),
        ("en", "Catalunya", "Catalonia is in Spain.", "ES"),
        ("de", "Andalucia", "Verstanden: Andalusien (Spanien).", "ES"),
        ("en", "Lombardia", "Lombardy is in Italy.", "IT"),
        ("de", "Südtirol", "Verstanden: Südtirol (Italien).", "IT"),
        ("en", "Vlaanderen", "Flanders is in Belgium.", "BE"),
        ("en", "Bavria", "Bavaria is in Germany.", "DE"),  # a typo
    ],
)
async def test_a_region_typed_for_the_country_means_its_country(
    bot: BotDriver, lang: str, typed: str, said: str, code: str
) -> None:
    user = user_speaking(lang)
    await reach(bot, user, "country")
    r = await bot.send(user, typed)
    assert said in r.text
    assert await state(bot, user.id) == "city"
    _user, profile = await load(bot, user.id)
    assert profile is not None and profile.country == code


async def test_a_region_at_the_event_door(bot: BotDriver) -> None:
    from tests.helpers import make_event

    pid = await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    code = await make_event(bot, pid)
    bruno = FakeUser(id=6_102, first_name="Bruno", language_code="de-AT")
    r = await bot.send(bruno, f"/start ev_{code}")
    await bot.press_data(bruno, r.last.buttons()[0][0][1], r.last.message_id)
    await bot.send(bruno, "Bruno Keller, Faserwerk Linz")
    r = await bot.send(bruno, "Oberösterreich")
    assert "Verstanden: Oberösterreich (Österreich)." in r.text
    _user, profile = await load(bot, bruno.id)
    assert profile is not None and profile.country == "AT"


@pytest.mark.parametrize("offer", ["3D", "AI", "5G", "ki", "H2"])
async def test_short_technical_terms_are_offers(bot: BotDriver, anna: FakeUser, offer: str) -> None:
    await reach(bot, anna, "offers")
    await bot.send(anna, offer)
    assert await state(bot, anna.id) == "seeks"
    _user, profile = await load(bot, anna.id)
    assert profile is not None and profile.offers == offer


@pytest.mark.parametrize(
    ("lang", "said"),
    [("en", "at least a word or two"), ("de", "mindestens ein oder zwei Worte")],
)
async def test_a_refused_answer_says_what_is_needed(bot: BotDriver, lang: str, said: str) -> None:
    user = user_speaking(lang)
    await reach(bot, user, "offers")
    for typed in ("!!", "12 34", "x"):
        r = await bot.send(user, typed)
        assert said in r.text, typed
        assert await state(bot, user.id) == "offers"


# ------------------------------------------------------------------ event dates


@pytest.mark.parametrize(
    ("typed", "days"),
    [
        ("12 May 2027", (date(2027, 5, 12), date(2027, 5, 12))),
        ("12. Mai 2027", (date(2027, 5, 12), date(2027, 5, 12))),
        ("12–13 May 2027", (date(2027, 5, 12), date(2027, 5, 13))),
        ("12. bis 13. Mai 2027", (date(2027, 5, 12), date(2027, 5, 13))),
        ("12.–13.5.2027", (date(2027, 5, 12), date(2027, 5, 13))),
    ],
)
async def test_event_dates_as_people_type_them(
    bot: BotDriver, typed: str, days: tuple[date, date]
) -> None:
    from sqlalchemy import select

    from bot.context import services_of

    await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    await bot.send(STAFF, "/newevent")
    question = await bot.send(STAFF, "Brokerage Day Circular Textiles")
    r = await bot.send(STAFF, typed)
    assert "In which city" in r.text, r.text
    assert "12 May 2027" in question.text and "12.5.2027" in question.text  # both ways
    for answer in ("Augsburg", "A day for circular textiles", "Stand B12", "09:00-17:00 20"):
        await bot.send(STAFF, answer)
    async with services_of(bot.app).db.session() as session:
        [event] = (await session.execute(select(Event))).scalars().all()
    assert (event.starts_on, event.ends_on) == days
