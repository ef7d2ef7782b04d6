"""A whole exchange through the real Application: validation by two partnerships, dates,
calendar files, goals and agenda, reminders, did it happen, the closing report, the outcome."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Exchange, ExchangeEvent, Phase, Profile, Quality, Reminder
from tests.e2e.test_matching import RITA_ANSWERS
from tests.helpers import make_partnership, register

SARA = FakeUser(id=5_001, first_name="Sara", username="sara_staff", language_code="en")
PEDRO = FakeUser(id=5_002, first_name="Pedro", username="pedro_staff", language_code="de")
ADMIN = FakeUser(id=5_000, first_name="Ada", language_code="en")

# Words the tests look for, in each language (the German catalog is tested elsewhere).
WORDS = {
    "en": {
        "waiting": "waiting for validation",
        "validated": "has validated your profile",
        "propose": "Propose dates",
        "confirm": "Confirm dates",
        "agreed": "The dates are agreed",
        "write": "Write goals and agenda",
        "agenda_q": "And the agenda",
        "agree": "I agree",
        "cq_done": "Commitment to Quality is complete",
        "starts": "starts in 14 days",
        "yes": "Yes, it took place",
        "report": "Write the closing report",
        "skip": "Skip",
        "filed": "closing report is filed",
        "closed": "is closed",
        "outcome": "What came of it?",
        "joint": "Joint project",
        "too_short": "only 2 working days",
        "too_long": "longer than one month",
        "holiday": "10 Jun 2027",
        "estimate": "Estimated lump sum: €1,100",
    },
    "de": {
        "waiting": "wartet auf die Prüfung",
        "validated": "hat Ihr Profil geprüft",
        "propose": "Termine vorschlagen",
        "confirm": "Termine bestätigen",
        "agreed": "Die Termine stehen fest",
        "write": "Ziele und Besuchsprogramm schreiben",
        "agenda_q": "Und das Besuchsprogramm",
        "agree": "Einverstanden",
        "cq_done": "Qualitätsvereinbarung ist vollständig",
        "starts": "beginnt in 14 Tagen",
        "yes": "Ja, er hat stattgefunden",
        "report": "Abschlussbericht schreiben",
        "skip": "Überspringen",
        "filed": "Abschlussbericht ist eingereicht",
        "closed": "ist abgeschlossen",
        "outcome": "Was ist daraus geworden?",
        "joint": "Gemeinsames Projekt",
        "too_short": "nur 2 Arbeitstage",
        "too_long": "länger als ein Monat",
        "holiday": "10.06.2027",
        "estimate": "Geschätzte Pauschale: 1.100\u00a0€",
    },
}


def people(lang: str) -> tuple[FakeUser, FakeUser]:
    """A visitor in Germany and a host in Portugal, both speaking ``lang``."""
    anna = FakeUser(id=7_310_042_111, first_name="Anna", username="anna_sme", language_code=lang)
    rita = FakeUser(id=7_310_042_333, first_name="Rita", username="rita_pt", language_code=lang)
    return anna, rita


async def exchange_row(bot: BotDriver) -> Exchange:
    async with services_of(bot.app).db.session() as session:
        [row] = (await session.execute(select(Exchange))).scalars().all()
        return row


async def reminders(bot: BotDriver) -> list[Reminder]:
    async with services_of(bot.app).db.session() as session:
        return list((await session.execute(select(Reminder).order_by(Reminder.id))).scalars())


async def approve(bot: BotDriver, staff: FakeUser):
    """Press the newest Approve button in a staff member's chat (any language)."""
    for message in reversed(bot.transport.messages(staff.id)):
        for row in message.buttons():
            for _label, data in row:
                if data.startswith("sv:") and data.endswith(":a"):
                    return await bot.press_data(staff, data, message.message_id)
    raise LookupError(f"no Approve button for {staff.id}")


async def press_newest(bot: BotDriver, user: FakeUser, prefix: str):
    """Press the newest button whose data starts with ``prefix`` (any language)."""
    for message in reversed(bot.transport.messages(user.id)):
        for row in message.buttons():
            for _label, data in row:
                if data.startswith(prefix):
                    return await bot.press_data(user, data, message.message_id)
    raise LookupError(f"no button {prefix!r} for {user.id}")


def at(clock: FixedClock, when: datetime) -> None:
    """Move the test clock forward to ``when``."""
    assert when >= clock.now()
    clock.advance(when - clock.now())


