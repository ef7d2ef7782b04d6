"""Durable delivery of messages to people other than the one who acted.

A unit of work writes its messages as outbox rows in its own transaction, already claimed
for this process (``Units``); the handler delivers them right after its reply
(``deliver``). The periodic dispatcher (``dispatch``) sends whatever is due and unclaimed:
rows whose sender died (the claim's lease ran out) and rows waiting for a retry. Each row is
recorded as sent right after it went out, so a crash repeats at most the one message that
was on its way; a chat's messages go out in the order they were written.

The outbox knows nothing of Telegram: the ``send`` callable of the handler layer delivers
one reply and raises ``Undeliverable`` (Telegram refuses for good) or ``TryLater``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from bot.clock import Clock
from bot.services.ui import Reply
from storage import repo_delivery
from storage.db import Database
from storage.models import OutboxMessage, as_utc

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # a claimed row not sent by then is taken by another sender
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(seconds=30)  # then doubling, at most an hour
MAX_RETRY = timedelta(hours=1)
KEEP_SENT = timedelta(days=1)  # records of sent rows (their text is dropped when sent)
KEEP_CARDS = timedelta(days=60)  # where cards are: longer than any proposal stays open
UNREACHABLE = "unreachable"
RETRY = "retry"


class Undeliverable(Exception):
    """Telegram refuses this message for good; ``unreachable``: it refuses the chat."""

    def __init__(self, reason: str, *, unreachable: bool) -> None:
        super().__init__(reason)
        self.unreachable = unreachable


class TryLater(Exception):
    """Not delivered now (flood control, network); ``seconds`` is Telegram's wish, if any."""

    def __init__(self, reason: str, seconds: float | None = None) -> None:
        super().__init__(reason)
        self.seconds = seconds


Send = Callable[[int, Reply], Awaitable[int | None]]  # the id of the message sent


class Outbox:
    """Sends outbox rows and records what became of them."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def deliver(self, send: Send, rows: Sequence[OutboxMessage]) -> int:
        """Send rows this process claimed (a unit's messages); how many went out. Rows the
        unit already gave up (an unreachable chat) are skipped."""
        mine = [row for row in rows if row.sent_at is None]
        return await self._send(send, mine, gone=set())

    async def dispatch(self, send: Send, limit: int = 100) -> int:
        """Claim what is due (retries, and rows of a sender that died) and send it."""
        now = self.clock.now()
        async with self.db.session() as session:
            rows = await repo_delivery.claim_messages(
                session, now=now, lease_until=now - LEASE, limit=limit
            )
            await session.commit()
        return await self._send(send, rows)

    async def claim(self, ids: Sequence[int]) -> list[OutboxMessage]:
        """Claim these rows for sending now (a paced broadcast takes its rows in turns)."""
        now = self.clock.now()
        async with self.db.session() as session:
            rows = await repo_delivery.claim_messages(
                session, now=now, lease_until=now - LEASE, ids=ids, limit=len(ids)
            )
            await session.commit()
        return rows

    async def send_one(self, send: Send, row: OutboxMessage) -> str | None:
        """Send one claimed row and record it; None when it went out, ``UNREACHABLE`` when
        the chat refuses the bot, ``RETRY`` when it is to be tried again later (released),
        else why it was given up."""
        return (await self._send_rows(send, [row]))[0]

    async def lag(self) -> float:
        """Seconds the oldest due message has waited to be sent (0: nothing waits)."""
        now = self.clock.now()
        async with self.db.session() as session:
            due = await repo_delivery.oldest_due(session, now=now)
        return 0.0 if due is None else max(0.0, (now - as_utc(due)).total_seconds())

    async def forget_old(self) -> int:
        """Delete rows sent or given up a while ago, and cards long past answering."""
        now = self.clock.now()
        async with self.db.session() as session:
            count = await repo_delivery.forget_messages(session, before=now - KEEP_SENT)
            await repo_delivery.forget_cards(session, before=now - KEEP_CARDS)
            await session.commit()
        return count

    # ----------------------------------------------------------------- sending

    async def _send(
        self, send: Send, rows: list[OutboxMessage], gone: set[int] | None = None
    ) -> int:
        results = await self._send_rows(send, rows, gone)
        return sum(result is None for result in results)

    async def _send_rows(
        self, send: Send, rows: list[OutboxMessage], gone: set[int] | None = None
    ) -> list[str | None]:
        if not rows:
            return []
        if gone is None:
            async with self.db.session() as session:
                gone = await repo_delivery.unreachable(
                    session, user_ids={row.chat_id for row in rows}
                )
        waiting: set[int] = set()  # chats whose earlier message waits: the later ones wait too
        results: list[str | None] = []
        for row in rows:
            assert row.id is not None
            if row.chat_id in waiting:
                await self._record(lambda s, r=row: repo_delivery.release_messages(s, ids=[r.id]))
                results.append("waiting")
                continue
            if row.chat_id in gone:
                await self._finish(row, UNREACHABLE)
                results.append(UNREACHABLE)
                continue
            reply = Reply.from_json(row.message)
            try:
                sent = await send(row.chat_id, reply)
            except Undeliverable as exc:
                log.info("outbox %s: undeliverable: %s", row.id, exc)
                if exc.unreachable:
                    gone.add(row.chat_id)
                    await self._record(
                        lambda s, r=row: repo_delivery.set_unreachable(
                            s, user_id=r.chat_id, when=self.clock.now()
                        )
                    )
                await self._finish(row, str(exc) or UNREACHABLE)
                results.append(UNREACHABLE if exc.unreachable else (str(exc) or "refused"))
                continue
            except TryLater as exc:
                waiting.add(row.chat_id)
                results.append(await self._retry(row, exc))
                continue
            card = (row.chat_id, sent, reply.tag) if reply.tag and sent is not None else None
            await self._finish(row, None, card)
            results.append(None)
        return results

    async def _retry(self, row: OutboxMessage, exc: TryLater) -> str:
        attempts = row.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            log.warning("outbox %s: given up after %d attempts: %s", row.id, attempts, exc)
            await self._finish(row, f"given up: {exc}")
            return "given up"
        delay = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)
        if exc.seconds is not None:
            delay = max(delay, timedelta(seconds=exc.seconds))
        due = self.clock.now() + delay
        log.info("outbox %s: retry in %s: %s", row.id, delay, exc)
        await self._record(
            lambda s: repo_delivery.retry_message(
                s, message_id=row.id or 0, due_at=due, error=str(exc) or RETRY
            )
        )
        row.attempts = attempts
        return RETRY

    async def _finish(
        self, row: OutboxMessage, error: str | None, card: tuple[int, int, str] | None = None
    ) -> None:
        now = self.clock.now()
        await self._record(
            lambda s: repo_delivery.finish_message(
                s, message_id=row.id or 0, now=now, error=error, card=card
            )
        )

    async def remember(self, cards: Sequence[tuple[int, int, str]]) -> None:
        """Record the cards a reply to the person who acted showed: (chat, message, tag)."""
        if cards:
            now = self.clock.now()
            await self._record(lambda s: repo_delivery.remember_cards(s, cards=cards, now=now))

    async def _record(self, change: Callable[..., Awaitable[object]]) -> None:
        async with self.db.session() as session:
            await change(session)
            await session.commit()
