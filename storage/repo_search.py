"""Queries of ``/search``. Keyword-only functions taking the session of the unit of work."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Profile

_CHUNK = 5_000  # ids per statement (SQLite allows 32,766 parameters)


async def organisation_names(session: AsyncSession, *, user_ids: Collection[int]) -> dict[int, str]:
    """The organisation name of each of these participants (those who have one)."""
    ids = sorted(set(user_ids))
    names: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        rows = await session.execute(
            select(Profile.user_id, Profile.organisation).where(
                Profile.user_id.in_(ids[start : start + _CHUNK])  # type: ignore[attr-defined]
            )
        )
        names.update((user_id, name) for user_id, name in rows if name)
    return names
