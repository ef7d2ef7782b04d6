"""Queries of the durable inbox (updates in) and outbox (messages out)."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Text, and_, bindparam, cast, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import InboxUpdate, LiveCard, OutboxMessage, User


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT with ON CONFLICT support for the session's database."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


# --------------------------------------------------------------------- inbox


async def record_update(
    session: AsyncSession, *, update_id: int, payload: dict[str, Any], now: datetime
) -> bool:
    """Store an update as received; False when this ``update_id`` is known already."""
    statement = (
        _insert(session, InboxUpdate)
        .values(update_id=update_id, payload=payload, received_at=now, failed=False)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(InboxUpdate.update_id)
    )
    return (await session.execute(statement)).first() is not None


async def claim_update(session: AsyncSession, *, update_id: int, now: datetime) -> bool:
    """Mark the update handled in the caller's transaction; False when it was handled
    before (a second delivery). On PostgreSQL a concurrent claim of the same update waits
    for this transaction and then gets False. The stored payload is dropped."""
    statement = _CLAIM[session.get_bind().dialect.name == "postgresql"]
    return (await session.execute(statement, {"id": update_id, "now": now})).first() is not None


def _claim(insert: Any) -> Any:
    # Built once, on the table rather than the ORM class: every update runs it, and building
    # it per call and going through the ORM's insert path cost 0.3 ms of the event loop.
    table: Any = InboxUpdate.__table__
    statement = insert(table).values(
        update_id=bindparam("id"),
        payload=None,
        received_at=bindparam("now"),
        handled_at=bindparam("now"),
        failed=False,
    )
    return statement.on_conflict_do_update(
        index_elements=["update_id"],
        set_={"handled_at": bindparam("now"), "payload": None},
        where=table.c.handled_at.is_(None),
    ).returning(table.c.update_id)


_CLAIM = {False: _claim(sqlite.insert), True: _claim(postgresql.insert)}


async def mark_update_failed(session: AsyncSession, *, update_id: int, now: datetime) -> None:
    """The update's handler raised: never handle it again (a restart would repeat the
    failure); the payload is dropped."""
    statement = _insert(session, InboxUpdate).values(
        update_id=update_id, payload=None, received_at=now, handled_at=now, failed=True
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["update_id"],
            set_={"handled_at": now, "payload": None, "failed": True},
        )
    )


async def mark_updates_dropped(
    session: AsyncSession, *, update_ids: Collection[int], now: datetime
) -> int:
    """Updates dropped unhandled (a flooding chat): marked handled in one statement, their
    payload dropped, so a restart does not run them; how many rows changed."""
    if not update_ids:
        return 0
    result = await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.update_id.in_(list(update_ids)),  # type: ignore[attr-defined]
            InboxUpdate.handled_at.is_(None),  # type: ignore[union-attr]
        )
        .values(handled_at=now, payload=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def unhandled_updates(session: AsyncSession) -> list[dict[str, Any]]:
    """Payloads of updates received but not handled (a crash), oldest first."""
    rows = await session.execute(
        select(InboxUpdate.payload)
        .where(
            InboxUpdate.handled_at.is_(None),  # type: ignore[union-attr]
            InboxUpdate.payload.is_not(None),  # type: ignore[union-attr]
        )
        .order_by(InboxUpdate.update_id)
    )
    return [payload for payload in rows.scalars() if payload]


async def forget_updates(session: AsyncSession, *, before: datetime) -> int:
    """Delete updates received before ``before`` (Telegram redelivers for a day at most)."""
    result = await session.execute(delete(InboxUpdate).where(InboxUpdate.received_at < before))
    return result.rowcount or 0  # type: ignore[attr-defined]


# --------------------------------------------------------------------- outbox


async def add_messages(session: AsyncSession, *, rows: Sequence[OutboxMessage]) -> list[int]:
    """Insert outbox rows in order; their ids."""
    session.add_all(rows)
    await session.flush()
    return [row.id for row in rows if row.id is not None]


async def claim_messages(
    session: AsyncSession,
    *,
    now: datetime,
    lease_until: datetime,
    ids: Collection[int] | None = None,
    limit: int = 100,
) -> list[OutboxMessage]:
    """Claim messages to send (``ids``, or whatever is due) in one statement, oldest first.

    Free means never claimed, or claimed before ``lease_until`` by a sender that did not
    finish (it died). With ``ids`` the due time is not checked (the caller sends its own
    messages now). PostgreSQL skips rows another sender is claiming; the outer guard
    re-checks, so every row goes to one sender.
    """
    free = or_(
        OutboxMessage.claimed_at.is_(None),  # type: ignore[union-attr]
        OutboxMessage.claimed_at < lease_until,  # type: ignore[operator]
    )
    open_ = and_(OutboxMessage.sent_at.is_(None), free)  # type: ignore[union-attr]
    if ids is not None:
        if not ids:
            return []
        wanted = and_(open_, OutboxMessage.id.in_(list(ids)))  # type: ignore[union-attr]
    else:
        wanted = and_(open_, OutboxMessage.due_at <= now)
    pick = (
        select(OutboxMessage.id)
        .where(wanted)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(pick.scalar_subquery()), wanted)  # type: ignore[union-attr]
        .values(claimed_at=now)
        .returning(OutboxMessage)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars(), key=lambda row: row.id or 0)


async def finish_message(
    session: AsyncSession,
    *,
    message_id: int,
    now: datetime,
    error: str | None = None,
    card: tuple[int, int, str] | None = None,
) -> None:
    """The message went out (or, with ``error``, will never go out). Its text is dropped:
    it names people (an introduction, a staff card), and the row stays only as a record.
    ``card``: it was a card whose copies are remembered (``remember_cards``)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(sent_at=now, error=(error or None) and error[:200], message={})
        .execution_options(synchronize_session=False)
    )
    if card is not None:
        await remember_cards(session, cards=[card], now=now)