async def matched_and_validated(bot: BotDriver, anna: FakeUser, rita: FakeUser) -> tuple[int, int]:
    """Two partnerships; Anna (visitor, DE) and Rita (host, PT) validated and matched."""
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    iberia = await make_partnership(
        bot, "iberia", "Iberian Clusters", ecosystems=("digital",), staff=(PEDRO,)
    )
    await register(bot, anna, partnership=textiles)
    await register(bot, rita, partnership=iberia, **{**RITA_ANSWERS, "languages": ["en", "de"]})
    await approve(bot, SARA)
    await approve(bot, PEDRO)
    await bot.press(anna, "👍")
    await bot.press(rita, "👍")
    return textiles, iberia


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_a_whole_exchange(staffed: BotDriver, clock: FixedClock, lang: str) -> None:
    bot, w = staffed, WORDS[lang]
    anna, rita = people(lang)
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    iberia = await make_partnership(
        bot, "iberia", "Iberian Clusters", ecosystems=("digital",), staff=(PEDRO,)
    )

    # Registration: the partnership is asked, the profile waits for its staff.
    await register(bot, anna, partnership=textiles)
    sara_card = bot.transport.last_message(SARA.id)
    assert sara_card is not None and "Textilwerk Augsburg GmbH" in (sara_card.text or "")
    r = await bot.send(anna, "/matches")
    assert w["waiting"] in r.text
    r = await bot.press(SARA, "Approve")
    assert r.edited and not r.edited[0].reply_markup  # the decided card loses its buttons
    assert w["validated"] in r.others[anna.id][0].text
    assert "Nobody can be proposed" in r.text  # no host is validated yet: staff are told
    await register(bot, rita, partnership=iberia, **{**RITA_ANSWERS, "languages": ["en", "de"]})
    assert "Freigeben" in bot.buttons(PEDRO)[0]  # Pedro's Telegram speaks German
    r = await approve(bot, PEDRO)
    assert anna.id in r.others  # the newcomer is proposed to Anna once validated
    assert "Nobody can be proposed" not in r.text and "Niemand" not in r.text

    # Mutual interest: the exchange waits for the visitor's partnership.
    await bot.press(anna, "👍")
    r = await bot.press(rita, "👍")
    assert SARA.id in r.others and PEDRO.id not in r.others
    ex = await exchange_row(bot)
    assert (ex.visitor_id, ex.host_id, ex.phase) == (anna.id, rita.id, Phase.APPROVAL)
    r = await bot.press(SARA, "Approve")
    assert w["propose"] in " ".join(bot.buttons(anna))

    # Dates: wrong ones are explained, the right ones go to the host.
    await bot.press(anna, w["propose"])
    r = await bot.send(anna, "2027-05-03 - 2027-05-04")
    assert w["too_short"] in r.text
    r = await bot.send(anna, "9.6.2027 - 11.6.2027")  # 10 June: Portugal Day
    assert w["too_short"] in r.text and w["holiday"] in r.text
    r = await bot.send(anna, "3.5.2027 - 15.6.2027")
    assert w["too_long"] in r.text
    r = await bot.send(anna, "3.5.2027 5")
    assert w["estimate"] in r.text
    assert w["estimate"] in r.others[rita.id][0].text
    r = await bot.press(rita, w["confirm"])
    ics = [m for m in bot.transport.messages(anna.id) if m.document]
    assert ics, "the visitor got a calendar file"
    ex = await exchange_row(bot)
    assert ex.phase == Phase.VISITING and ex.working_days == 5 and ex.lump_sum == 1100
    assert w["agreed"] in r.text and any(m.document for m in r.others[anna.id])
    event = Calendar.from_ical(ics[-1].document.content)
    [vevent] = event.walk("VEVENT")
    assert vevent.decoded("DTSTART") == date(2027, 5, 3)
    assert vevent.decoded("DTEND") == date(2027, 5, 8)  # exclusive

    # Goals and agenda: agreed by the host, validated by both partnerships.
    await bot.press(anna, w["write"])
    r = await bot.send(anna, "Learn how fibres are recycled at industrial scale.")
    assert w["agenda_q"] in r.text
    r = await bot.send(anna, "Day 1: plant tour. Day 2: workshop. Day 3: joint proposal.")
    assert "Day 2: workshop" in r.others[rita.id][0].text
    r = await bot.press(rita, w["agree"])
    assert SARA.id in r.others and PEDRO.id in r.others
    r = await bot.press(SARA, "Approve")
    assert (await exchange_row(bot)).cq_status == Quality.STAFF  # the host side still waits
    r = await approve(bot, PEDRO)
    assert w["cq_done"] in r.others[anna.id][0].text
    assert w["cq_done"] in r.others[rita.id][0].text

    # Fourteen days before: one reminder each, and only once.
    at(clock, datetime(2027, 4, 19, 7, 0, tzinfo=UTC))  # 09:00 in Brussels
    assert await dispatch(bot.app) == 2
    assert w["starts"] in (bot.transport.last_message(anna.id).text or "")
    assert await dispatch(bot.app) == 0

    # After the visit: did it happen? (the reminders in between are tested elsewhere)
    at(clock, datetime(2027, 5, 8, 8, 0, tzinfo=UTC))
    await dispatch(bot.app)
    r = await bot.press(anna, w["yes"])
    assert rita.id in r.others  # the host is asked for feedback
    await bot.press(rita, "⭐⭐⭐⭐⭐")
    await bot.press(anna, w["report"])
    await bot.send(anna, "Toured the recycling plant and ran a joint workshop.")
    await bot.send(anna, "We agreed on a pilot with recycled fibres.")
    await bot.send(anna, "A joint Horizon proposal in spring.")
    r = await bot.process(anna, bot.updates.document(anna, "attendance.pdf"))
    assert w["filed"] in r.text
    assert SARA.id in r.others and any(m.document for m in r.others[SARA.id])
    r = await bot.press(SARA, "Approve")
    assert (await exchange_row(bot)).report_ok  # the exchange closes with the evidence
    await press_newest(bot, anna, "x:ev:")
    await bot.process(anna, bot.updates.document(anna, "boarding-pass.pdf"))
    await press_newest(bot, anna, "x:evd:")
    r = await approve(bot, SARA)
    assert w["closed"] in r.others[anna.id][0].text and w["closed"] in r.others[rita.id][0].text
    ex = await exchange_row(bot)
    assert ex.phase == Phase.CLOSED and ex.host_rating == 5
    assert ex.report_file_name == "attendance.pdf"

    # Six months after the end: both are asked for the outcome.
    at(clock, datetime(2027, 11, 7, 9, 0, tzinfo=UTC))
    assert await dispatch(bot.app) == 2
    assert w["outcome"] in (bot.transport.last_message(rita.id).text or "")
    await bot.press(anna, w["joint"])
    ex = await exchange_row(bot)
    assert ex.outcome_visitor == "project" and ex.outcome_host is None

    # The audit trail names every step, who did it, in order.
    async with services_of(bot.app).db.session() as session:
        events = list(
            (await session.execute(select(ExchangeEvent).order_by(ExchangeEvent.id))).scalars()
        )
    actions = [e.action for e in events]
    assert actions[:4] == ["created", "match_approved", "dates_proposed", "dates_agreed"]
    assert "quality_approved" in actions and actions[-1] == "outcome"
    assert next(e for e in events if e.action == "match_approved").actor_id == SARA.id
    r = await bot.press_data(SARA, f"sv:h:{ex.id}")
    assert "Textilwerk Augsburg GmbH" in r.text and "Cluster Têxtil Portugal" in r.text
    assert "@sara_staff" in r.text  # staff are named by their Telegram username


