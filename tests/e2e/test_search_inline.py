"""Inline mode through the real Application: ``@bot words`` in any chat lists validated,
active organisations (no names, no contacts) with a deep link that opens the profile in the
bot, where the normal rules apply."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from bot.transport import telegram_html
from bot.transport.driver import BotDriver
from bot.transport.offline import ApiCall
from bot.transport.updates import FakeUser
from storage.models import Review
from tests.e2e.test_search import BERLIN, LUCA, LUCA_ANSWERS, LYON, PORTO, plain, set_profile
from tests.helpers import register

MANAGER = FakeUser(id=7_310_043_100, first_name="Mara", username="mara_cm", language_code="en")


async def inline(bot: BotDriver, user: FakeUser, query: str, offset: str = "") -> dict[str, Any]:
    """Type ``@bot query`` (or scroll to the page at ``offset``); the parameters of the bot's
    answerInlineQuery."""
    before = len(bot.transport.calls)
    await bot.app.process_update(bot.updates.inline_query(user, query, offset))
    calls: list[ApiCall] = [
        c for c in bot.transport.calls[before:] if c.method == "answerInlineQuery"
    ]
    assert len(calls) == 1 and calls[0].error is None
    return calls[0].params


def titles(answer: dict[str, Any]) -> list[str]:
    return [r["title"] for r in answer["results"]]


def start_payload(result: dict[str, Any]) -> str:
    [[button]] = result["reply_markup"]["inline_keyboard"]
    url = urlparse(button["url"])
    assert url.netloc == "t.me" and url.path == "/cxbot_offline_bot"
    return parse_qs(url.query)["start"][0]


async def test_inline_lists_active_validated_organisations_without_contacts(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)
    for user, answers in (PORTO, BERLIN, LYON):
        await register(bot, user, **answers)
    await register(bot, LUCA, **LUCA_ANSWERS)
    await bot.send(LYON[0], "/pause")
    await set_profile(bot, BERLIN[0].id, review=Review.PENDING)
    answer = await inline(bot, anna, "3D-Druck")
    assert sorted(titles(answer)) == ["Additive Lab Torino", "Cluster Têxtil Portugal"]
    assert answer["is_personal"] is True
    for result in answer["results"]:
        assert result["type"] == "article"
        posted = telegram_html.parse(result["input_message_content"]["message_text"])
        assert result["title"] in posted and "Offers:" in posted
        for secret in ("Luca", "luca@example.it", "luca_it", "Host 7310043002", "example.org"):
            assert secret not in posted and secret not in result["description"]
        assert start_payload(result).startswith("o_")
        assert str(LUCA.id) not in start_payload(result)  # the id is not in the link
    # The same-country rule is a pair's, not the list's: Anna, in Germany, is listed too.
    assert "Textilwerk Augsburg GmbH" in titles(await inline(bot, LUCA, "digital twins"))


async def test_inline_is_for_participants_and_staff_only(bot: BotDriver) -> None:
    await register(bot, LUCA, **LUCA_ANSWERS)
    answer = await inline(bot, MANAGER, "additive manufacturing")
    assert answer["results"] == []
    assert answer["button"]["start_parameter"] == "inline"
    assert "Register" in answer["button"]["text"]


async def test_inline_speaks_the_askers_language(bot: BotDriver, jonas: FakeUser) -> None:
    await register(bot, LUCA, **LUCA_ANSWERS)
    await register(bot, jonas, name="Jonas Gruber", organisation="Textilwerk Augsburg GmbH")
    answer = await inline(bot, jonas, "additive Fertigung")
    [result] = answer["results"]
    posted = telegram_html.parse(result["input_message_content"]["message_text"])
    assert "Angebot:" in posted and "Italien" in result["description"]
    assert result["reply_markup"]["inline_keyboard"][0][0]["text"] == "In cxbot öffnen"


async def test_the_link_opens_the_card_with_interested(
    any_db_bot: BotDriver, jonas: FakeUser
) -> None:
    bot = any_db_bot  # also on PostgreSQL when configured
    await register(bot, LUCA, **LUCA_ANSWERS)
    await register(bot, jonas, name="Jonas Gruber", organisation="Textilwerk Augsburg GmbH")
    [result] = (await inline(bot, LUCA, "digital twins"))["results"]
    assert result["title"] == "Textilwerk Augsburg GmbH"
    [result] = (await inline(bot, jonas, "additive manufacturing"))["results"]
    r = await bot.send(jonas, f"/start {start_payload(result)}")
    card = plain(r.last)
    assert "Additive Lab Torino" in card and "Warum dieser Vorschlag" in card
    assert "luca@example.it" not in card
    r = await bot.press(jonas, "Interessiert")
    assert "sobald" in r.text  # waits for the other side
    luca_card = plain(bot.transport.last_message(LUCA.id))
    assert "Textilwerk Augsburg GmbH" in luca_card


async def test_the_link_explains_when_the_rules_do_not_allow(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)  # Germany
    user, answers = BERLIN  # Germany too
    await register(bot, user, **answers)
    [result] = (await inline(bot, anna, "additive manufacturing"))["results"]
    r = await bot.send(anna, f"/start {start_payload(result)}")
    assert "Berlin Druckwerk" in plain(r.last)
    assert "rules do not allow an exchange" in plain(r.last)
    assert not r.last.buttons()


async def test_the_link_for_someone_new_starts_the_registration(
    bot: BotDriver, anna: FakeUser
) -> None:
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    [result] = (await inline(bot, anna, "additive manufacturing"))["results"]
    r = await bot.send(MANAGER, f"/start {start_payload(result)}")
    assert "You opened the profile of an organisation" in r.texts[0]
    assert "Additive Lab Torino" not in r.text
    assert any("consent" in data for row in r.last.buttons() for _t, data in row)


async def test_a_forged_link_shows_nothing(bot: BotDriver, anna: FakeUser) -> None:
    await register(bot, anna)
    await register(bot, LUCA, **LUCA_ANSWERS)
    for payload in ("o_AAAAAAAAAAA", "o_zzzzzzzzzzz", f"o_{LUCA.id}"):
        r = await bot.send(anna, f"/start {payload}")
        assert "not available" in r.text or "Welcome back" in r.text
        assert "Additive Lab Torino" not in r.text


async def test_inline_results_come_a_page_at_a_time_up_to_a_limit(
    bot: BotDriver, anna: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.search import service

    await register(bot, anna)
    for user, answers in (PORTO, BERLIN, LYON):
        await register(bot, user, **answers)
    await register(bot, LUCA, **LUCA_ANSWERS)
    everything = titles(await inline(bot, anna, "3D-Druck"))
    assert len(everything) == 4
    monkeypatch.setattr(service, "INLINE_RESULTS", 2)
    first = await inline(bot, anna, "3D-Druck")
    assert titles(first) == everything[:2] and first["next_offset"] == "2"
    second = await inline(bot, anna, "3D-Druck", offset=first["next_offset"])
    assert titles(second) == everything[2:] and "next_offset" not in second  # the last page
    # An offset we never gave (forged, or from another query) starts again at the top.
    for forged in ("x", "-2", "1", "2e3", "٢", "99999999999999999999"):
        assert titles(await inline(bot, anna, "3D-Druck", offset=forged)) == everything[:2]
    # However many fit, no more than INLINE_MAX are listed over all pages.
    monkeypatch.setattr(service, "INLINE_MAX", 2)
    capped = await inline(bot, anna, "3D-Druck")
    assert titles(capped) == everything[:2] and "next_offset" not in capped
