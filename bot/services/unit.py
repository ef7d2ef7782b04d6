"""One unit of work per update (and per job run): one transaction, and the messages for
other people written to the durable outbox inside it.

The handler layer opens a unit for every update (``Units.update``): it claims the update in
the inbox (a second delivery of the same update gets no unit and is dropped), resolves the
language, hands the unit to the service and commits it. Services use ``unit.session`` for
every query and ``unit.notify`` for every message to someone else; they never open a session
or commit. At commit the notices become outbox rows, claimed for this process, so the
handler delivers them right after its reply; if the process dies first, the dispatcher
delivers them once the claim's lease has run out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.i18n import pick_language, set_language
from bot.services.languages import LanguageCache
from bot.services.outbox import LEASE, UNREACHABLE
from bot.services.ui import Notice
from storage import repo, repo_delivery
from storage.db import Database
from storage.models import OutboxMessage


@dataclass
class Unit:
    """The transaction of one update or job run."""

    session: AsyncSession
    now: datetime
    notices: list[Notice] = field(default_factory=list)
    outbox: list[OutboxMessage] = field(default_factory=list)  # written at commit
    paced_notices: list[Notice] = field(default_factory=list)
    per_second: float = 1.0
    paced: list[OutboxMessage] = field(default_factory=list)  # written at commit
    after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def notify(self, *notices: Notice) -> None:
        """Messages for someone other than the person who acted: sent after the commit,
        durably (a crash delays them, never loses them)."""
        self.notices.extend(n for n in notices if n.replies)

    def notify_paced(self, notices: list[Notice], per_second: float) -> None:
        """Messages to many people (a broadcast), sent by a paced sender after the commit
        (``paced``); if it dies, the dispatcher sends the rest once their time is long
        past."""
        self.paced_notices.extend(n for n in notices if n.replies)
        self.per_second = per_second

    def later(self, action: Callable[[], Awaitable[None]]) -> None:
        """Run ``action`` once the unit is committed and its messages are out."""
        self.after_commit.append(action)


class Units:
    """Opens units of work on the application's database."""

    def __init__(self, db: Database, clock: Clock, languages: LanguageCache) -> None:
        self.db = db
        self.clock = clock
        self.languages = languages

    @asynccontextmanager
    async def update(
        self, update_id: int, user_id: int | None, client_language: str | None
    ) -> AsyncIterator[Unit | None]:
        """The unit of one update; None when the update was handled before (redelivered)."""
        async with self.db.session() as session:
            now = self.clock.now()
            if not await repo_delivery.claim_update(session, update_id=update_id, now=now):
                await session.rollback()
                yield None
                return
            stored = None
            if user_id:
                # The person who acted, with their profile, in one query: the services read
                # them from the session's identity map instead of querying again.
                user, _profile = await repo.get_user_and_profile(session, user_id=user_id)
                if user is not None:
                    # Whoever writes can be written to (after a block, a "chat not found").
                    if user.unreachable_at is not None:
                        user.unreachable_at = None
                    stored = user.language
                    self.languages.remember(user_id, stored)
            set_language(pick_language(stored, client_language))
            unit = Unit(session, now)
            yield unit
            await self._commit(unit)

    @asynccontextmanager
    async def job(self) -> AsyncIterator[Unit]:
        """The unit of a job run (reminders, nudges): no update to claim."""
        async with self.db.session() as session:
            unit = Unit(session, self.clock.now())
            yield unit
            await self._commit(unit)

    async def _commit(self, unit: Unit) -> None:
        rows = [
            OutboxMessage(
                chat_id=notice.chat_id,
                message=reply.to_json(),
                created_at=unit.now,
                due_at=unit.now,
                claimed_at=unit.now,  # this process sends them right after the commit
            )
            for notice in unit.notices
            for reply in notice.replies
        ]
        if rows:
            gone = await repo_delivery.unreachable(
                unit.session, user_ids={row.chat_id for row in rows}
            )
            for row in rows:
                if row.chat_id in gone:  # blocked the bot: a record, never sent
                    row.claimed_at, row.sent_at, row.error = None, unit.now, UNREACHABLE
                    row.message = {}
            await repo_delivery.add_messages(unit.session, rows=rows)
        unit.outbox = rows
        if unit.paced_notices:
            # Nobody but the paced sender takes these until well after their turn.
            start = unit.now + LEASE
            unit.paced = [
                OutboxMessage(
                    chat_id=notice.chat_id,
                    message=reply.to_json(),
                    created_at=unit.now,
                    due_at=start + timedelta(seconds=i / unit.per_second),
                )
                for i, notice in enumerate(unit.paced_notices)
                for reply in notice.replies
            ]
            await repo_delivery.add_messages(unit.session, rows=unit.paced)
        await unit.session.commit()

    async def failed(self, update_id: int) -> None:
        """The update's handler raised: its work was rolled back; do not retry it."""
        async with self.db.session() as session:
            await repo_delivery.mark_update_failed(
                session, update_id=update_id, now=self.clock.now()
            )
            await session.commit()
