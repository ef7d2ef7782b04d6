"""Queries of an exchange's finalisation: the visitor's evidence files, and approved
payments not marked paid in time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Exchange, ExchangeEvidence


async def add_evidence(
    session: AsyncSession,
    *,
    exchange_id: int,
    user_id: int,
    file_id: str,
    file_unique_id: str,
    name: str,
    mime_type: str,
    size: int | None,
    photo: bool,
    now: datetime,
) -> ExchangeEvidence:
    """Keep one evidence file (Telegram's ids of it, not its bytes)."""
    row = ExchangeEvidence(
        exchange_id=exchange_id,
        user_id=user_id,
        file_id=file_id[:200],
        file_unique_id=file_unique_id[:100],
        name=name[:200],
        mime_type=mime_type[:100],
        size=size,
        photo=photo,
        uploaded_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def evidence_of(session: AsyncSession, *, exchange_id: int) -> list[ExchangeEvidence]:
    """The evidence files of an exchange, in the order they came."""
    rows = await session.execute(
        select(ExchangeEvidence)
        .where(ExchangeEvidence.exchange_id == exchange_id)
        .order_by(ExchangeEvidence.id)
    )
    return list(rows.scalars())


async def count_evidence(session: AsyncSession, *, exchange_id: int) -> int:
    """How many evidence files an exchange has."""
    rows = await session.execute(
        select(func.count())
        .select_from(ExchangeEvidence)
        .where(ExchangeEvidence.exchange_id == exchange_id)
    )
    return int(rows.scalar_one())


async def has_evidence_file(session: AsyncSession, *, exchange_id: int, unique_id: str) -> bool:
    """Whether this very file (Telegram's unique id) was handed in already."""
    rows = await session.execute(
        select(ExchangeEvidence.id).where(
            ExchangeEvidence.exchange_id == exchange_id,
            ExchangeEvidence.file_unique_id == unique_id,
        )
    )
    return rows.first() is not None


async def unpaid_since(session: AsyncSession, *, approved_before: datetime) -> list[Exchange]:
    """Exchanges whose lump sum was approved for payment before ``approved_before``, not
    marked paid, and whose staff were not reminded yet."""
    rows = await session.execute(
        select(Exchange)
        .where(
            Exchange.payment_approved_at.is_not(None),  # type: ignore[union-attr]
            Exchange.payment_approved_at <= approved_before,  # type: ignore[operator]
            Exchange.paid_at.is_(None),  # type: ignore[union-attr]
            Exchange.payment_reminded_at.is_(None),  # type: ignore[union-attr]
        )
        .order_by(Exchange.id)
    )
    return list(rows.scalars())
