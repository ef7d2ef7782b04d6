"""The /search buttons' codec: every button it builds parses back to what it was built from,
fits Telegram's 64 bytes, and anything else parses to None."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain import ECOSYSTEMS
from bot.services import deeplinks
from bot.services.callbacks import MAX_BYTES, MAX_ID
from bot.services.deeplinks import Links
from bot.services.search import callbacks
from bot.services.search.members import STATUSES

versions = st.integers(min_value=0, max_value=MAX_ID)
user_ids = st.integers(min_value=1, max_value=2**52 - 1)
letters = st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
changes = st.one_of(
    st.tuples(st.just(callbacks.PAGE), st.integers(0, callbacks.MAX_PAGE).map(str)),
    st.tuples(st.just(callbacks.MENU), st.sampled_from([*callbacks.MENUS, callbacks.BACK])),
    st.tuples(st.just(callbacks.ROLE), st.sampled_from(callbacks.ROLES)),
    st.tuples(st.just(callbacks.COUNTRY), st.tuples(letters, letters).map("".join)),
    st.tuples(st.just(callbacks.ECOSYSTEM), st.sampled_from(sorted(ECOSYSTEMS))),
    st.tuples(st.just(callbacks.LANGUAGE), st.tuples(letters, letters).map("".join).map(str.lower)),
    st.tuples(st.just(callbacks.SOON), st.sampled_from(["0", "1"])),
    st.tuples(st.just(callbacks.ANY), st.sampled_from(callbacks.MENUS)),
)


@given(user_ids, st.text(max_size=20))
def test_interested_round_trip_through_the_peers_token(user_id: int, secret: str) -> None:
    links = Links("cxbot_offline_bot", secret)
    token = links.organisation(user_id)
    data = callbacks.interested(token)
    assert len(data.encode()) <= MAX_BYTES
    if user_id >= 10**8:  # a real Telegram id is not in the button
        assert str(user_id) not in data
    press = callbacks.parse(data)
    assert press == callbacks.Interest(token)
    assert links.organisation_id(press.token) == user_id
    # The deep link of the same profile (inline mode) fits Telegram's 64 characters too.
    payload = deeplinks.payload(deeplinks.ORGANISATION, token)
    assert deeplinks.parse(payload) == deeplinks.Payload(deeplinks.ORGANISATION, token)


@given(
    st.text(
        alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        min_size=11,
        max_size=11,
    )
)
def test_a_guessed_token_names_nobody_else(token: str) -> None:
    links = Links(None, "key")
    user_id = links.organisation_id(token)
    assert user_id is None or links.organisation(user_id) == token


@given(versions, changes)
def test_change_round_trip(version: int, change: tuple[str, str]) -> None:
    step, value = change
    data = callbacks.change(version, step, value)
    assert len(data.encode()) <= MAX_BYTES
    assert callbacks.parse(data) == callbacks.Change(version, step, value)


@given(st.text(max_size=80))
def test_anything_else_parses_to_none_or_a_valid_press(data: str) -> None:
    press = callbacks.parse(data)
    if press is not None:  # only what the builders would have made
        if isinstance(press, callbacks.Interest):
            assert callbacks.interested(press.token) == data
        else:
            assert callbacks.change(press.version, press.step, press.value) == data


@pytest.mark.parametrize(
    "data",
    [
        "sq:i:0",
        "sq:i:-1",
        "sq:i:²²²²²²²²²²²",
        "sq:i:7310043001",
        "sq:i:AAAAAAAAAAAA",
        "sq:i:AAAAAAAAAA=",
        "sq:i:1:2",
        "sq:1:pg:x",
        "sq:1:pg:10000",
        "sq:1:cty:de",
        "sq:1:cty:DE\n",
        "sq:1:eco:space",
        "sq:1:mn:other",
        "sq:1:role:x",
        "sq:1:mon:2",
        "sq:x:pg:1",
        "m:1:pg:1",
        "sq:1:pg:",
        None,
        "",
    ],
)
def test_malformed_or_forged_data_parses_to_none(data: str | None) -> None:
    assert callbacks.parse(data) is None


def test_a_button_that_would_not_parse_is_refused_when_built() -> None:
    with pytest.raises(ValueError):
        callbacks.change(1, callbacks.COUNTRY, "Germany")


# Staff search (/participants): its own prefix, the state and partnership criteria, no map.
staff_changes = st.one_of(
    changes,
    st.tuples(st.just(callbacks.MENU), st.sampled_from(callbacks.STAFF_MENUS)),
    st.tuples(st.just(callbacks.ANY), st.sampled_from(callbacks.STAFF_MENUS)),
    st.tuples(st.just(callbacks.STATUS), st.sampled_from(STATUSES)),
    st.tuples(st.just(callbacks.PARTNERSHIP), st.integers(0, MAX_ID).map(str)),
)


@given(versions, staff_changes)
def test_staff_change_round_trip_and_is_no_participant_button(
    version: int, change: tuple[str, str]
) -> None:
    step, value = change
    data = callbacks.staff_change(version, step, value)
    assert len(data.encode()) <= MAX_BYTES
    assert callbacks.parse_staff(data) == callbacks.Change(version, step, value)
    assert callbacks.parse(data) is None  # a participant's handler never takes it


@given(user_ids)
def test_staff_open_round_trip(user_id: int) -> None:
    links = Links(None, "key")
    token = links.organisation(user_id)
    data = callbacks.staff_open(token)
    assert callbacks.parse_staff(data) == callbacks.Open(token)
    assert callbacks.parse(data) is None


@given(st.text(max_size=80))
def test_anything_else_parses_to_none_or_a_valid_staff_press(data: str) -> None:
    press = callbacks.parse_staff(data)
    if press is not None:
        if isinstance(press, callbacks.Open):
            assert callbacks.staff_open(press.token) == data
        else:
            assert callbacks.staff_change(press.version, press.step, press.value) == data


@pytest.mark.parametrize(
    "data",
    [
        "ss:1:map:1",  # staff lists have no map
        "ss:1:st:maybe",
        "ss:1:pn:x",
        "ss:1:pn:-1",
        "ss:1:mn:other",
        "ss:i:AAAAAAAAAAA",  # a participant's Interested under the staff prefix
        "ss:o:AAAAAAAAAA",
        "sq:1:st:ok",  # participants have no state criterion
        "sq:1:pn:1",
        "sq:1:mn:st",
        "sq:o:AAAAAAAAAAA",
    ],
)
def test_staff_and_participant_buttons_stay_apart(data: str) -> None:
    assert callbacks.parse(data) is None
    assert callbacks.parse_staff(data) is None
