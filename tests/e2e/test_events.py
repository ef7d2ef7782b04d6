"""Events through the real Application: /newevent with its QR code and poster, the quick
sign-up at the door (EN and DE), check-in of registered participants, event proposals and a
meeting with its reminder, "did you meet?", broadcasts with blocked users, expired codes."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.events import BACKGROUND
from bot.handlers.jobs import dispatch
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Attendee, Event, EventMatch, Proposal, Reminder
from tests.conftest import make_settings
from tests.helpers import load, make_event, make_partnership, quick_signup, register

STAFF = FakeUser(id=6_001, first_name="Sara", username="sara_staff", language_code="en")
OTHER_STAFF = FakeUser(id=6_002, first_name="Olaf", language_code="de")
ANNA = FakeUser(id=6_101, first_name="Anna", username="anna_tex", language_code="en")
BRUNO = FakeUser(id=6_102, first_name="Bruno", username="bruno_fasern", language_code="de-AT")
CARLA = FakeUser(id=6_103, first_name="Carla", language_code="it")
BOT_NAME = "cxbot_test_bot"

ANNA_ANSWERS = {
    "name": "Anna Schmidt, Textilwerk Augsburg GmbH",
    "country": "DE",
    "offers": "Digital twins for textile machines",
    "seeks": "Partners for recycled fibres",
}
BRUNO_ANSWERS = {
    "name": "Bruno Keller, Faserwerk Linz",
    "country": "AT",
    "offers": "Recycelte Fasern aus Altkleidern",
    "seeks": "Digitale Zwillinge für Webmaschinen",
}


@pytest.fixture
async def ebot(db_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    """A bot with a bot username for links, fast broadcasts, on SQLite and PostgreSQL."""
    settings = make_settings(db_url, bot_username=BOT_NAME, broadcast_per_second=25)
    driver = await BotDriver.start(settings, clock=clock)
    yield driver
    await driver.stop()
    assert driver.errors == [], "a handler raised"


async def settle(bot: BotDriver) -> None:
    """Wait for background work (broadcasts) to finish."""
    tasks = list(bot.app.bot_data.get(BACKGROUND, ()))
    await asyncio.gather(*tasks)


async def rows(bot: BotDriver, model: type) -> list:
    async with services_of(bot.app).db.session() as session:
        return list((await session.execute(select(model))).scalars())


async def staffed_event(bot: BotDriver, **kwargs: object) -> tuple[int, str]:
    pid = await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    return pid, await make_event(bot, pid, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ staff: creating an event


async def test_staff_create_an_event_and_get_a_working_qr_code_and_poster(
    ebot: BotDriver,
) -> None:
    bot = ebot
    await make_partnership(bot, "tex", "Textiles Europe", staff=(STAFF,))
    r = await bot.send(STAFF, "/newevent")
    assert "What is the event called?" in r.text
    r = await bot.send(STAFF, "Brokerage Day Circular Textiles")
    assert "When does it take place?" in r.text
    r = await bot.send(STAFF, "31.2.2027")
    assert "When does it take place?" in r.text  # an impossible date: asked again
    r = await bot.send(STAFF, "1.1.2020")
    assert "in the past" in r.text
    r = await bot.send(STAFF, "12.5.2027 – 13.5.2027")
    assert "In which city" in r.text
    r = await bot.send(STAFF, "Augsburg")
    assert "description" in r.text
    await bot.press(STAFF, "Skip")
    r = await bot.send(STAFF, "Stand B12, Hall 3")
    assert "Meeting hours" in r.text
    r = await bot.send(STAFF, "17-9")
    assert "like this" in r.text
    r = await bot.send(STAFF, "09:30-16:00 15")
    assert "is ready" in r.text
    [event] = await rows(bot, Event)
    assert (event.name, event.meeting_point, event.day_start, event.day_end) == (
        "Brokerage Day Circular Textiles",
        "Stand B12, Hall 3",
        "09:30",
        "16:00",
    )
    assert event.slot_minutes == 15 and len(event.code) >= 12
    link = f"https://t.me/{BOT_NAME}?start=ev_{event.code}"
    assert link in r.text
    [qr] = [m for m in r.sent if m.photo is not None]
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.photo.content)))
    assert [d.text for d in decoded] == [link]
    [poster] = [m for m in r.sent if m.document is not None]
    assert poster.document.filename.endswith(".pdf")
    pdf = PdfReader(io.BytesIO(poster.document.content))
    assert len(pdf.pages) == 1
    text = " ".join(pdf.pages[0].extract_text().split())
    assert "Brokerage Day Circular Textiles" in text
    assert "Scan the code" in text and "Scannen Sie den Code" in text
    [image] = pdf.pages[0].images
    assert [d.text for d in zxingcpp.read_barcodes(image.image)] == [link]
    # The staff can have the QR code and poster again, and see the event's figures.
    r = await bot.send(STAFF, "/event")
    assert "Brokerage Day Circular Textiles" in r.text and "Signed up: 0" in r.text
    r = await bot.press(STAFF, "QR code and poster")
    assert len([m for m in r.sent if m.photo or m.document]) == 2


async def test_only_staff_create_events_broadcast_or_see_figures(
    ebot: BotDriver, caplog: pytest.LogCaptureFixture
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    stranger = FakeUser(id=6_999, first_name="Eve", language_code="en")
    with caplog.at_level(logging.WARNING):
        r = await bot.send(stranger, "/newevent")
        assert "for partnership staff only" in r.text
        r = await bot.send(stranger, "/broadcast 1")
        assert "for partnership staff only" in r.text
        r = await bot.press_data(stranger, "es:csv:1")
        assert r.toasts == ["Only staff of the partnership concerned can do this."]
    assert sum("refused staff" in rec.getMessage() for rec in caplog.records) == 3
    # Staff of another partnership cannot act on this event either.
    await make_partnership(bot, "agri", "Agri-Food Europe", staff=(OTHER_STAFF,))
    r = await bot.press_data(OTHER_STAFF, "es:b:1")
    assert r.toasts == ["Das kann nur das Team der betroffenen Partnerschaft."]
    r = await bot.send(OTHER_STAFF, "/event")
    assert "Brokerage Day" not in r.text
    # A non-staff user's /event with no event says how to join one.
    r = await bot.send(stranger, "/event")
    assert "scan its QR code" in r.text
    assert code  # the event exists all along


# ------------------------------------------------------------------ attendees


@pytest.mark.parametrize(
    ("user", "words"),
    [
        (ANNA, ("Do you agree?", "1/4", "2/4", "3/4", "4/4", "You are signed up")),
        (
            BRUNO,
            ("Sind Sie einverstanden?", "1/4", "2/4", "3/4", "4/4", "angemeldet"),
        ),
    ],
    ids=["en", "de"],
)
async def test_quick_signup_asks_four_questions_in_the_telegram_language(
    ebot: BotDriver, user: FakeUser, words: tuple[str, ...]
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    r = await bot.send(user, f"/start ev_{code}")
    assert words[0] in r.text and "Brokerage Day Textiles" in r.text
    consent = r.last.buttons()[0][0][1]
    r = await bot.press_data(user, consent, r.last.message_id)
    # The consent message now shows the answer and the first question: no new message.
    assert not r.sent and words[1] in r.edited[0].text and words[0] in r.edited[0].text
    r = await bot.send(user, "Anna Schmidt")  # no organisation: explained, asked again
    assert words[1] in r.text and "Anna Schmidt, Textilwerk GmbH" in r.text
    r = await bot.send(user, "Anna Schmidt, Textilwerk Augsburg GmbH")
    assert words[2] in r.text
    r = await bot.send(user, "Narnia")
    assert "Narnia" in r.text and len(r.last.buttons()) > 5  # the country list again
    r = await bot.send(user, "Österreich" if user is BRUNO else "Germany")
    assert words[3] in r.text
    r = await bot.send(user, "Digital twins for textile machines")
    assert words[4] in r.text
    r = await bot.send(user, "Partners for recycled fibres")
    assert words[5] in r.text
    _user, profile = await load(bot, user.id)
    assert profile is not None and profile.completed_at is None
    assert (profile.name, profile.organisation) == ("Anna Schmidt", "Textilwerk Augsburg GmbH")
    assert profile.country == ("AT" if user is BRUNO else "DE")
    assert profile.offers and profile.seeks
    [attendee] = await rows(bot, Attendee)
    assert attendee.user_id == user.id and attendee.quick and attendee.checked_in_at is not None


async def test_a_pressed_country_is_answered_in_place_with_the_next_question(
    ebot: BotDriver,
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    r = await bot.send(BRUNO, f"/start ev_{code}")
    await bot.press_data(BRUNO, r.last.buttons()[0][0][1], r.last.message_id)
    r = await bot.send(BRUNO, "Bruno Keller, Faserwerk Linz")
    country_question = r.last
    r = await bot.press(BRUNO, "Österreich")
    assert not r.sent  # one message fewer at a crowded door
    [edited] = r.edited
    assert edited.message_id == country_question.message_id
    assert "✅ Österreich" in edited.text and "3/4" in edited.text
    assert edited.buttons() == []  # the next question is typed
    _user, profile = await load(bot, BRUNO.id)
    assert profile is not None and profile.country == "AT"


async def test_a_registered_participant_is_just_checked_in(ebot: BotDriver) -> None:
    bot = ebot
    pid, code = await staffed_event(bot)
    await register(bot, ANNA, partnership=pid)
    r = await bot.send(ANNA, f"/start ev_{code}")
    assert "You are checked in" in r.text
    assert "1/4" not in r.text and "Do you agree" not in r.text
    [attendee] = await rows(bot, Attendee)
    assert not attendee.quick and attendee.checked_in_at is not None
    # Scanning twice does not add a second attendance.
    await bot.send(ANNA, f"/start ev_{code}")
    assert len(await rows(bot, Attendee)) == 1


async def test_signing_up_before_the_event_is_not_a_check_in(
    ebot: BotDriver, clock: FixedClock
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot, days=(3, 3))
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    [attendee] = await rows(bot, Attendee)
    assert attendee.checked_in_at is None
    clock.advance(timedelta(days=3))
    r = await bot.send(ANNA, f"/start ev_{code}")
    assert "You are signed up" in r.text
    [attendee] = await rows(bot, Attendee)
    assert attendee.checked_in_at is not None


async def test_unknown_and_expired_codes_lead_to_the_normal_registration(
    ebot: BotDriver, clock: FixedClock
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot, days=(0, 1))
    r = await bot.send(ANNA, "/start ev_NoSuchCode")
    assert "I don't know this event code" in r.text
    assert "Welcome to ClusterXchange!" in r.text  # the normal registration's consent
    assert any(d.startswith("r:") for row in r.last.buttons() for _t, d in row)
    clock.advance(timedelta(days=2))
    r = await bot.send(BRUNO, f"/start ev_{code}")
    assert "ist vorbei" in r.text or "is over" in r.text
    assert await rows(bot, Attendee) == []


async def test_bad_input_during_the_signup_is_explained(ebot: BotDriver) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    await bot.send(ANNA, f"/start ev_{code}")
    r = await bot.send(ANNA, "hello?")
    assert "Please use the buttons below." in r.text and "Do you agree?" in r.text
    r = await bot.process(ANNA, bot.updates.sticker(ANNA))
    assert r.sent  # answered, not ignored
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    r = await bot.press_data(ANNA, "ev:i:999")
    assert r.toasts == ["This proposal is not yours."]
    r = await bot.press_data(ANNA, "ev:x:abc")
    assert r.toasts == ["This button is not valid any more."]
    r = await bot.send(ANNA, "what now?")
    assert "/event" in r.text


async def test_refusing_consent_at_the_door_stores_nothing(ebot: BotDriver) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    r = await bot.send(ANNA, f"/start ev_{code}")
    no = r.last.buttons()[0][1][1]
    r = await bot.press_data(ANNA, no, r.last.message_id)
    assert "stored nothing" in r.edited[0].text
    user, profile = await load(bot, ANNA.id)
    assert user is not None and user.consent == "declined" and profile is None
    assert await rows(bot, Attendee) == []


async def test_mutual_interest_gives_a_meeting_slot_a_reminder_and_did_you_meet(
    ebot: BotDriver, clock: FixedClock
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    r = await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    assert "one of the first" in r.text
    r = await quick_signup(bot, BRUNO, code, **BRUNO_ANSWERS)
    # Bruno sees Anna; Anna, who was waiting, gets Bruno's card at the same moment.
    assert "Textilwerk Augsburg GmbH" in r.text and "Deutschland" in r.text
    assert "Faserwerk Linz" in r.others[ANNA.id][0].text and "Austria" in r.others[ANNA.id][0].text
    assert "digital twin" in r.others[ANNA.id][0].text  # the explanation
    r = await bot.press(BRUNO, "Interessiert")
    assert "Notiert" in r.text or "Noted" in r.text
    assert ANNA.id not in r.others  # she has the card already
    r = await bot.press(ANNA, "Interested")
    # 11:00 in Brussels now: the first slot at least 15 minutes ahead is 11:20.
    assert "You both want to meet" in r.text and "11:20" in r.text and "Stand B12" in r.text
    assert "@bruno_fasern" in r.text
    assert "11:20" in r.others[BRUNO.id][0].text and "@anna_tex" in r.others[BRUNO.id][0].text
    [match] = await rows(bot, EventMatch)
    assert match.matched_at is not None
    kinds = sorted((rem.kind, rem.user_id) for rem in await rows(bot, Reminder))
    assert kinds == [
        ("meeting", ANNA.id),
        ("meeting", BRUNO.id),
        ("met", ANNA.id),
        ("met", BRUNO.id),
    ]
    # Nothing is due yet; 10 minutes before the meeting both are reminded, once.
    assert await dispatch(bot.app) == 0
    clock.advance(timedelta(minutes=10))  # 11:10
    sent_before = len(bot.transport.calls_to("sendMessage"))
    assert await dispatch(bot.app) == 2
    reminders = bot.transport.calls_to("sendMessage")[sent_before:]
    assert "in 10 min" in reminders[0].params["text"] or "10 Min" in reminders[0].params["text"]
    assert await dispatch(bot.app) == 0
    # After the event: did you meet? Different eligible countries: propose an exchange.
    clock.advance(timedelta(hours=7))  # 18:10, after 17:00 + 30 min
    assert await dispatch(bot.app) == 2
    r = await bot.press(ANNA, "Yes, we met")
    assert "different countries" in r.text
    r = await bot.press(ANNA, "Propose an exchange")
    assert "full ClusterXchange profile" in r.text
    [proposal] = await rows(bot, Proposal)
    assert {proposal.a_id, proposal.b_id} == {ANNA.id, BRUNO.id}
    r = await bot.press(BRUNO, "Nein")
    assert "Danke" in r.text
    [match] = await rows(bot, EventMatch)
    assert (match.a_met, match.b_met) == ("yes", "no")
    # The export lists both attendees and the meeting.
    r = await bot.send(STAFF, "/event")
    assert "Meetings agreed: 1" in r.text and "Proposals made: 1" in r.text
    r = await bot.press(STAFF, "Export CSV")
    files = {m.document.filename: m.document.content for m in r.sent if m.document}
    attendees = files["event-1-attendees.csv"].decode("utf-8-sig").splitlines()
    meetings = files["event-1-meetings.csv"].decode("utf-8-sig").splitlines()
    assert len(attendees) == 3 and "Textilwerk Augsburg GmbH" in attendees[1]
    assert len(meetings) == 2 and "11:20" in meetings[1] and "yes,no" in meetings[1]
    r = await bot.press(STAFF, "Sign-ups chart")
    assert r.sent[0].photo is not None and r.sent[0].photo.content.startswith(b"\x89PNG")


async def test_the_signup_confirmation_carries_the_first_card_in_four_messages(
    ebot: BotDriver,
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    before = len(bot.transport.calls_to("sendMessage"))
    r = await quick_signup(bot, BRUNO, code, **BRUNO_ANSWERS)
    # The last answer gets one message: the confirmation with Anna's card and its buttons.
    [confirmation] = r.sent
    assert "angemeldet" in confirmation.text and "Textilwerk Augsburg GmbH" in confirmation.text
    assert [label for row in confirmation.buttons() for label, _data in row] == [
        "👍 Interessiert",
        "👎 Passt nicht",
    ]
    to_bruno = [
        call
        for call in bot.transport.calls_to("sendMessage")[before:]
        if call.params["chat_id"] == BRUNO.id
    ]
    assert len(to_bruno) == 4  # consent, 2/4, 4/4, confirmation with the card
    # Answering it edits that very message to the answered card.
    r = await bot.press(BRUNO, "Interessiert")
    [edited] = [m for m in r.edited if m.message_id == confirmation.message_id]
    assert "✅ Interessiert" in edited.text and "Textilwerk" in edited.text
    assert edited.buttons() == []


async def test_not_for_me_tells_the_interested_side_and_moves_on(ebot: BotDriver) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    await quick_signup(bot, BRUNO, code, **BRUNO_ANSWERS)
    await bot.press(ANNA, "Interested")
    card, no = bot.find_button(BRUNO, "👎")
    r = await bot.press(BRUNO, "👎")
    assert any("Textilwerk" in m.text for m in r.edited)  # the answered card stays readable
    assert "cannot meet this time" in r.others[ANNA.id][0].text
    r = await bot.press_data(BRUNO, no, card.message_id)
    assert r.toasts  # an answered card: nothing changes twice
    assert (await rows(bot, EventMatch))[0].matched_at is None
    assert await rows(bot, Reminder) == []


async def test_proposals_follow_people_joining_and_leaving(ebot: BotDriver) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    r = await quick_signup(bot, BRUNO, code, **BRUNO_ANSWERS)
    assert "Textilwerk" in r.text and "Faserwerk" in r.others[ANNA.id][0].text
    r = await bot.send(BRUNO, "/deleteme")
    r = await bot.press_data(BRUNO, "del:yes", r.last.message_id)
    assert [a.user_id for a in await rows(bot, Attendee)] == [ANNA.id]
    # Carla seeks what Bruno offered: Anna is the one left for her, Bruno is gone.
    r = await quick_signup(
        bot,
        CARLA,
        code,
        name="Carla Rossi, Tessile Prato",
        country="IT",
        offers="Recycled fibres from used clothes",
        seeks="Digital twins for weaving machines",
    )
    assert "Textilwerk" in r.text and "Faserwerk" not in r.text
    assert BRUNO.id not in r.others
    assert "Tessile Prato" not in repr(bot.transport.messages(BRUNO.id)[-1].text)


async def test_a_quick_signup_completes_the_full_profile_with_only_the_missing_questions(
    ebot: BotDriver,
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    r = await bot.send(ANNA, "/start")
    assert "only ask what is still missing" in r.text
    assert "role" in r.text.lower()
    await bot.choose(ANNA, "role", "visitor")
    r = await bot.choose(ANNA, "org_type", "sme")
    assert "city" in r.text.lower()  # name, organisation and country were kept
    await bot.send(ANNA, "Augsburg")
    await bot.choose(ANNA, "ecosystems", "4")
    r = await bot.choose(ANNA, "ecosystems", "done")
    assert "partnership" in r.text.lower()
    r = await bot.choose(ANNA, "partnership", "1")
    assert "languages" in r.text.lower()  # offers and seeks were kept
    await bot.choose(ANNA, "languages", "en")
    await bot.choose(ANNA, "languages", "done")
    await bot.send(ANNA, "2027-03-01")
    await bot.send(ANNA, "2027-06-30")
    r = await bot.send(ANNA, "Learn how Portuguese clusters recycle textiles.")
    assert "Is everything correct?" in r.text and "Textilwerk Augsburg GmbH" in r.text
    r = await bot.choose(ANNA, "summary", "ok")
    assert "Thank you, Anna Schmidt! Your profile is complete." in r.text
    user, profile = await load(bot, ANNA.id)
    assert profile is not None and profile.completed_at is not None and user.state == "idle"


async def test_broadcast_is_paced_and_counts_sent_blocked_and_failed(
    ebot: BotDriver,
) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    people = [
        FakeUser(id=7_000 + i, first_name=f"P{i}", language_code="de" if i % 2 else "en")
        for i in range(12)
    ]
    for i, person in enumerate(people):
        await quick_signup(
            bot,
            person,
            code,
            name=f"Person {i}, Cluster {i}",
            offers=f"Sensors for agri-food number {i}",
            seeks="Partners for hydrogen",
        )
    for person in people[:3]:
        bot.transport.block(person.id)
    r = await bot.send(STAFF, "/broadcast")
    r = await bot.press(STAFF, "Brokerage Day Textiles")
    assert "12 attendees" in r.text
    r = await bot.send(STAFF, "Lunch is served in Hall 2 until 14:00.")
    assert "Lunch is served" in r.text and "12 attendees" in r.text
    times: list[tuple[float, int]] = []
    loop = asyncio.get_running_loop()
    bot.transport.on_call = lambda call: (
        times.append((loop.time(), call.params.get("chat_id")))
        if call.method == "sendMessage"
        else None
    )
    await bot.press(STAFF, "Send")
    await settle(bot)
    bot.transport.on_call = None
    got = [p for p in people[3:] if "Lunch is served" in (bot.transport.last_message(p.id).text)]
    assert len(got) == 9
    assert "Nachricht des Veranstaltungsteams" in bot.transport.last_message(people[3].id).text
    progress = bot.transport.last_message(STAFF.id)
    assert "finished" in progress.text and "Sent: 9" in progress.text
    assert "blocked the bot: 3" in progress.text and "failed: 0" in progress.text
    # Paced: at most 25 per second, so 12 attempts take at least 11 intervals.
    to_attendees = [t for t, chat in times if chat != STAFF.id]
    assert len(to_attendees) == 12
    assert to_attendees[-1] - to_attendees[0] >= 11 / 25 * 0.9


async def test_cancelling_a_broadcast_sends_nothing(ebot: BotDriver) -> None:
    bot = ebot
    _pid, code = await staffed_event(bot)
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    await bot.send(STAFF, "/broadcast 1")
    await bot.send(STAFF, "Doors close at six.")
    before = len(bot.transport.messages(ANNA.id))
    r = await bot.press(STAFF, "Cancel")
    assert "cancelled" in r.text.lower() or any("cancelled" in m.text for m in r.edited)
    await settle(bot)
    assert len(bot.transport.messages(ANNA.id)) == before


async def test_meeting_slots_do_not_collide_and_run_out(ebot: BotDriver) -> None:
    bot = ebot
    # 11:00 in Brussels; 20-minute slots until 12:00 leave 11:20 and 11:40.
    _pid, code = await staffed_event(bot, hours=("09:00", "12:00", 20))
    await quick_signup(bot, ANNA, code, **ANNA_ANSWERS)
    await quick_signup(bot, BRUNO, code, **BRUNO_ANSWERS)
    await bot.press(BRUNO, "👍")
    r = await bot.press(ANNA, "👍")
    assert "11:20" in r.text
    await quick_signup(
        bot,
        CARLA,
        code,
        name="Carla Rossi, Tessile Prato",
        country="IT",
        offers="Recycled fibres and digital twins for textile machines",
        seeks="Recycled fibres and digital twins for textile machines",
    )
    # Carla is interested in both; both accept. Anna is busy at 11:20, so 11:40; Bruno is
    # busy at 11:20 and Carla at 11:40: no slot is left for them.
    await bot.press(CARLA, "👍")
    await bot.press(CARLA, "👍")
    first = await bot.press(ANNA, "👍")
    assert "11:40" in first.text
    second = await bot.press(BRUNO, "👍")
    assert "write to each other" in second.text or "schreiben" in second.text
    assert "11:40" not in second.text
    meetings = [m for m in await rows(bot, EventMatch) if m.matched_at is not None]
    assert len(meetings) == 3
    assert sorted(m.slot_at is None for m in meetings) == [False, False, True]


async def test_registered_people_who_met_turn_the_contact_into_an_exchange(
    ebot: BotDriver, clock: FixedClock
) -> None:
    from storage.models import Exchange, Profile

    bot = ebot
    pid, code = await staffed_event(bot)
    await register(bot, ANNA, partnership=pid)
    await register(
        bot,
        BRUNO,
        partnership=pid,
        role="host",
        name="Bruno Keller",
        organisation="Faserwerk Linz",
        country="AT",
        city="Linz",
        offers="Recycled fibres from old clothes",
        seeks="Digital twins for weaving machines",
    )
    async with services_of(bot.app).db.session() as session:
        for profile in (await session.execute(select(Profile))).scalars():
            profile.review = "approved"  # validated by the partnership (its own tests)
        await session.commit()
    await bot.send(ANNA, f"/start ev_{code}")
    await bot.send(BRUNO, f"/start ev_{code}")
    await bot.press(ANNA, "👍")
    await bot.press(BRUNO, "👍")
    clock.advance(timedelta(hours=8))
    assert await dispatch(bot.app) == 2
    await bot.press(ANNA, "Yes, we met")
    r = await bot.press(ANNA, "Propose an exchange")
    # Bruno gets the normal matching card; his yes makes it a match and starts the exchange.
    card = r.others[BRUNO.id][-1]
    assert any(d.startswith("m:i:") for row in card.buttons() for _t, d in row)
    await bot.press(BRUNO, "Interessiert")
    [exchange] = await rows(bot, Exchange)
    assert (exchange.visitor_id, exchange.host_id) == (ANNA.id, BRUNO.id)
