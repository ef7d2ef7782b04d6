"""Async engine, sessions and migrations (Alembic, run on a live async connection)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten content is overwritten with zeros in the file, not just marked
    # free: an erased person's values must not linger in free pages (``forget_erased``).
    cur.execute("PRAGMA secure_delete=ON")
    # Only another process can make us wait here (see ``Database.session``): be patient.
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine; SQLite gets WAL, foreign keys and a busy timeout."""
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def alembic_config(url: str | None = None) -> Config:
    """Alembic configuration pointing at the shipped migrations (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _upgrade(connection: Connection, revision: str) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, revision)


class Database:
    """Engine plus session factory; one per process."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        # SQLite lets one transaction write at a time. Left to SQLite, concurrent handlers
        # wait for its lock in its busy handler, which polls, is not fair and gives up with
        # "database is locked" after the busy timeout: at an event's door, 64 sign-ups at once
        # made some wait longer than that. So on SQLite the sessions of this process take
        # turns on an asyncio lock instead (first come, first served, no timeout, no thread
        # parked). Sessions never span network I/O (services return what to send), so a turn
        # is short. PostgreSQL has row locks and needs none of this.
        self.serialised = self.engine.dialect.name == "sqlite"
        self._turn: asyncio.Lock | None = None
        self._turn_loop: asyncio.AbstractEventLoop | None = None
        self._holder: asyncio.Task[Any] | None = None

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._turn is None or self._turn_loop is not loop:
            self._turn, self._turn_loop = asyncio.Lock(), loop
        return self._turn

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work; commit explicitly, rolled back on error.

        On SQLite one session of this process runs at a time (see ``__init__``); a session
        opened inside another by the same task shares its turn.
        """
        task = asyncio.current_task()
        if not self.serialised or task is None or self._holder is task:
            async with self.sessions() as session:
                yield session
            return
        async with self._lock():
            self._holder = task
            try:
                async with self.sessions() as session:
                    yield session
            finally:
                self._holder = None

    async def upgrade(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to ``revision``."""
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade, revision)

    async def forget_erased(self) -> None:
        """After an erasure: on SQLite, copy the write-ahead log into the database file and
        empty it, so that the erased values, overwritten with zeros in the file
        (``secure_delete``), do not stay readable in the log's older page images. PostgreSQL
        keeps dead row versions until (auto)vacuum; nothing to do here."""
        if not self.serialised:
            return
        async with self.session() as session:
            busy, _log, _done = (
                await session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
            ).one()
        if busy:
            log.warning("the write-ahead log could not be emptied now (a reader was active)")

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
