"""Storage on SQLite and (when CXBOT_TEST_DATABASE_URL is set) PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel, select

from storage import repo, repo_population
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


async def test_profiles_from_before_validation_count_as_approved(db_url: str) -> None:
    db = Database(db_url)
    await db.upgrade("0003")
    async with db.engine.begin() as conn:
        await conn.exec_driver_sql(
            'INSERT INTO "user" (id, consent, state, state_version, state_data, paused,'
            " created_at, updated_at) VALUES (1, 'given', 'idle', 0, '{}', false,"
            " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
        )
        await conn.exec_driver_sql(
            "INSERT INTO profile (user_id, ecosystems, languages, completed_at, created_at,"
            " updated_at) VALUES (1, '[]', '[]', '2026-11-01 10:00:00',"
            " '2026-11-01 10:00:00', '2026-11-01 10:00:00')"
        )
    await db.upgrade()
    async with db.session() as s:
        _user, profile = await repo.get_user_and_profile(s, user_id=1)
        assert profile is not None and profile.review == "approved"
        assert [r.user_id for r in await repo_population.participant_rows(s)] == [1]
        s.add(User(id=2))
        await s.flush()
        s.add(Profile(user_id=2))  # new rows default to waiting for validation
        await s.commit()
        _user, fresh = await repo.get_user_and_profile(s, user_id=2)
        assert fresh is not None and fresh.review == "pending"
    await db.dispose()


async def test_erasing_a_staff_member_keeps_the_exchange_but_not_their_id(db_url: str) -> None:
    from storage.models import Exchange, ExchangeEvent, Partnership, Staff

    db = await _db(db_url)
    async with db.session() as s:
        for uid in (1, 2, 3):
            s.add(User(id=uid, consent="given"))
        s.add(Partnership(id=1, slug="p", name="P"))
        await s.flush()
        s.add(Staff(partnership_id=1, user_id=3))
        s.add(Profile(user_id=1, reviewed_by=3))
        s.add(Exchange(id=1, visitor_id=1, host_id=2, visitor_partnership_id=1))
        await s.flush()
        s.add(ExchangeEvent(exchange_id=1, actor_id=3, action="match_approved", phase="planning"))
        await s.commit()
    async with db.session() as s:
        assert await repo.count_rows_of_user(s, user_id=3) == 4  # user, staff, review, event
        await repo.delete_user(s, user_id=3)
        await s.commit()
    async with db.session() as s:
        assert await repo.count_rows_of_user(s, user_id=3) == 0
        assert len(await repo.events_of(s, exchange_id=1)) == 1
        assert await repo.get_exchange(s, exchange_id=1) is not None
    await db.dispose()


async def test_many_concurrent_writers_all_succeed(db_url: str) -> None:
    """An event's door rush in miniature: 80 units of work that read, pause and write at
    once. On SQLite they take turns (never two at a time, so never "database is locked")
    and a nested session of the same task shares the turn instead of waiting for itself;
    on PostgreSQL they run side by side."""
    db = await _db(db_url)
    active = peak = 0

    async def sign_up(user_id: int) -> None:
        nonlocal active, peak
        async with db.session() as s:
            active += 1
            peak = max(peak, active)
            assert await repo.get_user(s, user_id=user_id) is None
            await asyncio.sleep(0.001)  # a handler awaiting something in between
            s.add(User(id=user_id, state="q_name"))
            await s.flush()
            if db.serialised:  # on SQLite, a nested session shares the turn (no deadlock)
                async with db.session() as inner:
                    assert await repo.get_user(inner, user_id=BIG_ID) is None
            await s.commit()
            active -= 1

    await asyncio.wait_for(asyncio.gather(*(sign_up(i) for i in range(1, 81))), timeout=60)
    async with db.session() as s:
        assert await repo.count_rows_of_user(s, user_id=80) == 1
        stored = [await repo.get_user(s, user_id=i) for i in range(1, 81)]
    assert all(u is not None for u in stored)
    assert peak == 1 if db.serialised else peak > 1
    await db.dispose()


async def test_updates_dropped_in_a_flood_are_marked_handled_in_one_statement(
    db_url: str,
) -> None:
    from storage import repo_delivery

    db = await _db(db_url)
    now = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    async with db.session() as session:
        for update_id in range(BIG_ID, BIG_ID + 5):
            await repo_delivery.record_update(
                session, update_id=update_id, payload={"update_id": update_id}, now=now
            )
        await repo_delivery.claim_update(session, update_id=BIG_ID, now=now)  # handled before
        await session.commit()
    async with db.session() as session:
        dropped = [BIG_ID, BIG_ID + 1, BIG_ID + 2, BIG_ID + 99]  # 99: never recorded
        changed = await repo_delivery.mark_updates_dropped(session, update_ids=dropped, now=now)
        assert changed == 2
        assert await repo_delivery.mark_updates_dropped(session, update_ids=[], now=now) == 0
        await session.commit()
    async with db.session() as session:
        left = await repo_delivery.unhandled_updates(session)
    assert [p["update_id"] for p in left] == [BIG_ID + 3, BIG_ID + 4]  # a restart runs only these
    await db.dispose()


async def test_exchanges_waiting_before_nudges_existed_get_them(db_url: str) -> None:
    """Migration 0016: exchanges waiting for who travels or for dates are nudged 7 and 21
    days after the upgrade, both sides; the others get nothing."""
    from datetime import timedelta

    from storage.models import Exchange, Reminder

    db = Database(db_url)
    await db.upgrade("0015")
    async with db.session() as s:
        for uid in (1, 2, 3, 4, 5, 6):
            s.add(User(id=uid, consent="given"))
        await s.flush()
        s.add(Exchange(id=1, visitor_id=1, host_id=2, phase="direction"))
        s.add(Exchange(id=2, visitor_id=3, host_id=4, phase="planning"))
        s.add(Exchange(id=3, visitor_id=5, host_id=6, phase="visiting"))
        s.add(Exchange(id=4, visitor_id=6, host_id=5, phase="planning"))
        await s.flush()
        # Nudged already (by the bot since 0015): left as it is.
        planned = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
        s.add(Reminder(user_id=6, exchange_id=4, kind="stalled", due_at=planned))
        await s.commit()
    before = datetime.now(UTC)
    await db.upgrade()
    async with db.session() as s:
        rows = (await s.execute(select(Reminder).order_by(Reminder.id))).scalars().all()
    [kept] = [r for r in rows if r.exchange_id == 4]
    assert kept.due_at == planned
    rows = [r for r in rows if r.exchange_id != 4]
    assert sorted((r.exchange_id, r.user_id, r.kind) for r in rows) == sorted(
        (x, u, "stalled") for x, users in ((1, (1, 2)), (2, (3, 4))) for u in users for _ in (7, 21)
    )
    for row in rows:
        waited = row.due_at - before
        assert timedelta(days=7) - timedelta(minutes=5) < waited < timedelta(days=21, minutes=5)
    assert sorted({round((r.due_at - before) / timedelta(days=1)) for r in rows}) == [7, 21]
    async with db.session() as s:  # the dispatcher finds them when due, as any reminder
        due = await repo.take_due_reminders(s, now=before + timedelta(days=8), events=False)
        assert sorted((r.exchange_id, r.user_id) for r in due) == [
            (1, 1),
            (1, 2),
            (2, 3),
            (2, 4),
            (4, 6),
        ]
    await db.dispose()