async def test_staff_act_only_on_their_partnership(
    staffed: BotDriver, caplog: pytest.LogCaptureFixture
) -> None:
    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    ex = await exchange_row(bot)
    outsider = FakeUser(id=5_099, first_name="Olga", language_code="en")
    caplog.set_level(logging.WARNING)
    # The host's partnership does not validate the match; a stranger nothing at all.
    for who, data in (
        (PEDRO, f"sv:m:{ex.id}:a"),
        (outsider, f"sv:m:{ex.id}:r"),
        (outsider, f"sv:p:{anna.id}:a"),
        (rita, f"sv:h:{ex.id}"),
    ):
        r = await bot.press_data(who, data)
        assert r.toasts and ("Only staff" in r.toasts[0] or "nur das Team" in r.toasts[0]), data
    assert (await exchange_row(bot)).phase == Phase.APPROVAL
    refused = [rec for rec in caplog.records if "refused staff action" in rec.getMessage()]
    assert len(refused) == 4
    for command in ("/pending", "/newpartnership", "/invite textiles-eu"):
        r = await bot.send(outsider, command)
        assert "for partnership staff only" in r.text
    # Someone else's exchange button.
    r = await bot.press_data(outsider, f"x:d:{ex.id}")
    assert r.toasts == ["This exchange is not yours."]


