"""Rough edges seen along a whole exchange (issue 17): a heading said twice, a doubled full
stop after a name ending in a dot, two live cards for one proposal, a secret in the log."""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import select

from bot import logs
from bot.clock import FixedClock
from bot.context import services_of
from bot.i18n import translations
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import LiveCard, Proposal
from tests.conftest import make_settings
from tests.e2e.test_exchange import PEDRO, SARA, approve
from tests.e2e.test_matching import RITA_ANSWERS
from tests.helpers import make_event, make_partnership, quick_signup, register

E_V = "Smart Factory Cluster Stuttgart e.V."


def people(lang: str) -> tuple[FakeUser, FakeUser]:
    anna = FakeUser(id=7_310_042_111, first_name="Anna", username="anna_sme", language_code=lang)
    rita = FakeUser(id=7_310_042_333, first_name="Rita", username="rita_pt", language_code=lang)
    return anna, rita


def heading(lang: str) -> str:
    return translations(lang).gettext("Here is what I can do:")


# ----------------------------------------------------------------- 1. a heading said twice


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_an_unexpected_message_gets_the_help_heading_once(bot: BotDriver, lang: str) -> None:
    anna, _rita = people(lang)
    await register(bot, anna)
    r = await bot.send(anna, "hello?")
    assert r.text.count(heading(lang)) == 1, r.text
    assert translations(lang).gettext("I didn't understand that.") in r.text
    assert "/matches" in r.text


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_an_attendee_who_types_gets_the_help_heading_once(bot: BotDriver, lang: str) -> None:
    anna, _rita = people(lang)
    partnership = await make_partnership(bot, "textiles-eu", "Textiles EU")
    code = await make_event(bot, partnership)
    await quick_signup(bot, anna, code)
    r = await bot.send(anna, "hello?")
    assert r.text.count(heading(lang)) == 1, r.text
    assert translations(lang).gettext("I didn't understand that.") in r.text
    assert "/event" in r.text


# ----------------------------------------------------------------- 2. "e.V.."


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_name_ending_in_a_dot_ends_a_sentence_with_one_stop(
    staffed: BotDriver, lang: str
) -> None:
    bot = staffed
    anna, rita = people(lang)
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    iberia = await make_partnership(
        bot, "iberia", "Iberian Clusters", ecosystems=("digital",), staff=(PEDRO,)
    )
    await register(bot, anna, partnership=textiles, organisation="Textilwerk Augsburg e.G.")
    await register(
        bot,
        rita,
        partnership=iberia,
        **{**RITA_ANSWERS, "organisation": E_V, "languages": ["en", "de"]},
    )
    await approve(bot, SARA)
    await approve(bot, PEDRO)
    await bot.press(anna, "👍")
    await bot.press(rita, "👍")
    r = await approve(bot, SARA)  # the visitor's partnership validates the exchange
    told = r.others[anna.id][0].text
    assert E_V in told and "e.V.." not in told, told
    told = r.others[rita.id][0].text
    assert "Textilwerk Augsburg e.G." in told and "e.G.." not in told, told
    if lang == "en":
        assert f"between Textilwerk Augsburg e.G. and {E_V}\n" in r.others[anna.id][0].text
    # Every message either of them got reads right.
    for user in (anna, rita):
        for message in bot.transport.messages(user.id):
            text = message.text or message.caption or ""
            assert "e.V.." not in text and "e.G.." not in text, text


