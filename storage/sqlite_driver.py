"""SQLite through aiosqlite with one thread hop per statement instead of four.

SQLAlchemy's aiosqlite adapter hands every step of a statement to aiosqlite's worker thread
separately: make a cursor, execute, fetch the rows, close the cursor. Each hand-over is a
queue put, a wake-up of the worker, a write to the event loop's self-pipe and a turn of the
loop; a typical update (five statements and the commit) made 23 of them, and they cost more
than the SQL itself (bench/pipeline.py, issue 13). Here a statement's whole life runs in
the worker in one call: execute, read every row (SQLAlchemy's adapter reads them all at once
too), note the description, row count and last row id, close. The loop waits once.

Only the plain cursors change. Server-side cursors (``stream``) and the driver connection
(``storage.repo_population.driver_rows`` reads the population in batches through it) keep
aiosqlite's own path, so a large result is still fetched a batch at a time.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT

_Result = tuple[Any, list[Any], int, int | None]


def _run(conn: sqlite3.Connection, operation: str, parameters: Any, many: bool) -> _Result:
    """One statement from start to end, in aiosqlite's worker thread."""
    cursor = conn.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else []
        # After the fetch: for INSERT … RETURNING sqlite3 counts the rows as they are read.
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A DBAPI cursor whose statements each cost one hand-over to the worker thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # No sqlite3 cursor is made here (that was a hop of its own): ``_run`` makes one.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> Any:
        return self._lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the worker closed the sqlite3 cursor with the statement."""

    def close(self) -> None:
        self._rows.clear()

    async def _execute_async(self, operation: Any, parameters: Any) -> None:
        await self._one_hop(operation, parameters, many=False)

    async def _executemany_async(self, operation: Any, seq_of_parameters: Sequence[Any]) -> None:
        await self._one_hop(operation, seq_of_parameters, many=True)

    async def _one_hop(self, operation: Any, parameters: Any, *, many: bool) -> None:
        connection: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        async with self._adapt_connection._execute_mutex:
            result = await connection._execute(_run, connection._conn, operation, parameters, many)
        self._description, rows, self._rowcount, self._lastrowid = result
        self._rows = collections.deque(rows)

    def nextset(self) -> None:
        raise NotImplementedError("SQLite has one result set per statement")


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = OneHopCursor

    def rollback(self) -> None:
        # The pool rolls back every connection it takes back, most often after a commit:
        # with no transaction open there is nothing to ask the worker thread.
        driver = self._connection._connection
        if driver is not None and not driver.in_transaction:
            return
        super().rollback()


class OneHopDBAPI(AsyncAdapt_aiosqlite_dbapi):
    """aiosqlite as SQLAlchemy's DBAPI module, with ``OneHopConnection`` connections."""

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        # SQLAlchemy's own connect (creator, daemon worker thread), with this adapter around it.
        return OneHopConnection(self, super().connect(*arg, **kw)._connection)


def dbapi() -> OneHopDBAPI:
    """The module to give ``create_async_engine(..., module=...)`` for ``sqlite+aiosqlite``."""
    return OneHopDBAPI(aiosqlite, sqlite3)