async def retry_message(
    session: AsyncSession, *, message_id: int, due_at: datetime, error: str
) -> None:
    """Send it again at ``due_at`` (released for any sender then)."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            due_at=due_at,
            claimed_at=None,
            attempts=OutboxMessage.attempts + 1,
            error=error[:200],
        )
        .execution_options(synchronize_session=False)
    )


async def release_messages(session: AsyncSession, *, ids: Collection[int]) -> None:
    """Give claimed messages back unsent (their chat's earlier message must go first)."""
    if ids:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(list(ids)))  # type: ignore[union-attr]
            .values(claimed_at=None)
            .execution_options(synchronize_session=False)
        )


async def oldest_due(session: AsyncSession, *, now: datetime) -> datetime | None:
    """When the oldest message that is due and not sent was due (None: nothing waits)."""
    query = select(func.min(OutboxMessage.due_at)).where(
        OutboxMessage.sent_at.is_(None),  # type: ignore[union-attr]
        OutboxMessage.due_at <= now,
    )
    return (await session.execute(query)).scalar_one_or_none()


async def forget_messages(session: AsyncSession, *, before: datetime) -> int:
    """Delete the records of messages sent or given up before ``before``."""
    result = await session.execute(
        delete(OutboxMessage).where(OutboxMessage.sent_at < before)  # type: ignore[operator]
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def give_up_mentioning(
    session: AsyncSession, *, mentions: Collection[str], now: datetime, reason: str
) -> int:
    """Messages not sent yet whose text contains any of ``mentions`` (as written in the
    message) are given up: never sent, their text dropped. How many."""
    if not mentions:
        return 0
    text = cast(OutboxMessage.message, Text)  # stored as JSON text, non-ASCII escaped
    found = or_(*(text.contains(json.dumps(m)[1:-1], autoescape=True) for m in mentions))
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), found)  # type: ignore[union-attr]
        .values(sent_at=now, claimed_at=None, error=reason[:200], message={})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0  # type: ignore[attr-defined]


async def set_unreachable(session: AsyncSession, *, user_id: int, when: datetime | None) -> None:
    """Mark the user unreachable since ``when`` (None: reachable again)."""
    change = update(User).where(User.id == user_id)
    if when is None:  # most users are reachable: nothing to write
        change = change.where(User.unreachable_at.is_not(None))  # type: ignore[union-attr]
    await session.execute(
        change.values(unreachable_at=when).execution_options(synchronize_session=False)
    )


async def unreachable(session: AsyncSession, *, user_ids: Collection[int]) -> set[int]:
    """Which of these users the bot cannot reach."""
    if not user_ids:
        return set()
    rows = await session.execute(
        select(User.id).where(
            User.id.in_(list(user_ids)),  # type: ignore[attr-defined]
            User.unreachable_at.is_not(None),  # type: ignore[union-attr]
        )
    )
    return set(rows.scalars())


# --------------------------------------------------------------------- live cards


async def remember_cards(
    session: AsyncSession, *, cards: Collection[tuple[int, int, str]], now: datetime
) -> None:
    """Record sent messages whose buttons still answer something: (chat, message, tag)."""
    if not cards:
        return
    statement = (
        _insert(session, LiveCard)
        .values(
            [{"chat_id": c, "message_id": m, "tag": t[:40], "created_at": now} for c, m, t in cards]
        )
        .on_conflict_do_nothing(index_elements=["chat_id", "message_id"])
    )
    await session.execute(statement)


async def take_cards(session: AsyncSession, *, chat_id: int, tag: str) -> list[int]:
    """The messages in the chat that show ``tag``, forgotten now (their buttons are being
    replaced), oldest first."""
    rows = await session.execute(
        select(LiveCard.message_id)
        .where(LiveCard.chat_id == chat_id, LiveCard.tag == tag)
        .order_by(LiveCard.message_id)
    )
    ids = list(rows.scalars())
    if ids:
        await session.execute(
            delete(LiveCard).where(
                LiveCard.chat_id == chat_id,
                LiveCard.message_id.in_(ids),  # type: ignore[attr-defined]
            )
        )
    return ids


async def forget_cards(session: AsyncSession, *, before: datetime) -> int:
    """Forget cards sent before ``before`` (their proposals have long expired)."""
    result = await session.execute(
        delete(LiveCard).where(LiveCard.created_at < before)  # type: ignore[arg-type]
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
