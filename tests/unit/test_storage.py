"""Storage on SQLite and (when CXBOT_TEST_DATABASE_URL is set) PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from storage import repo
from storage.db import Database
from storage.models import Profile, User

BIG_ID = 7_987_654_321  # Telegram ids exceed 32 bits


async def _db(url: str) -> Database:
    db = Database(url)
    await db.upgrade()
    return db


async def test_migrations_match_the_models(db_url: str) -> None:
    db = await _db(db_url)

    def diff(conn):  # type: ignore[no-untyped-def]
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(ctx, SQLModel.metadata)

    async with db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    await db.upgrade()  # idempotent
    await db.dispose()


async def test_user_and_profile_round_trip(db_url: str) -> None:
    db = await _db(db_url)
    when = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    async with db.session() as s:
        s.add(User(id=BIG_ID, consent="given", consent_at=when, state_data={"eco": ["digital"]}))
        await s.flush()
        s.add(
            Profile(
                user_id=BIG_ID,
                name="Zoë Ærø",
                ecosystems=["digital", "textiles"],
                languages=["en"],
                available_from=date(2027, 1, 4),
            )
        )
        await s.commit()
    async with db.session() as s:
        user, profile = await repo.get_user_and_profile(s, user_id=BIG_ID)
    assert user is not None and profile is not None
    assert user.consent_at == when and user.state_data == {"eco": ["digital"]}
    assert profile.name == "Zoë Ærø" and profile.ecosystems == ["digital", "textiles"]
    assert profile.available_from == date(2027, 1, 4)
    async with db.session() as s:
        assert await repo.get_user_and_profile(s, user_id=1) == (None, None)
    await db.dispose()


async def test_delete_user_removes_every_personal_row(db_url: str) -> None:
    db = await _db(db_url)
    async with db.session() as s:
        for uid in (BIG_ID, BIG_ID + 1):
            s.add(User(id=uid, consent="given"))
            await s.flush()
            s.add(Profile(user_id=uid, name=f"user {uid}"))
        await s.commit()
    async with db.session() as s:
        await repo.delete_user(s, user_id=BIG_ID)
        await s.commit()
    async with db.session() as s:
        assert await repo.count_rows_of_user(s, user_id=BIG_ID) == 0
        assert await repo.count_rows_of_user(s, user_id=BIG_ID + 1) == 2
    await db.dispose()
