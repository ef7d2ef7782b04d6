"""Property tests of the events feature: whatever an attendee or a staff member sends at any
step of the quick sign-up, of /newevent or of a broadcast (any text, any button data, a
sticker, any event code), the bot answers, no handler raises, and nothing stored is lost."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.context import services_of
from bot.services.events import access as events
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Attendee, ConsentState, Event, Profile, User, utcnow
from tests.helpers import answered, load, make_event, make_partnership

_ids = itertools.count(20_000_000)
STAFF = FakeUser(id=19_999_999, first_name="Sara", language_code="en")

# What the quick sign-up stores before each of its questions.
QUICK = {
    "q_name": {},
    "q_country": {"name": "Eva Novak", "organisation": "Cluster Sava"},
    "q_offers": {"name": "Eva Novak", "organisation": "Cluster Sava", "country": "SI"},
    "q_seeks": {
        "name": "Eva Novak",
        "organisation": "Cluster Sava",
        "country": "SI",
        "offers": "Robotics for wood processing",
    },
}
QUICK["q_done"] = QUICK["q_consent"] = {**QUICK["q_seeks"], "seeks": "Partners in AI"}
ATTENDEE_STATES = ["q_consent", *events.SIGNUP, "q_done"]

# Valid answers to /newevent's questions, to reach each of its steps the way staff do.
CREATE_ANSWERS = {
    "evn_name": "Brokerage Day",
    "evn_dates": "12.5.2027 – 13.5.2027",
    "evn_city": "Augsburg",
    "evn_desc": "Textiles and circular economy",
    "evn_point": "Stand B12",
}

callback_data = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda prefix, action, number, tail: f"{prefix}:{action}:{number}{tail}",
        st.sampled_from(["ev", "es", "en", "q"]),
        st.sampled_from(["i", "n", "m", "c", "more", "f", "csv", "ch", "qr", "b", "bs", "bx", ""]),
        st.integers(min_value=-5, max_value=10**15),
        st.sampled_from(["", ":y", ":n", ":yes", ":no", ":q_country:DE", ":skip", ":"]),
    ),
    st.builds(
        lambda v, step, value: f"q:{v}:{step}:{value}",
        st.integers(min_value=-2, max_value=10**12),
        st.sampled_from([*ATTENDEE_STATES, "x", ""]),
        st.text(max_size=20),
    ),
)
start_payload = st.one_of(
    st.text(alphabet=st.characters(codec="ascii", categories=["L", "N"]), max_size=40),
    st.just("ev_"),
    st.builds(lambda s: f"ev_{s}", st.text(max_size=30)),
)

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


async def the_event(bot: BotDriver) -> tuple[int, str]:
    """One running event per bot (Hypothesis runs every example on the same bot)."""
    known = bot.app.bot_data.get("test_event")
    if known is None:
        pid = await make_partnership(bot, "wood", "Wood Cluster Partnership", staff=(STAFF,))
        code = await make_event(bot, pid)
        async with services_of(bot.app).db.session() as session:
            event = (await session.execute(select(Event).where(Event.code == code))).scalar_one()
        known = bot.app.bot_data["test_event"] = (event.id, code)
    return known


async def seed_attendee(bot: BotDriver, state: str) -> tuple[FakeUser, int]:
    """A fresh attendee of the event at ``state`` of the quick sign-up."""
    event_id, _code = await the_event(bot)
    user = FakeUser(id=next(_ids), language_code="de" if state in events.SIGNUP[::2] else "en")
    fields = QUICK[state]
    async with services_of(bot.app).db.session() as session:
        consent = ConsentState.PENDING if state == "q_consent" else ConsentState.GIVEN
        steps = list(events.SIGNUP)
        session.add(
            User(
                id=user.id,
                consent=consent,
                state=state,
                state_version=2,
                state_data={"event": event_id, "steps": steps},
            )
        )
        await session.flush()
        if state != "q_consent":
            session.add(Profile(user_id=user.id, **fields))
            session.add(Attendee(event_id=event_id, user_id=user.id, joined_at=utcnow()))
        await session.commit()
    return user, event_id


async def assert_kept(bot: BotDriver, user: FakeUser, state: str, event_id: int) -> None:
    """The attendance and every answer given before are still stored."""
    if state == "q_consent":
        return
    _user, profile = await load(bot, user.id)
    assert profile is not None
    for field, value in QUICK[state].items():
        assert getattr(profile, field), f"{field} was lost"
        if field == "country":
            assert profile.country == value
    async with services_of(bot.app).db.session() as session:
        assert await session.get(Attendee, (event_id, user.id)) is not None


@pytest.mark.parametrize("state", ATTENDEE_STATES)
@SETTINGS
@given(text=st.text(min_size=1, max_size=3000), data=callback_data, payload=start_payload)
async def test_any_input_during_the_quick_signup(
    bot: BotDriver, state: str, text: str, data: str, payload: str
) -> None:
    user, event_id = await seed_attendee(bot, state)
    assert answered(await bot.send(user, text))
    assert answered(await bot.press_data(user, data))
    assert answered(await bot.process(user, bot.updates.sticker(user)))
    assert answered(await bot.send(user, "/start " + payload))
    assert bot.errors == []
    await assert_kept(bot, user, state, event_id)


async def staff_at(bot: BotDriver, state: str) -> FakeUser:
    """The staff member, with /newevent answered up to ``state`` (or at a broadcast's text)."""
    event_id, _code = await the_event(bot)
    await bot.send(STAFF, "/cancel")
    if state == events.BROADCAST:
        async with services_of(bot.app).db.session() as session:
            user = await session.get(User, STAFF.id)
            assert user is not None
            user.state, user.state_data = state, {"event": event_id}
            user.state_version += 1
            await session.commit()
        return STAFF
    await bot.send(STAFF, "/newevent")
    for step in events.CREATE[: events.CREATE.index(state)]:
        await bot.send(STAFF, CREATE_ANSWERS[step])
    user, _profile = await load(bot, STAFF.id)
    assert user is not None and user.state == state
    return STAFF


@pytest.mark.parametrize("state", [*events.CREATE, events.BROADCAST])
@SETTINGS
@given(text=st.text(min_size=1, max_size=3000), data=callback_data)
async def test_any_input_while_staff_create_an_event_or_write_a_broadcast(
    bot: BotDriver, state: str, text: str, data: str
) -> None:
    staff = await staff_at(bot, state)
    async with services_of(bot.app).db.session() as session:
        before = len((await session.execute(select(Event))).scalars().all())
    assert answered(await bot.send(staff, text))
    assert answered(await bot.press_data(staff, data))
    assert answered(await bot.process(staff, bot.updates.sticker(staff)))
    assert bot.errors == []
    async with services_of(bot.app).db.session() as session:
        after = (await session.execute(select(Event))).scalars().all()
    assert len(after) >= before  # no event is ever lost
