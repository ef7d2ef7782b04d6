"""Queries of ``/search``. Keyword-only functions taking the session of the unit of work."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Profile, Review, User
from storage.repo_population import driver_rows

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


class MemberRow(NamedTuple):
    """A participant with a complete profile, as staff search lists them."""

    user_id: int
    partnership_id: int | None
    review: str
    change_waiting: bool  # an approved profile's change waits for validation
    paused: bool
    organisation: str
    person: str  # the contact person's name


async def members(
    session: AsyncSession, *, partnership_ids: Collection[int] | None, parse: bool = True
) -> list[Any]:
    """Every participant with a complete profile of these partnerships (None: of all, and
    those without a partnership), whatever the state of their validation. Built by the
    database driver (a super-admin's search reads the whole population); ``parse=False``
    leaves the rows raw for ``parse_members``, which may run off the event loop."""
    query = (
        select(
            Profile.user_id,
            Profile.partnership_id,
            Profile.review,
            Profile.pending_changes.is_not(None).label("change_waiting"),  # type: ignore[union-attr]
            User.paused,
            Profile.organisation,
            Profile.name,
        )
        .select_from(Profile)
        .join(User, User.id == Profile.user_id)
        .where(Profile.completed_at.is_not(None))  # type: ignore[union-attr]
    )
    if partnership_ids is not None:
        ids = sorted(set(partnership_ids))
        query = query.where(Profile.partnership_id.in_(ids))  # type: ignore[union-attr]
    raw = await driver_rows(session, query)
    return list(parse_members(raw)) if parse else raw


def parse_members(raw: Iterable[Any]) -> Iterator[MemberRow]:
    """Rows of ``members(..., parse=False)``, decoded one at a time (pure CPU)."""
    for uid, pid, review, change, paused, org, person in raw:
        yield MemberRow(uid, pid, review, bool(change), bool(paused), org or "", person or "")


async def unsettled_ids(
    session: AsyncSession, *, partnership_ids: Collection[int] | None
) -> list[int]:
    """Participants of these partnerships (None: of all) with a complete profile that is not
    validated: waiting for validation or rejected (not in the matching population)."""
    query = select(Profile.user_id).where(
        Profile.completed_at.is_not(None),  # type: ignore[union-attr]
        Profile.review != Review.APPROVED,
    )
    if partnership_ids is not None:
        ids = sorted(set(partnership_ids))
        query = query.where(Profile.partnership_id.in_(ids))  # type: ignore[union-attr]
    return list((await session.execute(query)).scalars())
