"""Hostile text in every field a person types, through every message another person receives.

The offline transport parses HTML as strictly as Telegram ("can't parse entities"), so an
organisation, event or partnership name with ``<``, ``&`` or ``</i>`` that reaches a message,
a caption or a file unescaped fails here: a refused message is one nobody receives. Each
example plays a registration with validation, a mutual match, the exchange up to goals and
agenda and a typed rejection, and an event with a meeting and a broadcast; every message to
someone else must arrive and show the text as it was typed (as stored).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar
from sqlalchemy import select

from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.transport import telegram_html
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Profile
from tests.e2e.test_events import settle
from tests.e2e.test_matching import RITA_ANSWERS
from tests.helpers import make_event, make_partnership, make_settings, quick_signup, register

FRAGMENTS = [
    "<", ">", "&", "</i>", "<b>", "</b>", "&amp;", "&lt;", '"', "'", "<a href='x'>", "\u202e",
    "\u200f", "e.V.", "GmbH & Co. KG", "R&D", "<script>", "Müller", "🚀", " ",
]  # fmt: skip
hostile = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5).map("".join)
_ids = itertools.count(8_000_000)


async def press(bot: BotDriver, user: FakeUser, prefix: str, suffix: str = ""):  # type: ignore[no-untyped-def]
    """Press the newest button whose data starts with ``prefix`` and ends with ``suffix``
    (whatever the label reads in the user's language)."""
    for message in reversed(bot.transport.messages(user.id)):
        for row in message.buttons():
            for _label, data in row:
                if data.startswith(prefix) and data.endswith(suffix):
                    return await bot.press_data(user, data, message.message_id)
    raise LookupError(f"no button {prefix}…{suffix} for {user.id}")


def plain(message) -> str:  # type: ignore[no-untyped-def]
    """What the reader sees (the transport stored the HTML)."""
    return telegram_html.parse(message.text or message.caption or "")


def delivered_to_others(bot: BotDriver, since: dict[int, int], me: set[int]) -> int:
    """Every chat but ``me`` got its messages; returns how many there were."""
    count = 0
    for chat in bot.transport.chat_ids():
        if isinstance(chat, int) and chat not in me:
            count += len(bot.transport.messages(chat)[since.get(chat, 0) :])
    return count


async def organisation(bot: BotDriver, user_id: int) -> str:
    async with services_of(bot.app).db.session() as session:
        profile = await session.get(Profile, user_id)
        assert profile is not None and profile.organisation
        return profile.organisation


@settings(
    max_examples=4,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(org=hostile, partnership=hostile, goals=hostile, reason=hostile, event=hostile)
async def test_hostile_names_and_texts_reach_everyone_intact(
    tmp_path: Path,
    clock: FixedClock,
    org: str,
    partnership: str,
    goals: str,
    reason: str,
    event: str,
) -> None:
    n = next(_ids) * 10  # five people per example, each example on a database of its own
    url = f"sqlite+aiosqlite:///{tmp_path / f'hostile-{n}.sqlite3'}"
    bot = await BotDriver.start(make_settings(url), clock=clock)
    try:
        await _play(bot, n, org, partnership, goals, reason, event)
    finally:
        await bot.stop()


async def _play(
    bot: BotDriver, n: int, org: str, partnership: str, goals: str, reason: str, event: str
) -> None:
    staff = FakeUser(id=n, first_name="Sara", username=f"s{n}", language_code="de")
    visitor = FakeUser(id=n + 1, first_name="Anna", language_code="en")
    host = FakeUser(id=n + 2, first_name="Rita", language_code="de")
    pid = await make_partnership(bot, f"p{n}", f"Cluster {partnership}", staff=(staff,))
    before = {c: len(bot.transport.messages(c)) for c in bot.transport.chat_ids()}

    # Registrations with hostile organisations, validated by the staff (cards to staff, the
    # newcomer's card to the visitor).
    await register(bot, visitor, partnership=pid, organisation=f"Acme {org} GmbH",
                   name=f"Anna {org}", offers=f"Digital twins {org}")  # fmt: skip
    await press(bot, staff, "sv:", ":a")
    host_answers = {
        **RITA_ANSWERS,
        "organisation": f"Têxtil {org}",
        "seeks": f"Partners {org} for digital twins",
        "languages": ["en", "de"],
    }
    await register(bot, host, partnership=pid, **host_answers)
    await press(bot, staff, "sv:", ":a")
    visitor_org, host_org = await organisation(bot, visitor.id), await organisation(bot, host.id)
    assert host_org in plain(bot.transport.last_message(visitor.id))  # the newcomer's card

    # Mutual interest: cards and introductions, the match to validate.
    await press(bot, visitor, "m:i:")
    assert visitor_org in plain(bot.transport.last_message(host.id))
    r = await press(bot, host, "m:i:")
    assert any(visitor_org in plain(m) for m in r.sent)  # the host's introduction
    assert any(host_org in plain(m) for m in r.others[visitor.id])
    assert any(visitor_org in plain(m) for m in r.others[staff.id])
    await press(bot, staff, "sv:", ":a")

    # Dates: the proposal to the other side, the calendar files (captions) to both.
    await press(bot, visitor, "x:d:")
    r = await bot.send(visitor, "2027-05-03 - 2027-05-07")
    assert any(visitor_org in plain(m) for m in r.others[host.id])
    r = await press(bot, host, "x:ok:")
    ics = [m for m in r.others[visitor.id] if m.document is not None]
    assert ics and host_org in plain(ics[0])
    [visit] = Calendar.from_ical(ics[0].document.content).walk("VEVENT")
    assert host_org in str(visit["SUMMARY"])

    # Goals and agenda to the host, then to the staff, and a typed rejection back.
    await press(bot, visitor, "x:g:")
    await bot.send(visitor, f"Learn recycling {goals} and start a project.")
    r = await bot.send(visitor, f"Day 1: tour {goals}; Day 2: workshop on fibres.")
    assert r.others[host.id]
    await press(bot, host, "x:ga:")
    await press(bot, staff, "sv:q:", ":r")
    r = await bot.send(staff, f"Please add more {reason} detail")
    assert r.others[visitor.id]

    # An event: cards and introductions with the meeting point, a broadcast.
    code = await make_event(bot, pid, name=f"Day {event}", meeting_point=f"Stand {event}")
    one = FakeUser(id=n + 3, first_name="Mia", language_code="de")
    two = FakeUser(id=n + 4, first_name="Luca", language_code="en")
    await quick_signup(bot, one, code, name=f"Mia {org}, Werk {org}",
                       offers=f"Sensors {org}", seeks="Recycled fibres")  # fmt: skip
    await quick_signup(bot, two, code, name=f"Luca {org}, Hub {org}",
                       offers="Recycled fibres", seeks=f"Sensors {org}")  # fmt: skip
    await press(bot, one, "ev:i:")
    r = await press(bot, two, "ev:i:")
    assert r.others[one.id]  # the introduction with the meeting point
    await bot.send(staff, "/event")  # the QR code and the poster again, with their captions
    r = await press(bot, staff, "es:qr:")
    assert len([m for m in r.sent if m.document or m.photo]) == 2
    await bot.send(staff, "/broadcast")
    await press(bot, staff, "es:b:")
    await bot.send(staff, f"Lunch {event} in Hall 2")
    await press(bot, staff, "es:bs:")
    await settle(bot)

    failed = [c for c in bot.transport.calls if c.error]
    assert failed == [], failed[:3]
    assert bot.errors == [], bot.errors[:3]
    assert delivered_to_others(bot, before, set()) > 20
    # Someone asked later still sees the names (reminders are written when they fall due).
    services_of(bot.app).clock.advance(timedelta(days=1))
    await dispatch(bot.app)
    assert [c for c in bot.transport.calls if c.error] == []
    async with services_of(bot.app).db.session() as session:
        assert (await session.execute(select(Profile).where(Profile.user_id == one.id))).first()
