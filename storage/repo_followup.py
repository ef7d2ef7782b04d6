"""Queries of the staff follow-up: what waits for validation now, the rows that remember
since when, and taking a reminder or an escalation exactly once (two workers may run the job
at the same moment)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Exchange, Phase, Profile, Quality, Review, ReviewFollowUp


@dataclass(frozen=True)
class Waiting:
    """One item waiting for a partnership's staff, at one step."""

    key: str
    partnership_id: int | None
    user_id: int | None = None
    exchange_id: int | None = None


async def waiting_items(session: AsyncSession) -> list[Waiting]:
    """Everything that waits for staff validation now, in every partnership."""
    items: list[Waiting] = []
    profiles = await session.execute(
        select(Profile.user_id, Profile.partnership_id, Profile.reviewed_at).where(
            Profile.completed_at.is_not(None),  # type: ignore[union-attr]
            Profile.review == Review.PENDING,
            Profile.partnership_id.is_not(None),  # type: ignore[union-attr]
        )
    )
    for user_id, partnership_id, reviewed_at in profiles.all():
        # A registration sent again after a rejection is a new round, reminded afresh.
        round_ = reviewed_at.strftime("%Y%m%d%H%M%S") if reviewed_at else "1"
        items.append(Waiting(f"p:{user_id}:{round_}", partnership_id, user_id=user_id))
    changes = await session.execute(
        select(Profile.user_id, Profile.partnership_id, Profile.pending_changes).where(
            Profile.pending_changes.is_not(None),  # type: ignore[union-attr]
            Profile.review == Review.APPROVED,
            Profile.partnership_id.is_not(None),  # type: ignore[union-attr]
        )
    )
    for user_id, partnership_id, pending in changes.all():
        # Another change sent meanwhile is a new item, reminded afresh.
        digest = hashlib.sha1(
            json.dumps(pending, sort_keys=True, default=str).encode(), usedforsecurity=False
        ).hexdigest()[:12]
        items.append(Waiting(f"c:{user_id}:{digest}", partnership_id, user_id=user_id))
    quality = and_(
        Exchange.cq_status == Quality.STAFF,
        or_(Exchange.cq_visitor_ok.is_(False), Exchange.cq_host_ok.is_(False)),  # type: ignore[attr-defined]
    )
    exchanges = await session.execute(
        select(Exchange).where(
            or_(Exchange.phase.in_((Phase.APPROVAL, Phase.REPORT_REVIEW)), quality)  # type: ignore[attr-defined]
        )
    )
    for ex in exchanges.scalars():
        steps: list[tuple[str, int | None]] = []
        if ex.phase in (Phase.APPROVAL, Phase.REPORT_REVIEW):
            steps.append((ex.phase, ex.visitor_partnership_id))
        if ex.cq_status == Quality.STAFF:
            if not ex.cq_visitor_ok:
                steps.append(("cq-visitor", ex.visitor_partnership_id))
            if not ex.cq_host_ok:
                steps.append(("cq-host", ex.host_partnership_id))
        for step, partnership_id in steps:
            if partnership_id is not None:
                key = f"x:{ex.id}:{step}"
                items.append(Waiting(key, partnership_id, exchange_id=ex.id))
    return items


async def remember(session: AsyncSession, *, items: Iterable[Waiting], now: datetime) -> None:
    """Keep a row for each waiting item (since now when new); drop the rows of the rest."""
    items = list(items)
    keys = [i.key for i in items]
    gone = delete(ReviewFollowUp)
    if keys:
        gone = gone.where(ReviewFollowUp.key.not_in(keys))  # type: ignore[attr-defined]
    await session.execute(gone)
    if not items:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    rows = [
        {
            "key": i.key,
            "partnership_id": i.partnership_id,
            "user_id": i.user_id,
            "exchange_id": i.exchange_id,
            "since": now,
        }
        for i in items
    ]
    await session.execute(
        insert(ReviewFollowUp).on_conflict_do_nothing(index_elements=["key"]), rows
    )


async def take_due(
    session: AsyncSession, *, column: str, waited_since: datetime, now: datetime
) -> list[ReviewFollowUp]:
    """The rows waiting since ``waited_since`` or longer whose ``column`` (``reminded_at`` or
    ``escalated_at``) is not set yet, set now: each row is taken by one run only."""
    stamp = getattr(ReviewFollowUp, column)
    taken = await session.execute(
        update(ReviewFollowUp)
        .where(ReviewFollowUp.since <= waited_since, stamp.is_(None))
        .values({column: now})
        .returning(ReviewFollowUp)
        .execution_options(synchronize_session=False)
    )
    return sorted(taken.scalars(), key=lambda row: (row.since, row.id or 0))


async def mark(session: AsyncSession, *, ids: Iterable[int], column: str, now: datetime) -> None:
    """Set ``column`` on these rows where it is not set yet."""
    ids = list(ids)
    if ids:
        stamp = getattr(ReviewFollowUp, column)
        await session.execute(
            update(ReviewFollowUp)
            .where(ReviewFollowUp.id.in_(ids), stamp.is_(None))  # type: ignore[union-attr]
            .values({column: now})
        )
