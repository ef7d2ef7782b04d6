"""Failures inside a handler or the Bot API: the user is told, nothing stored is lost."""

from __future__ import annotations

import pytest

from bot.context import services_of
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.e2e.test_exchange import SARA
from tests.helpers import load, make_partnership, register, state


async def test_a_failing_service_gets_a_localized_apology(
    bot: BotDriver, jonas: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.send(jonas, "/start")
    await bot.choose(jonas, "consent", "yes")
    await bot.choose(jonas, "role", "host")
    await bot.choose(jonas, "org_type", "cluster")
    onboarding = services_of(bot.app).onboarding

    async def broken(*_args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(onboarding, "on_text", broken)
    r = await bot.send(jonas, "Jonas Gruber")
    assert "Entschuldigung, bei mir ist etwas schiefgelaufen" in r.text
    assert len(bot.errors) == 1
    bot.errors.clear()
    monkeypatch.undo()
    r = await bot.send(jonas, "Jonas Gruber")  # the user simply tries again
    assert await state(bot, jonas.id) == "organisation"
    _user, profile = await load(bot, jonas.id)
    assert profile is not None and profile.role == "host"


async def test_a_blocked_user_does_not_break_the_bot(bot: BotDriver, anna: FakeUser) -> None:
    await bot.send(anna, "/start")
    bot.transport.block(anna.id)
    await bot.choose(anna, "consent", "yes")
    assert bot.errors and "blocked" in str(bot.errors[0]).lower()
    bot.errors.clear()
    other = FakeUser(id=5, language_code="en")
    r = await bot.send(other, "/start")
    assert "Welcome" in r.text


async def test_message_not_modified_is_ignored(bot: BotDriver, anna: FakeUser) -> None:
    await bot.send(anna, "/start")
    await bot.choose(anna, "consent", "yes")
    await bot.choose(anna, "role", "visitor")
    await bot.choose(anna, "org_type", "sme")
    await bot.send(anna, "Anna")
    await bot.send(anna, "Org")
    await bot.choose(anna, "country", "DE")
    await bot.send(anna, "Berlin")
    bot.transport.fail_next(
        "editMessageReplyMarkup", "bad_request", description="Bad Request: message is not modified"
    )
    r = await bot.choose(anna, "ecosystems", "1")
    assert not r.sent  # no duplicate message
    assert bot.errors == []


@pytest.mark.parametrize("kind", ["retry_after", "network"])
async def test_an_answer_lost_to_telegram_says_the_step_is_saved_not_try_again(
    bot: BotDriver, jonas: FakeUser, kind: str
) -> None:
    await bot.send(jonas, "/start")
    await bot.choose(jonas, "consent", "yes")
    await bot.choose(jonas, "role", "host")
    await bot.choose(jonas, "org_type", "cluster")
    bot.transport.fail_next("sendMessage", kind)
    r = await bot.send(jonas, "Jonas Gruber")
    assert len(bot.errors) == 1
    bot.errors.clear()
    assert "Telegram ist gerade sehr ausgelastet" in r.text and "/start" in r.text
    assert "erneut" not in r.text  # the name must not be typed into the next question
    assert await state(bot, jonas.id) == "organisation"
    r = await bot.send(jonas, "/start")  # the question that did not arrive
    assert "Organisation" in r.text
    _user, profile = await load(bot, jonas.id)
    assert profile is not None and profile.name == "Jonas Gruber"


async def test_staff_hear_when_nobody_fits_the_participant_they_approved(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await register(bot, anna, partnership=textiles)  # the only participant: no host at all
    r = await bot.press(SARA, "Approve")
    assert r.toasts == ["Approved"]
    assert "Nobody can be proposed to this participant yet" in r.text
    assert "Nobody is registered yet who could be your counterpart" in r.text


async def test_an_error_after_the_button_was_answered_still_reaches_the_person(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    await register(bot, anna, partnership=textiles)
    # The button is answered ("Approved"), then Telegram refuses the next message.
    bot.transport.fail_next(
        "sendMessage",
        "bad_request",
        description="Bad Request: can't parse entities",
        chat_id=SARA.id,
    )
    card, data = bot.find_button(SARA, "Approve")
    r = await bot.press_data(SARA, data, card.message_id)
    assert len(bot.errors) == 1
    bot.errors.clear()
    answers = [c for c in r.calls if c.method == "answerCallbackQuery"]
    assert answers[0].error is None and r.toasts[0] == "Approved"
    assert "Sorry, something went wrong on my side" in r.text  # the apology arrived anyway
    assert "has validated your profile" in r.others[anna.id][0].text  # committed and sent
    r = await bot.press_data(SARA, data, card.message_id)  # a second tap: no second effect
    assert r.toasts == ["Already decided (perhaps by a colleague)."]


async def test_a_button_whose_service_fails_is_answered_and_apologised_for(
    bot: BotDriver, jonas: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.send(jonas, "/start")
    workflows = services_of(bot.app).workflows

    async def broken(*_args: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(workflows, "registered", broken)
    r = await bot.choose(jonas, "consent", "yes")
    assert len(bot.errors) == 1
    bot.errors.clear()
    answers = [c for c in r.calls if c.method == "answerCallbackQuery"]
    assert [c.error for c in answers] == [None]  # the spinner stops, once
    assert "Entschuldigung, bei mir ist etwas schiefgelaufen" in r.text
