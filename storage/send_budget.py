"""Telegram's send budget shared by every instance of the bot on one PostgreSQL database.

Telegram counts a bot's new messages over all its connections: two instances behind one
webhook URL share the 30 a second. The budget is a ring of ``slots`` rows (``send_budget``),
one per recent send, in two steps, as the limiter keeps its own budget:

- ``reserve``: each row holds when the send that took it may start; a send takes the row whose
  time is the oldest and moves it to ``max(now, that time + spacing)``, and sleeps until then.
  Sends are served first come, first served, and wait no longer than the budget requires.
- ``start``: each row also holds when a send really started. A send that woke from its sleep
  starts only if the oldest of these is ``spacing`` old, and stamps it with now; else it waits
  the difference and asks again. A sleeper woken late (a busy event loop, a slow round trip)
  next to a punctual one of another instance would otherwise put ``slots + 1`` sends into one
  window at Telegram: the reservations alone let two instances' 90 sends draw two 429s.

So no ``slots + 1`` sends ever start within ``spacing`` seconds of each other, whichever
instance makes them. An advisory lock makes the steps of all instances take turns (60 short
transactions a second are nothing to PostgreSQL), and the database's clock is the one clock
they share.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

_PREPARE = text(
    "INSERT INTO send_budget (slot, at, started) "
    "SELECT s, TIMESTAMPTZ '2000-01-01 00:00:00+00', TIMESTAMPTZ '2000-01-01 00:00:00+00' "
    "FROM generate_series(0, :last) AS s ON CONFLICT (slot) DO NOTHING"
)
_TRIM = text("DELETE FROM send_budget WHERE slot > :last")
# Both steps take turns under a transaction-level advisory lock, and their UPDATE, a statement
# of its own, then sees the turn before it committed. A row lock alone (``SELECT ... ORDER BY at
# LIMIT 1 FOR UPDATE``) does not do it: the reservations waiting on the oldest row re-read that
# row once it is released, not the order, so they all took the same row one after the other,
# each a spacing later than the last: 90 sends of two instances took 6.5 s instead of 2.
TURN_LOCK = int.from_bytes(b"cxbotsnd", "big")
_TURN = text("SELECT pg_advisory_xact_lock(:key)")
_RESERVE = text(
    "UPDATE send_budget SET at = greatest(clock_timestamp(), at + make_interval(secs => :spacing)) "
    "WHERE slot = (SELECT slot FROM send_budget ORDER BY at, slot LIMIT 1) "
    "RETURNING extract(epoch FROM at - clock_timestamp())"
)
_START = text(
    "UPDATE send_budget SET started = clock_timestamp() "
    "WHERE slot = (SELECT slot FROM send_budget ORDER BY started, slot LIMIT 1) "
    "AND started + make_interval(secs => :spacing) <= clock_timestamp() "
    "RETURNING slot"
)
_NEXT_START = text(
    "SELECT extract(epoch FROM min(started) + make_interval(secs => :spacing) - clock_timestamp())"
    " FROM send_budget"
)
# Asked again at once, a start that is due within this many seconds would just spin.
_SOON = 0.001


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

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[AsyncConnection]:
        """A transaction that holds the budget's turn (the advisory lock) until it ends."""
        if not self._ready:
            await self.prepare()
        async with self.engine.begin() as connection:
            await connection.execute(_TURN, {"key": TURN_LOCK})
            yield connection

    async def reserve(self) -> float:
        """Take the next send slot of all instances; seconds until the send may start."""
        async with self._turn() as connection:
            wait = (await connection.execute(_RESERVE, {"spacing": self.spacing})).scalar_one()
        return max(0.0, float(wait))

    async def start(self) -> float:
        """Stamp the send's real start if the window of real starts has room: 0.0; else
        stamp nothing and say how many seconds until it will have (then ask again)."""
        params = {"spacing": self.spacing}
        async with self._turn() as connection:
            if (await connection.execute(_START, params)).first() is not None:
                return 0.0
            wait = (await connection.execute(_NEXT_START, params)).scalar_one()
        return max(_SOON, float(wait))
