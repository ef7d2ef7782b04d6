"""What each participant's answers taught the matching: a factor per concept and person
(``concept_feedback``), lowered by a "Not for me" because the topics don't fit and raised by
a match both sides wanted. Never pooled across people."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConceptFeedback, utcnow


async def concept_bias(session: AsyncSession, *, user_id: int) -> dict[str, float]:
    """The user's factor per concept (absent: 1, nothing learnt)."""
    rows = await session.execute(
        select(ConceptFeedback.concept, ConceptFeedback.factor).where(
            ConceptFeedback.user_id == user_id
        )
    )
    return {concept: float(factor) for concept, factor in rows.all()}


async def adjust_concepts(
    session: AsyncSession,
    *,
    user_id: int,
    concepts: Iterable[str],
    by: float,
    low: float,
    high: float,
) -> None:
    """Multiply the user's factor of each concept by ``by``, kept within ``low``..``high``."""
    wanted = sorted(set(concepts))
    if not wanted:
        return
    found = {
        row.concept: row
        for row in (
            await session.execute(
                select(ConceptFeedback).where(
                    ConceptFeedback.user_id == user_id,
                    ConceptFeedback.concept.in_(wanted),  # type: ignore[attr-defined]
                )
            )
        ).scalars()
    }
    now = utcnow()
    for concept in wanted:
        row = found.get(concept)
        if row is None:
            row = ConceptFeedback(user_id=user_id, concept=concept, factor=1.0)
            session.add(row)
        row.factor = min(high, max(low, row.factor * by))
        row.updated_at = now