async def test_a_rejection_with_a_typed_reason(staffed: BotDriver) -> None:
    bot = staffed
    anna, _rita = people("en")
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await register(bot, anna, partnership=textiles)
    r = await bot.send(SARA, "/pending")
    assert "One item waits" in r.text and "Textilwerk Augsburg GmbH" in r.text
    await bot.press(SARA, "Reject")
    r = await bot.send(SARA, "Please add the cluster you are a member of.")
    note = r.others[anna.id][0].text
    assert "could not validate your profile" in note and "cluster you are a member" in note
    async with services_of(bot.app).db.session() as session:
        profile = await session.get(Profile, anna.id)
        assert profile is not None and profile.review == "rejected"
    r = await bot.send(SARA, "/pending")
    assert "Nothing waits" in r.text
    # Correcting the profile sends it back to the staff.
    await bot.send(anna, "/profile")
    await bot.press(anna, "Edit my profile")
    await bot.press(anna, "Motivation")
    r = await bot.send(anna, "We are members of the Augsburg textile cluster and want to learn.")
    assert "validation again" in r.text
    assert SARA.id in r.others


async def test_dates_can_be_countered_and_a_postponed_visit_is_replanned(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, "Propose dates")
    await bot.send(anna, "2027-05-03 - 2027-05-07")
    await bot.press(rita, "Propose other dates")
    r = await bot.send(rita, "10.5.2027 - 12.5.2027")
    assert "Confirm dates" in " ".join(bot.buttons(anna))
    # The proposer cannot confirm their own dates.
    ex = await exchange_row(bot)
    r = await bot.press_data(rita, f"x:ok:{ex.id}")
    assert r.toasts == ["You proposed these dates; the other side confirms them."]
    await bot.press(anna, "Confirm dates")
    ex = await exchange_row(bot)
    assert (ex.start_date, ex.end_date, ex.working_days) == (
        date(2027, 5, 10),
        date(2027, 5, 12),
        3,
    )
    assert ex.lump_sum == 550  # under 5 working days: halved
    at(clock, datetime(2027, 5, 13, 8, 0, tzinfo=UTC))
    await dispatch(bot.app)
    r = await bot.press(anna, "It was postponed")
    assert "propose them here" in r.text and rita.id in r.others
    await bot.press(anna, "Travel problems")
    ex = await exchange_row(bot)
    assert ex.phase == Phase.PLANNING and ex.start_date is None
    assert ex.happened_reason == "travel"
    pending = [r for r in await reminders(bot) if r.sent_at is None and r.cancelled_at is None]
    # The visit's reminders are gone; only the nudges for new dates remain (a week and three
    # weeks on, to both).
    assert sorted((r.kind, r.due_at - clock.now()) for r in pending) == [
        ("stalled", timedelta(days=7)),
        ("stalled", timedelta(days=7)),
        ("stalled", timedelta(days=21)),
        ("stalled", timedelta(days=21)),
    ]
    await bot.press(anna, "Propose dates")
    r = await bot.send(anna, "7.6.2027 - 11.6.2027")
    assert "4 working days" in r.text  # 10 June is a holiday in Portugal


async def test_unknown_and_bad_exchange_input(staffed: BotDriver) -> None:
    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, "Propose dates")
    for text, expected in (
        ("next week", "couldn't read the dates"),
        ("31.4.2027 - 2.5.2027", "does not exist"),
        ("2026-01-05 - 2026-01-09", "must start after today"),
    ):
        r = await bot.send(anna, text)
        assert expected in r.text, text
    r = await bot.process(anna, bot.updates.sticker(anna))
    assert "only read text" in r.text
    r = await bot.send(anna, "/cancel")
    assert "Nothing was changed" in r.text
    r = await bot.send(anna, "hello")  # back to normal chat
    assert "didn't understand" in r.text
    r = await bot.send(anna, "/exchange")
    assert "Phase: matching: agreeing on dates" in r.text
    for data in ("x:zz:1", "x:d:999999", "x:d", "x:h:1:maybe", "sv:q:abc:a", "pn:eco:99"):
        r = await bot.press_data(anna, data)
        assert r.toasts, data
