"""Async engine, sessions and migrations (Alembic, run on a live async connection), and the
start-up checks: waiting for a database that is not up yet, and its migration state."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, exc, make_url, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import sqlite_driver
from storage.send_budget import SharedSendBudget

log = logging.getLogger(__name__)
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# The key of the PostgreSQL advisory lock that migrations run under ("cxbotmig" as a number):
# workers starting together migrate one after the other, the later ones finding it done.
MIGRATION_LOCK = int.from_bytes(b"cxbotmig", "big")
# While the database is unreachable at start: wait 1 s, then twice as long each time, at most
# 30 s; an attempt to connect that takes longer than ATTEMPT_TIMEOUT counts as failed.
FIRST_DELAY = 1.0
MAX_DELAY = 30.0
ATTEMPT_TIMEOUT = 10.0
# Errors (by class name, anywhere in the chain) of a server that is not ready yet.
_NOT_READY = frozenset(
    {"CannotConnectNowError", "TooManyConnectionsError", "ConnectionDoesNotExistError"}
)


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
    """An async engine; SQLite gets WAL, foreign keys, a busy timeout and one thread hop per
    statement (``storage.sqlite_driver``)."""
    if make_url(url).drivername == "sqlite+aiosqlite":
        kwargs.setdefault("module", sqlite_driver.dbapi())
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
        """Apply Alembic migrations up to ``revision``; on PostgreSQL under an advisory lock
        held until the transaction ends, so that workers starting together take turns."""
        async with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            await conn.run_sync(_upgrade, revision)

    async def ping(self) -> None:
        """Connect and run ``SELECT 1``; raises what the driver raised when that fails."""
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def revision(self) -> str | None:
        """The migration the database is at (None: never migrated)."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )

    async def wait_until_reachable(
        self,
        *,
        max_wait: float,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Return once the database answers. While it cannot be reached, log one line per
        attempt and try again after ``retry_delays``, for at most ``max_wait`` seconds;
        then, or at once for any other error, raise ``DatabaseUnavailable``."""
        path = sqlite_file(self.url)
        if path is not None and (problem := await asyncio.to_thread(sqlite_access, path)):
            raise DatabaseUnavailable(problem)  # waiting does not give us the rights
        deadline = clock() + max_wait
        delays = retry_delays()
        while True:
            try:
                async with asyncio.timeout(ATTEMPT_TIMEOUT):
                    await self.ping()
                return
            except Exception as error:
                reason = error_name(error)
                if not unreachable(error):
                    raise DatabaseUnavailable(f"database error ({reason})") from None
                left = deadline - clock()
                if left <= 0:
                    raise DatabaseUnavailable(
                        f"database unreachable ({reason}), gave up after {max_wait:g} s"
                    ) from None
                pause = min(next(delays), left)
                log.warning(
                    "database unreachable (%s), retrying in %s s",
                    reason,
                    f"{pause:.1f}".removesuffix(".0"),
                )
                await sleep(pause)

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

    def send_budget(self, *, slots: int, spacing: float) -> SharedSendBudget | None:
        """Telegram's send budget shared with the other instances on this database
        (PostgreSQL only: an SQLite file is one instance's)."""
        if self.engine.dialect.name != "postgresql":
            return None
        return SharedSendBudget(self.engine, slots=slots, spacing=spacing)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


class DatabaseUnavailable(Exception):
    """The database cannot be used; the message says why in one line."""


def retry_delays() -> Iterator[float]:
    """Seconds between attempts to reach the database: 1, 2, 4, 8, 16, then 30 for ever."""
    delay = FIRST_DELAY
    while True:
        yield delay
        delay = min(delay * 2, MAX_DELAY)


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error``, then what it wraps (the driver's error behind SQLAlchemy's), its cause, and
    so on down to the innermost."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, exc.DBAPIError) and isinstance(current.orig, BaseException):
            current = current.orig
        elif current.__cause__ is not None:
            current = current.__cause__
        else:
            current = None if current.__suppress_context__ else current.__context__


def error_name(error: BaseException) -> str:
    """The class of the innermost error behind ``error`` (the driver's, not SQLAlchemy's
    wrapper): ``ConnectionRefusedError``, ``InvalidPasswordError``; never its message."""
    return type(list(_chain(error))[-1]).__name__


def unreachable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot be reached (yet): refused, timed out, not
    resolvable, starting up, full; rather than refusing us for good."""
    for part in _chain(error):
        if isinstance(part, OSError | TimeoutError | exc.OperationalError | exc.InterfaceError):
            return True
        if type(part).__name__ in _NOT_READY:
            return True
    return False


def head_revision() -> str | None:
    """The newest migration shipped (reads the migration scripts: call it off the loop)."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def sqlite_access(path: Path) -> str | None:
    """Why this process cannot keep an SQLite database at ``path``, in one line (None: it
    can). SQLite in WAL mode writes the file and, beside it, its ``-wal`` and ``-shm`` files:
    the directory must exist and be writable, and so must the file if there is one. Typical
    in a container: a host directory mounted on /data that belongs to root."""
    directory = path.parent
    uid = os.getuid() if hasattr(os, "getuid") else None
    who = "this user" if uid is None else f"user {uid}"
    chown = "change its permissions" if uid is None else f"chown it to {uid} on the host"
    if not directory.is_dir():
        return f"database directory {directory} does not exist: create it or mount a volume there"
    if not os.access(directory, os.W_OK | os.X_OK):
        return (
            f"database directory {directory} is not writable by {who}: {chown}, "
            "or mount a named volume there"
        )
    if path.exists() and not os.access(path, os.R_OK | os.W_OK):
        return f"database file {path} is not writable by {who}: {chown}"
    return None


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database URL (None for other databases and in-memory ones)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)
