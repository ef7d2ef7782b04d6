"""What each participant's answers taught the matching: a factor per concept and person
(``concept_feedback``), lowered by a "Not for me" because the topics don't fit and raised by
a match both sides wanted. Never pooled across people."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ConceptFeedback, utcnow


async def concept_bias(session: AsyncSession, *, user_id: int) -> dict[str, float]:
    """The user's factor per concept (absent: 1, nothing learnt)."""
    return (await concept_biases(session, user_ids=[user_id]))[user_id]


async def concept_biases(
    session: AsyncSession, *, user_ids: Collection[int]
) -> dict[int, dict[str, float]]:
    """``concept_bias`` of each of ``user_ids``, in one query."""
    found: dict[int, dict[str, float]] = {i: {} for i in user_ids}
    if not found:
        return found
    rows = await session.execute(
        select(ConceptFeedback.user_id, ConceptFeedback.concept, ConceptFeedback.factor).where(
            ConceptFeedback.user_id.in_(list(found))  # type: ignore[attr-defined]
        )
    )
    for user_id, concept, factor in rows.all():
        found[user_id][concept] = float(factor)
    return found


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
