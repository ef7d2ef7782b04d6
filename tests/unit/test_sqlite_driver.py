"""storage.sqlite_driver: a statement is one hand-over to aiosqlite's worker thread, and
SQLAlchemy sees the same results and errors as through its own aiosqlite adapter."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiosqlite
import pytest
from sqlalchemy import bindparam, exc, insert, select, text, update

from storage import repo
from storage.db import Database
from storage.models import InboxUpdate, OutboxMessage, User
from storage.sqlite_driver import OneHopCursor


@pytest.fixture
async def db(sqlite_url: str) -> AsyncIterator[Database]:
    database = Database(sqlite_url)
    await database.upgrade()
    yield database
    await database.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of every function handed to aiosqlite's worker thread."""
    seen: list[str] = []
    original = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(getattr(fn, "__name__", repr(fn)))
        return await original(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return seen


async def test_a_select_update_and_commit_cost_one_hop_each(db: Database, hops) -> None:
    async with db.session() as session:
        session.add(User(id=1, state="idle"))
        await session.commit()
    async with db.session() as session:
        await session.execute(text("SELECT 1"))  # the connection is checked out: not counted
        hops.clear()
        names = (await session.execute(select(User.id, User.state))).all()
        changed = await session.execute(update(User).where(User.id == 1).values(state="x"))
        await session.commit()
    assert names == [(1, "idle")]
    assert changed.rowcount == 1
    assert hops == ["_run", "_run", "commit"]


async def test_results_match_sqlite(db: Database) -> None:
    async with db.session() as session:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        assert isinstance(raw.dbapi_connection.cursor(), OneHopCursor)
        # executemany, RETURNING (counted as its rows are read), an empty result
        session.add_all([User(id=i, state="idle") for i in (1, 2, 3)])
        await session.flush()
        returned = await session.execute(
            update(User).where(User.id > 1).values(state="gone").returning(User.id)
        )
        assert sorted(returned.scalars()) == [2, 3]
        renamed = update(User.__table__).where(User.__table__.c.id == bindparam("uid"))
        await session.execute(  # executemany
            renamed.values(state=bindparam("new")), [{"uid": 1, "new": "a"}, {"uid": 3, "new": "c"}]
        )
        states = (await session.execute(select(User.id, User.state).order_by(User.id))).all()
        assert states == [(1, "a"), (2, "gone"), (3, "c")]
        assert (await session.execute(select(User.id).where(User.id > 9))).all() == []
        assert (await session.execute(text("SELECT count(*) FROM user"))).scalar_one() == 3
        await session.commit()
    async with db.session() as session:
        assert (await repo.get_user(session, user_id=2)).state == "gone"


async def test_generated_keys_come_back(db: Database) -> None:
    async with db.session() as session:
        first, second = OutboxMessage(chat_id=1, message={}), OutboxMessage(chat_id=2, message={})
        session.add(first)
        await session.flush()  # one row
        session.add(second)
        await session.flush()
        assert first.id is not None and second.id == first.id + 1
        result = await session.execute(insert(OutboxMessage).values(chat_id=3, message={}))
        assert result.inserted_primary_key == (second.id + 1,)


async def test_errors_keep_their_class_and_the_session_goes_on(db: Database) -> None:
    async with db.session() as session:
        await session.execute(insert(InboxUpdate).values(update_id=5, failed=False))
        with pytest.raises(exc.IntegrityError):
            await session.execute(insert(InboxUpdate).values(update_id=5, failed=False))
        await session.rollback()
        with pytest.raises(exc.OperationalError):
            await session.execute(text("SELECT * FROM no_such_table"))
        await session.rollback()
        assert (await session.execute(text("SELECT 2"))).scalar_one() == 2
