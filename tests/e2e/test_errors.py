"""Failures inside a handler or the Bot API: the user is told, nothing stored is lost."""

from __future__ import annotations

import pytest

from bot.context import services_of
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.helpers import load, state


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
