"""Fixtures shared by the end-to-end tests of the exchange lifecycle."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.clock import FixedClock
from bot.transport.driver import BotDriver
from tests.conftest import make_settings
from tests.e2e.test_exchange import ADMIN


@pytest.fixture
async def staffed(db_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    """A bot with a super-admin, on SQLite and (when configured) PostgreSQL."""
    driver = await BotDriver.start(make_settings(db_url, admin_ids={ADMIN.id}), clock=clock)
    yield driver
    await driver.stop()
    assert driver.errors == [], "a handler raised"
