"""Every query the bot makes. Keyword-only functions taking the session of the unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from storage.models import PERSONAL_TABLES, Profile, User


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
    await session.execute(delete(Profile).where(Profile.user_id == user_id))
    await session.execute(delete(User).where(User.id == user_id))


def row_to_dict(row: SQLModel) -> dict[str, Any]:
    """A row as JSON-friendly data."""
    out: dict[str, Any] = {}
    for key, value in row.model_dump().items():
        out[key] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


async def count_rows_of_user(session: AsyncSession, *, user_id: int) -> int:
    """How many rows in the personal-data tables still name this user."""
    total = 0
    for table_name, column in PERSONAL_TABLES.items():
        table = SQLModel.metadata.tables[table_name]
        total += (
            await session.execute(
                select(func.count()).select_from(table).where(table.c[column] == user_id)
            )
        ).scalar_one()
    return total
