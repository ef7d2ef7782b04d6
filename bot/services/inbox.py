"""The durable inbox: every update is recorded by ``update_id`` before it is handled.

With polling, PTB confirms the updates of one ``getUpdates`` call with the next call, before
they are handled; with a webhook, Telegram forgets an update once it got its HTTP 200. So the
update queue records each update here first (``bot.updates.InboxQueue``): a crash then
leaves it stored and unhandled, and the next start handles it. Marking an update handled is
part of its unit of work (``Units.update``), so it is handled exactly once; a second delivery
of a known ``update_id`` is dropped at the queue and again at the unit.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.clock import Clock
from storage import repo_delivery
from storage.db import Database

KEEP = timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 hours


class Inbox:
    """Records updates as they arrive; lists those a crash left unhandled."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(self, update_id: int, payload: dict[str, Any]) -> bool:
        """Store an arriving update; False when it arrived before (drop it)."""
        async with self.db.session() as session:
            fresh = await repo_delivery.record_update(
                session, update_id=update_id, payload=payload, now=self.clock.now()
            )
            await session.commit()
        return fresh

    async def dropped(self, update_ids: list[int]) -> None:
        """Updates a flooding chat sent beyond what may wait (``bot.updates``): handled
        without being run, all in one statement."""
        async with self.db.session() as session:
            await repo_delivery.mark_updates_dropped(
                session, update_ids=update_ids, now=self.clock.now()
            )
            await session.commit()

    async def unhandled(self) -> list[dict[str, Any]]:
        """Updates received but never handled, oldest first (handle them at start-up)."""
        async with self.db.session() as session:
            return await repo_delivery.unhandled_updates(session)

    async def forget_old(self) -> int:
        """Delete rows older than Telegram would redeliver."""
        async with self.db.session() as session:
            count = await repo_delivery.forget_updates(session, before=self.clock.now() - KEEP)
            await session.commit()
        return count
