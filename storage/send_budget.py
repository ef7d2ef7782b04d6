"""Telegram's send budget shared by every instance of the bot on one PostgreSQL database.

Telegram counts a bot's new messages over all its connections: two instances behind one
webhook URL share the 30 a second. The budget is a ring of ``slots`` rows (``send_budget``),
one per recent send, each holding when that send may start; a send takes the row whose time is
the oldest and moves it to ``max(now, that time + spacing)``. So no ``slots + 1`` sends ever
start within ``spacing`` seconds of each other, whichever instance makes them, and a send waits
no longer than the budget requires. The row lock makes reservations of all instances take
turns (30 a second is nothing to PostgreSQL), and the database's clock is the one clock they
share.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_PREPARE = text(
    "INSERT INTO send_budget (slot, at) "
    "SELECT s, TIMESTAMPTZ '2000-01-01 00:00:00+00' FROM generate_series(0, :last) AS s "
    "ON CONFLICT (slot) DO NOTHING"
)
_TRIM = text("DELETE FROM send_budget WHERE slot > :last")
_RESERVE = text(
    "UPDATE send_budget SET at = greatest(clock_timestamp(), at + make_interval(secs => :spacing)) "
    "WHERE slot = (SELECT slot FROM send_budget ORDER BY at, slot LIMIT 1 FOR UPDATE) "
    "RETURNING extract(epoch FROM at - clock_timestamp())"
)


class SharedSendBudget:
    """The ring of send slots in PostgreSQL; ``reserve`` says how long a send must wait."""

    def __init__(self, engine: AsyncEngine, *, slots: int, spacing: float) -> None:
        if slots < 1 or spacing <= 0:
            raise ValueError("the send budget must be positive")
        self.engine = engine
        self.slots = slots
        self.spacing = spacing
        self._ready = False

    async def prepare(self) -> None:
        """Make sure the ring has exactly ``slots`` rows (after the migrations ran)."""
        async with self.engine.begin() as connection:
            await connection.execute(_PREPARE, {"last": self.slots - 1})
            await connection.execute(_TRIM, {"last": self.slots - 1})
        self._ready = True

    async def reserve(self) -> float:
        """Take the next send slot of all instances; seconds until the send may start."""
        if not self._ready:
            await self.prepare()
        async with self.engine.begin() as connection:
            wait = (await connection.execute(_RESERVE, {"spacing": self.spacing})).scalar_one()
        return max(0.0, float(wait))
