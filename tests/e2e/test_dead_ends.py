"""No dead ends: every answer leads somewhere true. Each test follows a path a new user or a
staff member took, where the bot's answer pointed nowhere or contradicted itself."""

from __future__ import annotations

from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.e2e.test_matching import RITA, RITA_ANSWERS
from tests.helpers import make_event, make_partnership, make_settings, register

STAFF = FakeUser(id=6_501, first_name="Sara", username="sara_staff", language_code="en")
ADMIN = FakeUser(id=6_500, first_name="Ada", language_code="de")


async def test_next_on_a_proposal_that_closed_meanwhile_says_why_not_see_them_again(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)  # Anna gets Rita's card
    await bot.send(RITA, "/matches")
    await bot.press(RITA, "Not for me")  # the pair is closed while Anna's card is open
    r = await bot.press(anna, "Next")
    assert "see them again" not in r.text and "not answered yet" not in r.text
    assert "I have no proposal for you right now" in r.text
    r = await bot.send(anna, "/matches")
    assert "I have no proposal for you right now" in r.text


async def test_next_with_open_proposals_says_matches_shows_them(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    r = await bot.press(anna, "Next")
    assert "Send /matches to see the ones you have not answered yet" in r.text
    r = await bot.send(anna, "/matches")
    assert "Cluster Têxtil Portugal" in r.text  # and it does


async def test_exchange_while_waiting_for_the_other_side_says_so(
    bot: BotDriver, anna: FakeUser, jonas: FakeUser
) -> None:
    await register(bot, anna)
    r = await bot.send(anna, "/exchange")
    assert "You have no exchange yet. It starts when you and a partner" in r.text
    await register(bot, RITA, **RITA_ANSWERS)
    await bot.press(anna, "Interested")
    r = await bot.send(anna, "/exchange")
    assert "you are interested in <b>Cluster Têxtil Portugal</b> and wait for their answer" in (
        r.text
    )
    # In German, and for two organisations (a list, and the plural).
    await register(bot, jonas, role="host", country="AT", city="Graz",
                   organisation="Faserwerk Graz & Söhne", languages=["de", "en"],
                   offers="Recycling von Alttextilien und Fasern")  # fmt: skip
    await bot.send(jonas, "/matches")
    await bot.press(jonas, "Interessiert")
    await bot.send(RITA, "/matches")
    r = await bot.send(jonas, "/exchange")
    assert "Sie haben noch keinen Austausch" in r.text, r.text
    assert "Faserwerk" not in r.text  # his own organisation is not among them


async def test_staff_help_names_the_event_commands(db_url: str, clock) -> None:  # type: ignore[no-untyped-def]
    bot = await BotDriver.start(make_settings(db_url), clock=clock)
    await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    r = await bot.send(STAFF, "/start")
    for command in ("/pending", "/newevent", "/event", "/broadcast"):
        assert command in r.text, command
    await bot.stop()
    assert bot.errors == []


async def test_a_broadcast_to_an_event_nobody_joined_is_not_offered(
    bot: BotDriver,
) -> None:
    pid = await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    await make_event(bot, pid, name="Empty Hall")
    r = await bot.send(STAFF, "/broadcast 1")
    assert "Nobody has signed up for <b>Empty Hall</b> yet" in r.text
    r = await bot.send(STAFF, "Doors open at nine.")
    assert "Nobody has signed up" not in r.text and "will receive" not in r.text


async def test_invite_links_use_the_bot_username_from_telegram(
    db_url: str,
    clock,  # type: ignore[no-untyped-def]
) -> None:
    bot = await BotDriver.start(make_settings(db_url, admin_ids={ADMIN.id}), clock=clock)
    await make_partnership(bot, "tex", "Textiles Europe")
    r = await bot.send(ADMIN, "/invite tex")
    assert "https://t.me/cxbot_offline_bot?start=st_" in r.text  # getMe's username
    assert "/start st_" not in r.text
    r = await bot.send(ADMIN, "/partnerships")
    assert "https://t.me/cxbot_offline_bot?start=p_tex" in r.text
    await bot.stop()
    assert bot.errors == []


async def test_a_paused_registration_waits_for_start_instead_of_insisting(
    bot: BotDriver, anna: FakeUser
) -> None:
    await bot.send(anna, "/start")
    await bot.choose(anna, "consent", "yes")
    old_message, old_data = bot.find_button(anna, "Visitor")
    r = await bot.send(anna, "/cancel")
    assert "Registration paused" in r.text
    r = await bot.send(anna, "I want to be a visitor")
    assert "Registration paused" in r.text and "Please use the buttons" not in r.text
    r = await bot.process(anna, bot.updates.callback(anna, old_data, old_message.message_id))
    assert r.toasts == ["Your registration is paused. Send /start to continue."]
    r = await bot.send(anna, "/start")
    assert "continue where you stopped" in r.text and "What is your role" in r.text
    await bot.choose(anna, "role", "visitor")  # the new question's buttons work again
    assert "What kind of organisation" in bot.transport.last_message(anna.id).text


async def test_completing_the_registration_names_the_next_step(
    bot: BotDriver, jonas: FakeUser
) -> None:
    await register(bot, jonas, confirm=False)
    r = await bot.choose(jonas, "summary", "ok")
    assert "Als Nächstes: Senden Sie /matches" in r.text


async def test_help_and_the_menu_fit_the_person(
    db_url: str,
    clock,
    anna: FakeUser,  # type: ignore[no-untyped-def]
) -> None:
    bot = await BotDriver.start(make_settings(db_url), clock=clock)

    def menu(user: FakeUser) -> list[str]:
        from telegram import BotCommandScopeChat

        scope = BotCommandScopeChat(user.id).to_dict()
        return [c["command"] for c in bot.transport.commands(scope, "")]

    newcomer = FakeUser(id=6_600, language_code="en")
    r = await bot.send(newcomer, "/help")
    assert "/start" in r.text and "/matches" not in r.text and "/event" not in r.text
    await register(bot, anna)
    r = await bot.send(anna, "/help")
    assert "/matches" in r.text and "/event" not in r.text and "/pending" not in r.text
    assert "matches" in menu(anna) and "event" not in menu(anna)
    assert all(c["command"] != "event" for c in bot.transport.commands(None, "en"))
    pid = await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    code = await make_event(bot, pid)
    await bot.send(anna, f"/start ev_{code}")
    assert "event" in menu(anna)
    r = await bot.send(anna, "/help")
    assert "/event" in r.text
    r = await bot.send(STAFF, "/help")
    assert "/pending" in r.text and "/newevent" in r.text
    assert {"pending", "event", "broadcast"} <= set(menu(STAFF))
    await bot.stop()
    assert bot.errors == []
