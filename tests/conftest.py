"""Shared fixtures: settings on a fresh database, a fixed clock, the offline bot driver.

Database-backed tests run on SQLite always and on PostgreSQL too when
``CXBOT_TEST_DATABASE_URL`` is set (``db_url`` is parametrised).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.clock import FixedClock
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from tests.helpers import make_settings, reset_postgres

__all__ = ["make_settings", "reset_postgres"]  # imported from here by many tests

PG_URL = os.environ.get("CXBOT_TEST_DATABASE_URL")
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "pg: also runs on PostgreSQL when configured")


def _db_params() -> list:
    params = [pytest.param("sqlite", id="sqlite")]
    if PG_URL:
        params.append(pytest.param("postgres", id="postgres"))
    return params


@pytest.fixture(params=_db_params())
async def db_url(request: pytest.FixtureRequest, tmp_path) -> AsyncIterator[str]:
    """A fresh database URL: SQLite file, and PostgreSQL when configured."""
    if request.param == "postgres":
        assert PG_URL
        await reset_postgres(PG_URL)
        yield PG_URL
    else:
        yield f"sqlite+aiosqlite:///{tmp_path / 'cxbot.sqlite3'}"


@pytest.fixture
async def sqlite_url(tmp_path) -> str:
    """A fresh SQLite database (for tests that need not run twice)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'cxbot.sqlite3'}"


@pytest.fixture
def clock() -> FixedClock:
    """Today is 2026-11-21 for every test."""
    return FixedClock(NOW)


async def _running_bot(url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    """Start the bot, hand it to the test, stop it, and fail the test if a handler raised."""
    driver = await BotDriver.start(make_settings(url), clock=clock)
    yield driver
    await driver.stop()
    assert driver.errors == [], "a handler raised"


@pytest.fixture
async def bot(sqlite_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    """The real Application on the offline transport and a fresh SQLite database."""
    async for driver in _running_bot(sqlite_url, clock):
        yield driver


@pytest.fixture
async def any_db_bot(db_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    """Like ``bot``, on SQLite and (when configured) PostgreSQL."""
    async for driver in _running_bot(db_url, clock):
        yield driver


@pytest.fixture
def anna() -> FakeUser:
    """An English-speaking participant."""
    return FakeUser(id=7_310_042_111, first_name="Anna", username="anna_sme", language_code="en-GB")


@pytest.fixture
def jonas() -> FakeUser:
    """A German-speaking participant (Austrian Telegram client)."""
    return FakeUser(
        id=7_310_042_222, first_name="Jonas", username="jonas_at", language_code="de-AT"
    )
