"""The bot answers as soon as it has started: the city list loads in a worker thread, and only
a question that needs it waits for it, off the event loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.context import services_of
from bot.geo import CityIndex
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.helpers import ANSWERS, make_settings

JONAS = FakeUser(id=7_310_042_555, first_name="Jonas", language_code="de-AT")


async def test_the_bot_answers_while_the_city_list_is_still_loading(
    sqlite_url: str, clock, anna: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = CityIndex.load

    def slow(self: CityIndex) -> None:
        release.wait(30)
        real(self)

    monkeypatch.setattr(CityIndex, "load", slow)
    # Two countries and their own population floor: an index of its own, not yet loaded.
    settings = make_settings(sqlite_url, eligible_countries="DE,AT", city_min_population=4_999)
    bot = await BotDriver.start(settings, clock=clock)
    try:
        cities = services_of(bot.app).cities
        assert not cities.loaded
        r = await bot.send(JONAS, "/start")  # answered while the list loads
        assert "Willkommen bei ClusterXchange" in r.text and not cities.loaded
        await bot.send(anna, "/start")
        await bot.choose(anna, "consent", "yes")
        await bot.choose(anna, "role", ANSWERS["role"])
        await bot.choose(anna, "org_type", ANSWERS["org_type"])
        await bot.send(anna, ANSWERS["name"])
        await bot.send(anna, ANSWERS["organisation"])
        r = await bot.choose(anna, "country", "DE")
        assert "city" in r.text.lower()
        typed = asyncio.ensure_future(bot.send(anna, "Augsburg"))
        await asyncio.sleep(0.2)
        assert not typed.done()  # the city answer waits for the list, the loop runs on
        release.set()
        r = await typed
        assert cities.loaded and "ecosystem" in r.text.lower()
    finally:
        release.set()
        await bot.stop()
    assert bot.errors == []
