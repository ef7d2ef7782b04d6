"""Queries for staff statistics and exports. Keyword-only functions taking the session.

A participant belongs to a partnership through ``Profile.partnership_id``; an exchange counts
for a partnership when its visitor or its host belongs to it.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from storage.models import Exchange, Partnership, Profile

# Key of ``review_counts`` for profiles whose registration is not finished.
INCOMPLETE = "incomplete"


def _of_partnership(partnership_id: int) -> ColumnElement[bool]:
    return or_(
        Exchange.visitor_partnership_id == partnership_id,
        Exchange.host_partnership_id == partnership_id,
    )


async def partnerships_in(
    session: AsyncSession, *, partnership_ids: Collection[int] | None = None
) -> list[Partnership]:
    """These partnerships (every one when ``partnership_ids`` is None), by name."""
    query = select(Partnership).order_by(Partnership.name, Partnership.id)
    if partnership_ids is not None:
        ids = list(partnership_ids)
        if not ids:
            return []
        query = query.where(Partnership.id.in_(ids))  # type: ignore[union-attr]
    return list((await session.execute(query)).scalars())


async def review_counts(session: AsyncSession, *, partnership_id: int) -> dict[str, int]:
    """Participants by registration state: ``Review.*`` for complete profiles, and
    ``INCOMPLETE`` for registrations not finished."""
    rows = await session.execute(
        select(
            Profile.completed_at.is_(None),  # type: ignore[union-attr]
            Profile.review,
            func.count(),
        )
        .where(Profile.partnership_id == partnership_id)
        .group_by(Profile.completed_at.is_(None), Profile.review)  # type: ignore[union-attr]
    )
    counts: dict[str, int] = {}
    for incomplete, review, count in rows.all():
        key = INCOMPLETE if incomplete else review
        counts[key] = counts.get(key, 0) + count
    return counts


async def phase_counts(session: AsyncSession, *, partnership_id: int) -> dict[str, int]:
    """Exchanges of the partnership (visitor or host side) by phase."""
    rows = await session.execute(
        select(Exchange.phase, func.count())
        .where(_of_partnership(partnership_id))
        .group_by(Exchange.phase)
    )
    return {phase: count for phase, count in rows.all()}


async def country_counts(session: AsyncSession, *, partnership_id: int) -> dict[str, int]:
    """Completed registrations of the partnership by country code."""
    rows = await session.execute(
        select(Profile.country, func.count())
        .where(
            Profile.partnership_id == partnership_id,
            Profile.completed_at.is_not(None),  # type: ignore[union-attr]
            Profile.country.is_not(None),  # type: ignore[union-attr]
        )
        .group_by(Profile.country)
    )
    return {country: count for country, count in rows.all()}


async def ecosystem_lists(session: AsyncSession, *, partnership_id: int) -> list[list[str]]:
    """The ecosystems of each completed registration of the partnership (a JSON column, so
    they are counted by the caller)."""
    rows = await session.execute(
        select(Profile.ecosystems).where(
            Profile.partnership_id == partnership_id,
            Profile.completed_at.is_not(None),  # type: ignore[union-attr]
        )
    )
    return [list(ecos or []) for ecos in rows.scalars()]


async def profiles_of_partnership(session: AsyncSession, *, partnership_id: int) -> list[Profile]:
    """Every participant (complete or not) who chose the partnership, oldest first."""
    rows = await session.execute(
        select(Profile)
        .where(Profile.partnership_id == partnership_id)
        .order_by(Profile.created_at, Profile.user_id)
    )
    return list(rows.scalars())


async def exchanges_with_sides(
    session: AsyncSession, *, partnership_id: int
) -> list[tuple[Exchange, Profile | None, Profile | None]]:
    """Exchanges of the partnership with the visitor's and the host's profile, by id."""
    visitor = aliased(Profile)
    host = aliased(Profile)
    rows = await session.execute(
        select(Exchange, visitor, host)
        .outerjoin(visitor, visitor.user_id == Exchange.visitor_id)
        .outerjoin(host, host.user_id == Exchange.host_id)
        .where(_of_partnership(partnership_id))
        .order_by(Exchange.id)
    )
    return [(ex, v, h) for ex, v, h in rows.all()]
