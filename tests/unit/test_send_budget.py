"""The send budget that instances on one PostgreSQL database share (storage.send_budget): its
two steps under concurrency, as two instances' sends reach it. PostgreSQL only."""

from __future__ import annotations

import asyncio

import pytest

from storage.db import Database
from tests.conftest import PG_URL, reset_postgres

pytestmark = pytest.mark.skipif(PG_URL is None, reason="needs CXBOT_TEST_DATABASE_URL")

SLOTS, SPACING = 30, 1.02


@pytest.fixture
async def budgets():
    """Two instances' budgets (each with its own pool) on one fresh database."""
    assert PG_URL is not None
    await reset_postgres(PG_URL)
    dbs = [Database(PG_URL) for _ in range(2)]
    await dbs[0].upgrade()
    yield [db.send_budget(slots=SLOTS, spacing=SPACING) for db in dbs]
    for db in dbs:
        await db.dispose()


async def test_concurrent_reservations_fill_each_window_with_thirty_sends(budgets) -> None:
    """90 sends reserved at once by two instances: 30 may go now, 30 one window later, 30 two
    windows later; none waits longer than that. (A row lock alone once made them queue on
    one row, each a window after the last.)"""
    waits = sorted(await asyncio.gather(*(budgets[i % 2].reserve() for i in range(3 * SLOTS))))
    windows = [round(w / SPACING) for w in waits]
    assert windows == [0] * SLOTS + [1] * SLOTS + [2] * SLOTS
    assert max(waits) < 2 * SPACING + 0.5


async def test_a_start_waits_while_the_window_of_real_starts_is_full(budgets) -> None:
    """Real starts: of 31 sends that start at once, 30 go and the 31st is told to wait for
    the first of them to be a window old; after that wait, it goes."""
    results = await asyncio.gather(*(budgets[i % 2].start() for i in range(SLOTS + 1)))
    assert sorted(results)[:SLOTS] == [0.0] * SLOTS
    late = max(results)
    assert SPACING - 0.5 < late <= SPACING
    assert await budgets[0].start() > 0  # asking again at once changes nothing
    await asyncio.sleep(late)
    assert await budgets[1].start() == 0.0
