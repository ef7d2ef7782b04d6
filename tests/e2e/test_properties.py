"""Property tests: arbitrary text and arbitrary button data at every step never crash the bot,
and the user always gets an answer."""

from __future__ import annotations

import itertools
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.context import services_of
from bot.services.exchanges import access as exchanges
from bot.services.onboarding.access import STEPS
from bot.services.partnerships import access as partnerships
from bot.services.review import access as review
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import ConsentState, Exchange, Phase, Profile, User, utcnow
from tests.helpers import answered

ALL_STATES = ["consent", *STEPS, "summary", "edit_menu", "idle"]
_ids = itertools.count(10_000_000)

FULL_PROFILE = dict(
    role="both",
    org_type="cluster",
    name="Eva",
    organisation="Cluster",
    country="SI",
    city="Ljubljana",
    ecosystems=["digital"],
    offers="Robotics",
    seeks="AI partners",
    languages=["en", "sl"],
    available_from=date(2027, 1, 4),
    available_to=date(2027, 3, 31),
    motivation="Grow",
)


async def seed(bot: BotDriver, state: str) -> FakeUser:
    """A fresh user placed directly at ``state`` with a plausible profile."""
    user = FakeUser(id=next(_ids), language_code="de" if state in STEPS[::2] else "en")
    async with services_of(bot.app).db.session() as session:
        consent = ConsentState.PENDING if state == "consent" else ConsentState.GIVEN
        session.add(User(id=user.id, consent=consent, state=state, state_version=3))
        await session.flush()
        if state != "consent":
            order = ALL_STATES.index(state)
            fields = (
                {k: v for i, (k, v) in enumerate(FULL_PROFILE.items()) if i < order - 1}
                if state in STEPS
                else FULL_PROFILE
            )
            session.add(
                Profile(
                    user_id=user.id,
                    completed_at=utcnow() if state == "idle" else None,
                    **fields,
                )
            )
        await session.commit()
    return user


BUTTON_ACTIONS = [
    *("d", "ok", "g", "ga", "gc", "h", "hr", "rep", "rs", "fb", "o", "ics"),
    *("p", "m", "q", "r", "inv", "eco", "slug", ""),
]
KNOWN_DATA = [
    *("del:yes", "del:no", "prof:menu", "prof:edit:name", "r:3:summary:ok", "m:i:1"),
    *("x:d:1", "x:ok:1", "x:h:1:yes", "sv:h:1", "pn:reg", "pn:eco:done", "sv:p:1:a"),
]

callback_data = st.one_of(
    st.text(max_size=64),
    st.builds(
        lambda v, step, value: f"r:{v}:{step}:{value}",
        st.integers(min_value=-2, max_value=10**12),
        st.sampled_from([*ALL_STATES, "x", ""]),
        st.text(max_size=20),
    ),
    st.builds(lambda s: f"prof:{s}", st.text(max_size=20)),
    st.builds(lambda s: f"lang:{s}", st.text(max_size=5)),
    st.builds(
        lambda action, pid, tail: f"m:{action}:{pid}{tail}",
        st.sampled_from(["i", "n", "x", "r", ""]),
        st.integers(min_value=-5, max_value=10**15),
        st.sampled_from(["", ":topic", ":zzz", ":"]),
    ),
    st.builds(
        lambda prefix, action, xid, tail: f"{prefix}:{action}:{xid}{tail}",
        st.sampled_from(["x", "sv", "pn"]),
        st.sampled_from(BUTTON_ACTIONS),
        st.integers(min_value=-5, max_value=10**15),
        st.sampled_from(["", ":a", ":r", ":x:goals", ":yes", ":post", ":5", ":project", ":"]),
    ),
    st.sampled_from(KNOWN_DATA),
)

SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("state", ALL_STATES)
@SETTINGS
@given(text=st.text(min_size=1, max_size=5000))
async def test_any_text_at_any_step(bot: BotDriver, state: str, text: str) -> None:
    user = await seed(bot, state)
    result = await bot.send(user, text)
    assert answered(result)
    assert bot.errors == []


@pytest.mark.parametrize("state", ALL_STATES)
@SETTINGS
@given(data=callback_data)
async def test_any_button_data_at_any_step(bot: BotDriver, state: str, data: str) -> None:
    user = await seed(bot, state)
    result = await bot.press_data(user, data)
    assert answered(result)
    assert bot.errors == []


EXCHANGE_STATES = sorted(exchanges.STATES | partnerships.STATES | review.STATES)


async def seed_exchange(bot: BotDriver, state: str) -> FakeUser:
    """A visitor with an exchange in planning, waiting for typed input at ``state``."""
    visitor = FakeUser(id=next(_ids), language_code="en")
    host_id = next(_ids)
    async with services_of(bot.app).db.session() as session:
        for uid, country in ((visitor.id, "SI"), (host_id, "AT")):
            session.add(User(id=uid, consent=ConsentState.GIVEN, state="idle"))
            await session.flush()
            session.add(
                Profile(user_id=uid, completed_at=utcnow(), **{**FULL_PROFILE, "country": country})
            )
        exchange = Exchange(visitor_id=visitor.id, host_id=host_id, phase=Phase.PLANNING)
        session.add(exchange)
        await session.flush()
        user = await session.get(User, visitor.id)
        assert user is not None
        user.state = state
        user.state_data = {"x": exchange.id, "kind": "p", "id": host_id, "resume": None}
        await session.commit()
    return visitor


@pytest.mark.parametrize("state", EXCHANGE_STATES)
@SETTINGS
@given(text=st.text(min_size=1, max_size=3000), data=callback_data)
async def test_any_input_while_an_exchange_or_staff_answer_is_expected(
    bot: BotDriver, state: str, text: str, data: str
) -> None:
    user = await seed_exchange(bot, state)
    assert answered(await bot.send(user, text))
    assert answered(await bot.press_data(user, data))
    assert answered(await bot.process(user, bot.updates.sticker(user)))
    assert bot.errors == []
