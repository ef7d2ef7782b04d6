"""Every query the bot makes. Keyword-only functions taking the session of the unit of work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.models import PERSONAL_TABLES, ImportedProfile, Profile, Proposal, User


async def get_user(session: AsyncSession, *, user_id: int) -> User | None:
    """The user row, or None."""
    return await session.get(User, user_id)


async def get_user_and_profile(
    session: AsyncSession, *, user_id: int
) -> tuple[User | None, Profile | None]:
    """User and profile in one round trip."""
    row = (
        await session.execute(
            select(User, Profile)
            .outerjoin(Profile, Profile.user_id == User.id)
            .where(User.id == user_id)
        )
    ).first()
    if row is None:
        return None, None
    return row[0], row[1]


async def delete_user(session: AsyncSession, *, user_id: int) -> None:
    """Erase every row holding this user's personal data (children first)."""
    for table_name, columns in PERSONAL_TABLES.items():
        if table_name == "user":
            continue
        table = SQLModel.metadata.tables[table_name]
        await session.execute(delete(table).where(or_(*(table.c[c] == user_id for c in columns))))
    await session.execute(delete(User).where(User.id == user_id))


async def count_rows_of_user(session: AsyncSession, *, user_id: int) -> int:
    """How many rows in the personal-data tables still name this user."""
    total = 0
    for table_name, columns in PERSONAL_TABLES.items():
        table = SQLModel.metadata.tables[table_name]
        condition = or_(*(table.c[c] == user_id for c in columns))
        total += (
            await session.execute(select(func.count()).select_from(table).where(condition))
        ).scalar_one()
    return total


async def completed_participants(session: AsyncSession) -> list[tuple[User, Profile]]:
    """Every user with a complete profile (the matching population)."""
    rows = await session.execute(
        select(User, Profile)
        .join(Profile, Profile.user_id == User.id)
        .where(Profile.completed_at.is_not(None))  # type: ignore[union-attr]
    )
    return [(u, p) for u, p in rows.all()]


async def population_fingerprint(session: AsyncSession) -> tuple:
    """Changes whenever a complete profile or its owner's flags change."""
    row = (
        await session.execute(
            select(func.count(), func.max(Profile.updated_at), func.max(User.updated_at))
            .select_from(User)
            .join(Profile, Profile.user_id == User.id)
            .where(Profile.completed_at.is_not(None))  # type: ignore[union-attr]
        )
    ).one()
    return tuple(row)


async def proposals_of(session: AsyncSession, *, user_id: int) -> list[Proposal]:
    """Every proposal the user is part of."""
    rows = await session.execute(
        select(Proposal).where(or_(Proposal.a_id == user_id, Proposal.b_id == user_id))
    )
    return list(rows.scalars())


async def get_proposal(session: AsyncSession, *, proposal_id: int) -> Proposal | None:
    """One proposal by id."""
    return await session.get(Proposal, proposal_id)


async def open_proposals_shown_before(session: AsyncSession, *, before: datetime) -> list[Proposal]:
    """Open proposals with a side that was shown before ``before`` and has not answered."""
    side_a = (Proposal.a_status == "shown") & (Proposal.a_shown_at <= before)
    side_b = (Proposal.b_status == "shown") & (Proposal.b_shown_at <= before)
    rows = await session.execute(
        select(Proposal).where(Proposal.closed_at.is_(None), or_(side_a, side_b))  # type: ignore[union-attr]
    )
    return list(rows.scalars())


async def get_import(session: AsyncSession, *, external_id: str) -> ImportedProfile | None:
    """An imported registration by its id in the staff's file."""
    return await session.get(ImportedProfile, external_id)


async def import_by_token(session: AsyncSession, *, token: str) -> ImportedProfile | None:
    """An imported registration by its invite token."""
    rows = await session.execute(
        select(ImportedProfile).where(ImportedProfile.invite_token == token)
    )
    return rows.scalars().first()


async def claim_nudge(session: AsyncSession, proposal_id: int, side: str, now: datetime) -> bool:
    """Mark one side nudged unless someone already did; commits. True for the one who did."""
    nudged = getattr(Proposal, f"{side}_nudged_at")
    status = getattr(Proposal, f"{side}_status")
    result = await session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal_id,
            nudged.is_(None),
            status == "shown",
            Proposal.closed_at.is_(None),  # type: ignore[union-attr]
        )
        .values({f"{side}_nudged_at": now, "updated_at": now})
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


async def claim_expiry(session: AsyncSession, proposal_id: int, side: str, now: datetime) -> bool:
    """Expire one side's open proposal unless someone already did; commits."""
    status = getattr(Proposal, f"{side}_status")
    result = await session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal_id,
            status == "shown",
            Proposal.closed_at.is_(None),  # type: ignore[union-attr]
        )
        .values({f"{side}_status": "expired", "closed_at": now, "updated_at": now})
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return result.rowcount == 1  # type: ignore[attr-defined]


async def rows_of_user(session: AsyncSession, *, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every personal-data table that names the user, as JSON-friendly dicts."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table_name, columns in PERSONAL_TABLES.items():
        table = SQLModel.metadata.tables[table_name]
        condition = or_(*(table.c[c] == user_id for c in columns))
        result = await session.execute(select(table).where(condition))
        out[table_name] = [
            {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}
            for row in result.mappings()
        ]
    return out