@pytest.fixture
async def controller_bot(sqlite_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    settings = make_settings(
        sqlite_url, controller_name="Cluster Stuttgart e.V.", controller_contact=None
    )
    driver = await BotDriver.start(settings, clock=clock)
    yield driver
    await driver.stop()
    assert driver.errors == [], "a handler raised"


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_controller_ending_in_a_dot(controller_bot: BotDriver, lang: str) -> None:
    anna, _rita = people(lang)
    r = await controller_bot.send(anna, "/privacy")
    assert "Cluster Stuttgart e.V." in r.text and "e.V.." not in r.text, r.text


# ----------------------------------------------------------------- 3. one proposal, two cards


async def proposal_id(bot: BotDriver) -> int:
    async with services_of(bot.app).db.session() as session:
        [row] = (await session.execute(select(Proposal))).scalars().all()
        assert row.id is not None
        return row.id


async def live_cards(bot: BotDriver) -> list[LiveCard]:
    async with services_of(bot.app).db.session() as session:
        return list((await session.execute(select(LiveCard))).scalars())


@pytest.mark.parametrize(
    ("lang", "answer", "shown"), [("en", "👍", "Interested"), ("de", "👎", "Not for me")]
)
async def test_answering_one_copy_of_a_card_updates_the_other(
    bot: BotDriver, lang: str, answer: str, shown: str
) -> None:
    anna, rita = people(lang)
    await register(bot, anna)
    await register(bot, rita, **RITA_ANSWERS)  # pushed to Anna: "a new participant fits you"
    pid = await proposal_id(bot)
    pushed = bot.transport.last_message(anna.id)
    assert pushed is not None and pushed.buttons()
    r = await bot.send(anna, "/matches")  # the same proposal, as a second card
    opened = r.last
    assert opened.message_id != pushed.message_id and opened.buttons()
    assert {c.message_id for c in await live_cards(bot) if c.chat_id == anna.id} == {
        pushed.message_id,
        opened.message_id,
    }

    r = await bot.press(anna, answer)  # on the newest card: the one /matches showed
    for copy in (pushed, opened):
        message = bot.transport.message(anna.id, copy.message_id)
        assert message is not None and not message.buttons(), "a copy kept its buttons"
        assert "✅ " + translations(lang).gettext(shown) in (message.text or "")
    assert [c for c in await live_cards(bot) if c.chat_id == anna.id] == []

    # The old copy's button, pressed anyway (a press already on its way): no second effect.
    before = {u.id: len(bot.transport.messages(u.id)) for u in (anna, rita)}
    data = f"m:{'i' if answer == '👍' else 'n'}:{pid}"
    r = await bot.press_data(anna, data, pushed.message_id)
    assert r.toasts == [translations(lang).gettext("You have already answered this proposal.")]
    assert {u.id: len(bot.transport.messages(u.id)) for u in (anna, rita)} == before


async def test_a_card_answered_where_it_was_pushed_updates_the_one_opened_later(
    bot: BotDriver,
) -> None:
    anna, rita = people("en")
    await register(bot, anna)
    await register(bot, rita, **RITA_ANSWERS)
    pid = await proposal_id(bot)
    pushed = bot.transport.last_message(anna.id)
    assert pushed is not None
    opened = (await bot.send(anna, "/matches")).last
    await bot.press_data(anna, f"m:i:{pid}", pushed.message_id)
    for copy in (pushed, opened):
        message = bot.transport.message(anna.id, copy.message_id)
        assert message is not None and not message.buttons()
        assert "✅ Interested" in (message.text or "")
    # Rita's card ("would like to meet you") came through the outbox: it is remembered too.
    rita_card = bot.transport.last_message(rita.id)
    assert rita_card is not None and rita_card.buttons()
    assert [(c.chat_id, c.message_id) for c in await live_cards(bot)] == [
        (rita.id, rita_card.message_id)
    ]
    r = await bot.send(rita, "/matches")
    await bot.press_data(rita, f"m:i:{pid}", r.last.message_id)
    message = bot.transport.message(rita.id, rita_card.message_id)
    assert message is not None and not message.buttons()


async def test_an_event_card_answered_in_one_copy_updates_the_other(bot: BotDriver) -> None:
    anna, rita = people("en")
    partnership = await make_partnership(bot, "textiles-eu", "Textiles EU")
    code = await make_event(bot, partnership)
    await quick_signup(bot, anna, code)  # one of the first: no card yet
    await quick_signup(
        bot,
        rita,
        code,
        name="Rita Sousa, Cluster Têxtil Portugal",
        country="PT",
        offers="Recycled fibres from used clothes",
        seeks="Digital twins for weaving machines",
    )
    pushed = bot.transport.last_message(anna.id)  # "Someone new at the event"
    assert pushed is not None and "Cluster Têxtil Portugal" in (pushed.text or "")
    await bot.send(anna, "/event")
    r = await bot.press(anna, "Show proposals")  # the same proposal again
    opened = r.last
    assert "Cluster Têxtil Portugal" in (opened.text or "") and opened.buttons()
    [(_label, data)] = [b for b in pushed.buttons()[0] if b[0].startswith("👍")]
    r = await bot.press(anna, "👎")
    for copy in (pushed, opened):
        message = bot.transport.message(anna.id, copy.message_id)
        assert message is not None and not message.buttons()
        assert "✅ Not for me" in (message.text or "")
    r = await bot.press_data(anna, data, pushed.message_id)  # the old copy, pressed anyway
    assert r.toasts == ["You have already answered this proposal."]
    assert rita.id not in r.others


# ----------------------------------------------------------------- 4. no secret in the log


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """The log of ``cxbot run --verbose``, as the operator would read it."""
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", *logs.OWN, *logs.QUIET)}
    buffer = io.StringIO()
    handler = logs.configure(verbose=True, stream=buffer)
    try:
        yield buffer
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


ADMIN = FakeUser(id=5_000, first_name="Ada", language_code="en")
LUKAS = FakeUser(id=5_003, first_name="Lukas", language_code="de")


@pytest.fixture
async def admin_bot(sqlite_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    settings = make_settings(sqlite_url, admin_ids={ADMIN.id}, bot_username="cxbot_test_bot")
    driver = await BotDriver.start(settings, clock=clock)
    yield driver
    await driver.stop()
    assert driver.errors == [], "a handler raised"


async def test_tokens_and_codes_never_reach_the_log_whole(
    admin_bot: BotDriver, log_output: io.StringIO
) -> None:
    bot = admin_bot
    anna, _rita = people("en")
    await make_partnership(bot, "textiles-eu", "Textiles EU", staff=())
    r = await bot.send(ADMIN, "/partnerships")
    r = await bot.press(ADMIN, "Invite staff")
    invite = r.text.split("https://t.me/cxbot_test_bot?start=", 1)[1].split()[0]
    assert invite.startswith("st_")
    await bot.send(SARA, f"/start {invite}")  # accepted
    r = await bot.send(LUKAS, f"/start {invite}")  # refused: used already
    assert "nicht gültig" in r.text
    forged = "st_" + "Zq9" * 6
    await bot.send(anna, f"/start {forged}")  # refused: unknown
    await bot.send(anna, "/start ev_SecretEventCode42")  # no such event
    await bot.send(anna, "/start imp_SecretImportToken7")  # no such import
    # A line that quotes a secret anyway (a library, an exception message) is cut short.
    logging.getLogger("bot.test").warning(
        "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe "
        "failed for /start %s",
        invite,
    )

    output = log_output.getvalue()
    assert "refused a staff invite" in output  # the refusals are logged …
    for secret in (invite, forged, "SecretEventCode42", "SecretImportToken7", "AAHdqTcv"):
        assert secret[3:] not in output, secret  # … without the secret
    assert f"{invite[:7]}…" in output  # a short prefix, to match a line with a link
    assert "bot123456789:…/getMe" in output


# ------------------------------------------------------------ 5. what the strict transport found


async def test_staff_who_never_opened_the_bot_get_their_cards_once_they_do(
    staffed: BotDriver,
) -> None:
    """Telegram refuses a message to someone who never wrote to the bot ("chat not found"):
    the card is given up, nothing fails, /pending still lists the registration, and once
    they write, the next card reaches them."""
    bot = staffed
    anna, rita = people("en")
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,), met=False)
    await register(bot, anna, partnership=textiles)
    assert bot.transport.messages(SARA.id) == []
    refused = [c for c in bot.transport.calls_to("sendMessage") if c.params["chat_id"] == SARA.id]
    assert refused and all(c.error == "Bad Request: chat not found" for c in refused)
    r = await bot.send(SARA, "/pending")  # Sara opens the bot at last
    assert "Textilwerk Augsburg GmbH" in r.text
    await register(bot, rita, partnership=textiles, **{**RITA_ANSWERS, "languages": ["en"]})
    card = bot.transport.last_message(SARA.id)
    assert card is not None and "Cluster Têxtil Portugal" in (card.text or "")
