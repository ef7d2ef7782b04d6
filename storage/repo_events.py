"""Queries of the events feature: events, attendees, event proposals and meetings."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Attendee, Event, EventMatch, Profile, User
from storage.models import ProposalSide as Side


async def event_by_code(session: AsyncSession, *, code: str) -> Event | None:
    """The event of a deep-link code, or None."""
    rows = await session.execute(select(Event).where(Event.code == code))
    return rows.scalar_one_or_none()


async def get_event(session: AsyncSession, *, event_id: int) -> Event | None:
    """The event, or None."""
    return await session.get(Event, event_id)


async def events_of_partnerships(
    session: AsyncSession, *, partnership_ids: Collection[int] | None
) -> list[Event]:
    """Events of these partnerships (all events for None), newest first."""
    query = select(Event).order_by(Event.starts_on.desc(), Event.id.desc())  # type: ignore[union-attr]
    if partnership_ids is not None:
        query = query.where(Event.partnership_id.in_(list(partnership_ids)))  # type: ignore[attr-defined]
    return list((await session.execute(query)).scalars())


async def events_of_attendee(session: AsyncSession, *, user_id: int) -> list[Event]:
    """The events a user joined, newest first."""
    rows = await session.execute(
        select(Event)
        .join(Attendee, Attendee.event_id == Event.id)
        .where(Attendee.user_id == user_id)
        .order_by(Event.starts_on.desc(), Event.id.desc())  # type: ignore[union-attr]
    )
    return list(rows.scalars())


async def get_attendee(session: AsyncSession, *, event_id: int, user_id: int) -> Attendee | None:
    """The attendance row, or None."""
    return await session.get(Attendee, (event_id, user_id))


async def attendees(
    session: AsyncSession, *, event_id: int, user_ids: Collection[int] | None = None
) -> list[tuple[Attendee, User, Profile]]:
    """Everyone who joined the event (or those of ``user_ids``), with their user and profile
    rows, in order of joining."""
    query = (
        select(Attendee, User, Profile)
        .join(User, User.id == Attendee.user_id)
        .join(Profile, Profile.user_id == Attendee.user_id)
        .where(Attendee.event_id == event_id)
    )
    if user_ids is not None:
        query = query.where(Attendee.user_id.in_(list(user_ids)))  # type: ignore[attr-defined]
    rows = await session.execute(query.order_by(Attendee.joined_at, Attendee.user_id))
    return [(a, u, p) for a, u, p in rows.all()]


async def attendee_versions(session: AsyncSession, *, event_id: int) -> dict[int, datetime]:
    """Each attendee's profile version (its last change): plain rows, no ORM objects."""
    rows = await session.execute(
        select(Attendee.user_id, Profile.updated_at)
        .join(Profile, Profile.user_id == Attendee.user_id)
        .where(Attendee.event_id == event_id)
    )
    return {user_id: updated for user_id, updated in rows.all()}


async def attendee_fingerprint(session: AsyncSession, *, event_id: int) -> tuple:
    """Changes whenever someone joins or an attendee's profile changes."""
    row = (
        await session.execute(
            select(func.count(), func.max(Profile.updated_at), func.max(Attendee.joined_at))
            .select_from(Attendee)
            .join(Profile, Profile.user_id == Attendee.user_id)
            .where(Attendee.event_id == event_id)
        )
    ).one()
    return tuple(row)


async def figures(session: AsyncSession, *, event_id: int) -> tuple[int, int, int, int]:
    """Signed up, checked in, proposals made, meetings agreed."""
    signed, checked = (
        await session.execute(
            select(func.count(), func.count(Attendee.checked_in_at)).where(
                Attendee.event_id == event_id
            )
        )
    ).one()
    proposals, meetings = (
        await session.execute(
            select(func.count(), func.count(EventMatch.matched_at)).where(
                EventMatch.event_id == event_id
            )
        )
    ).one()
    return int(signed), int(checked), int(proposals), int(meetings)


async def get_match(session: AsyncSession, *, match_id: int) -> EventMatch | None:
    """The event proposal, or None."""
    return await session.get(EventMatch, match_id)


async def matches_of(session: AsyncSession, *, event_id: int, user_id: int) -> list[EventMatch]:
    """Every pair of this user at the event."""
    rows = await session.execute(
        select(EventMatch).where(
            EventMatch.event_id == event_id,
            or_(EventMatch.a_id == user_id, EventMatch.b_id == user_id),
        )
    )
    return list(rows.scalars())


async def meetings(session: AsyncSession, *, event_id: int) -> list[EventMatch]:
    """The agreed meetings of the event, in time order."""
    rows = await session.execute(
        select(EventMatch)
        .where(EventMatch.event_id == event_id, EventMatch.matched_at.is_not(None))  # type: ignore[union-attr]
        .order_by(EventMatch.slot_at, EventMatch.id)
    )
    return list(rows.scalars())


async def busy_slots(
    session: AsyncSession, *, event_id: int, user_ids: Collection[int]
) -> set[datetime]:
    """Meeting times already taken by any of these users at the event."""
    ids = list(user_ids)
    rows = await session.execute(
        select(EventMatch.slot_at).where(
            EventMatch.event_id == event_id,
            EventMatch.slot_at.is_not(None),  # type: ignore[union-attr]
            or_(EventMatch.a_id.in_(ids), EventMatch.b_id.in_(ids)),  # type: ignore[attr-defined]
        )
    )
    return {slot for slot in rows.scalars() if slot is not None}


async def has_open_card(session: AsyncSession, *, event_id: int, user_id: int) -> bool:
    """Whether the user has a proposal of this event in front of them, not yet answered."""
    shown = or_(
        and_(EventMatch.a_id == user_id, EventMatch.a_status == Side.SHOWN),
        and_(EventMatch.b_id == user_id, EventMatch.b_status == Side.SHOWN),
    )
    row = await session.execute(
        select(EventMatch.id).where(EventMatch.event_id == event_id, shown).limit(1)
    )
    return row.first() is not None
