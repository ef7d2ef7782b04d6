"""The callback grammar and the features' codecs: what is built parses back to the same
value, nothing Telegram would refuse can be built, and nothing malformed parses."""

from __future__ import annotations

import pytest

from bot.services import deeplinks
from bot.services.account import callbacks as account
from bot.services.callbacks import MAX_BYTES, CallbackDataError, number, pack, unpack
from bot.services.events import callbacks as events
from bot.services.exchanges import callbacks as exchanges
from bot.services.exchanges.lifecycle import Act
from bot.services.matchmaking import callbacks as matchmaking
from bot.services.onboarding import callbacks as onboarding
from bot.services.partnerships import callbacks as partnerships
from bot.services.review import callbacks as review
from bot.services.review.view import REJECT_REASONS

BIG = 2**63 - 1  # the largest id the database holds


def test_pack_refuses_what_telegram_would_refuse() -> None:
    assert pack("m", "i", 12) == "m:i:12"
    with pytest.raises(CallbackDataError):
        pack("x", "a:b")  # the separator inside a field
    with pytest.raises(CallbackDataError):
        pack("x", "")
    with pytest.raises(CallbackDataError):
        pack("r", 1, "city", "ü" * 30)  # 60 characters, but 66 bytes


def test_unpack_and_number_take_only_well_formed_data() -> None:
    assert unpack("m:i:12", "m", (2,)) == ["i", "12"]
    assert unpack("m:i:12", "m", (3,)) is None
    assert unpack("mm:i:12", "m", (2,)) is None
    assert unpack("m::12", "m", (2,)) is None
    assert unpack("m:" + "1" * MAX_BYTES, "m", (1,)) is None
    assert unpack(None, "m", (2,)) is None
    assert number("12") == 12 and number("0") == 0
    assert number(str(BIG)) == BIG
    for text in ("²", "١٢", "-1", "+1", " 1", "1.0", "", str(BIG + 1), "1" * 20):
        assert number(text) is None, text


@pytest.mark.parametrize(
    ("data", "parse", "expected"),
    [
        (matchmaking.answer("i", BIG), matchmaking.parse, matchmaking.Press("i", BIG)),
        (matchmaking.reason(7, "dates"), matchmaking.parse, matchmaking.Press("r", 7, "dates")),
        (
            exchanges.button(Act.RATE_HOST, BIG, 5),
            exchanges.parse,
            exchanges.Press(Act.RATE_HOST, BIG, "5"),
        ),
        (
            exchanges.button(Act.OUTCOME, 3, "negotiation"),
            exchanges.parse,
            exchanges.Press(Act.OUTCOME, 3, "negotiation"),
        ),
        (exchanges.button(Act.CALENDAR, 3), exchanges.parse, exchanges.Press(Act.CALENDAR, 3)),
        (
            onboarding.step(BIG, "available_from", "keep"),
            onboarding.parse,
            onboarding.Step(BIG, "available_from", "keep"),
        ),
        (
            onboarding.profile_edit("email"),
            onboarding.parse_profile,
            onboarding.ProfileEdit("email"),
        ),
        (partnerships.invite(BIG), partnerships.parse, partnerships.Invite(BIG)),
        (partnerships.ecosystem(None), partnerships.parse, partnerships.Ecosystem(None)),
        (partnerships.ecosystem(13), partnerships.parse, partnerships.Ecosystem(13)),
        (account.language("de"), account.parse, account.Language("de")),
        (account.delete(True), account.parse, account.Delete(True)),
        (account.delete(True, warned=True), account.parse, account.Delete(True, warned=True)),
        (account.delete(False, warned=True), account.parse, account.Delete(False)),
        (events.met(BIG, True), events.parse_attendee, events.Attendee("m", BIG, "y")),
        (events.more(4), events.parse_attendee, events.Attendee("more", 4)),
        (events.staff("bs", BIG), events.parse_staff, events.Staff("bs", BIG)),
    ],
)
def test_what_is_built_parses_back(data: str, parse, expected) -> None:  # type: ignore[no-untyped-def]
    assert len(data.encode()) <= MAX_BYTES
    assert parse(data) == expected


def test_review_buttons_parse_back_with_their_reasons() -> None:
    for kind, reasons in REJECT_REASONS.items():
        assert review.parse(review.approve(kind, BIG), REJECT_REASONS) == review.Decide(
            kind, BIG, True
        )
        for code in reasons:
            data = review.reject_for(kind, BIG, code)
            assert len(data.encode()) <= MAX_BYTES
            assert review.parse(data, REJECT_REASONS) == review.Decide(kind, BIG, False, code)
    assert review.parse("sv:p:1:x:made-up", REJECT_REASONS) is None
    assert review.parse("sv:z:1:a", REJECT_REASONS) is None


def test_values_outside_an_action_do_not_parse() -> None:
    assert exchanges.parse("x:fb:1:6") is None
    assert exchanges.parse("x:h:1:maybe") is None
    assert exchanges.parse("x:d:1:extra") is None
    assert exchanges.parse("x:zz:1") is None
    assert matchmaking.parse("m:r:1:because") is None
    assert account.parse("del:no:x") is None and account.parse("del:yes:y") is None
    with pytest.raises(ValueError):
        exchanges.button(Act.RATE_HOST, 1, 6)


def test_deep_links() -> None:
    assert deeplinks.parse("ev_Ab-9_x") == deeplinks.Payload(deeplinks.EVENT, "Ab-9_x")
    assert deeplinks.parse("st_token") == deeplinks.Payload(deeplinks.STAFF_INVITE, "token")
    assert deeplinks.parse("p_textiles-eu").kind == deeplinks.PARTNERSHIP  # type: ignore[union-attr]
    for payload in ("", "ev_", "xx_1", "ev_a b", "ev_<b>", "p_" + "a" * 63, None):
        assert deeplinks.parse(payload) is None, payload
    assert deeplinks.link("cxbot", deeplinks.IMPORT, "abc") == "https://t.me/cxbot?start=imp_abc"
    assert deeplinks.link(None, deeplinks.IMPORT, "abc") == "/start imp_abc"
    with pytest.raises(ValueError):
        deeplinks.payload(deeplinks.EVENT, "a:b")
