"""Queries of the matching population: plain column rows (no ORM objects), read in full once
and then by what changed since, and the engine's stored terms per profile."""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, and_, cast, func, select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Exchange, MatchTerms, Phase, Profile, Review, User


class Row(NamedTuple):
    """One profile as matching reads it, with its stored terms (None when there are none)."""

    user_id: int
    eligible: bool  # complete and validated: in the population
    paused: bool
    role: str
    country: str
    ecosystems: tuple[str, ...]
    offers: str
    seeks: str
    languages: tuple[str, ...]
    available_from: date | None
    available_to: date | None
    terms_version: str | None
    offer_terms: str | None  # concept ids separated by spaces
    seek_terms: str | None
    offers_words: str | None
    seeks_words: str | None


_FETCH_BATCH = 2_000  # rows per fetch of the whole population (SQLite)
_ELIGIBLE = and_(
    Profile.completed_at.is_not(None),  # type: ignore[union-attr]
    Profile.review == Review.APPROVED,
)
_COLUMNS = (
    Profile.user_id,
    _ELIGIBLE.label("eligible"),
    User.paused,
    Profile.role,
    Profile.country,
    # JSON columns as their text: decoded by ``parse_rows``, which may run off the event loop.
    cast(Profile.ecosystems, Text).label("ecosystems_json"),
    Profile.offers,
    Profile.seeks,
    cast(Profile.languages, Text).label("languages_json"),
    cast(Profile.available_from, Text).label("available_from_text"),  # no per-row processor
    cast(Profile.available_to, Text).label("available_to_text"),
    MatchTerms.version,
    MatchTerms.offers,
    MatchTerms.seeks,
    MatchTerms.offers_words,
    MatchTerms.seeks_words,
)


def _date(text: str | None) -> date | None:
    return date.fromisoformat(text[:10]) if text else None


class _Shared(dict[Any, Any]):
    """One object for equal values across the rows of a read: thousands of profiles share
    their ecosystems, languages, role and country, and 100,000 copies cost tens of MB."""

    def tuple_of(self, text: str | None) -> tuple[str, ...]:
        """A JSON list column's text as a shared tuple of shared strings."""
        if not text:
            return ()
        found = self.get(("json", text))
        if found is None:
            found = self[("json", text)] = tuple(self.text(v) for v in json.loads(text) or ())
        return found

    def text(self, value: str | None) -> str:
        value = value or ""
        return self.setdefault(value, value)

    def date(self, text: str | None) -> date | None:
        """A date column's text as a shared date (windows repeat across profiles)."""
        if not text:
            return None
        found = self.get(("date", text))
        if found is None:
            found = self[("date", text)] = _date(text)
        return found


def _row(values: Any, shared: _Shared) -> Row:
    (uid, eligible, paused, role, country, ecos, offers, seeks, langs, start, end, *terms) = values
    return Row(
        uid,
        bool(eligible),
        bool(paused),
        shared.text(role),
        shared.text(country),
        shared.tuple_of(ecos),
        offers or "",
        seeks or "",
        shared.tuple_of(langs),
        shared.date(start),
        shared.date(end),
        *terms,
    )


def parse_rows(raw: list[Any]) -> list[Row]:
    """Rows of ``participant_rows(..., parse=False)``, decoded (pure CPU)."""
    shared = _Shared()
    return [_row(r, shared) for r in raw]


async def participant_rows(
    session: AsyncSession, *, user_ids: Collection[int] | None = None, parse: bool = True
) -> list[Any]:
    """Every profile in the population, or the profiles of ``user_ids`` whatever their state
    (a user without a profile, or erased, has no row). ``parse=False`` leaves the rows raw for
    ``parse_rows`` (100,000 rows decode in about a second: not on the event loop)."""
    query = (
        select(*_COLUMNS)
        .select_from(Profile)
        .join(User, User.id == Profile.user_id)
        .outerjoin(MatchTerms, MatchTerms.user_id == Profile.user_id)
    )
    if user_ids is None:
        raw = await driver_rows(session, query.where(_ELIGIBLE))
    else:
        query = query.where(Profile.user_id.in_(list(user_ids)))  # type: ignore[attr-defined]
        raw = list((await session.execute(query)).all())
    return parse_rows(raw) if parse else raw


async def driver_rows(session: AsyncSession, query: Any) -> list[Any]:
    """The rows of a constant query as the database driver builds them, in the session's
    transaction, without SQLAlchemy's row processing.

    That processing runs on the event loop: for the whole population (100,000 rows) it held
    the loop for about 0.3 s. aiosqlite builds its rows in its own thread; asyncpg builds
    its records in C as the data arrives."""
    await session.flush()  # what the unit of work changed so far, as a query would see it
    connection = await session.connection()
    dialect = connection.dialect
    sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    if dialect.name == "sqlite":
        # In batches: sqlite3 holds the GIL while it builds the rows of one fetch, and one
        # fetch of 100,000 rows kept the event loop from running for about 0.2 s.
        rows: list[Any] = []
        cursor = await driver.execute(sql)
        try:
            while batch := await cursor.fetchmany(_FETCH_BATCH):
                rows.extend(batch)
        finally:
            await cursor.close()
        return rows
    if dialect.name == "postgresql":
        return list(await driver.fetch(sql))
    return list((await session.execute(query)).all())  # pragma: no cover - other databases


async def changed_since(session: AsyncSession, *, since: datetime) -> set[int]:
    """Users whose profile, user row or exchange (as visitor) changed at or after ``since``;
    each part reads an index on ``updated_at``."""
    query = union(
        select(Profile.user_id).where(Profile.updated_at >= since),
        select(User.id).where(User.updated_at >= since),
        select(Exchange.visitor_id).where(Exchange.updated_at >= since),
    )
    return set((await session.execute(query)).scalars())


async def population_size(session: AsyncSession) -> int:
    """How many profiles are complete and validated (an index-only count)."""
    query = select(func.count()).select_from(Profile).where(_ELIGIBLE)
    return int((await session.execute(query)).scalar_one())


async def population_ids(session: AsyncSession) -> set[int]:
    """The ids of the population (to find who was erased)."""
    return set((await session.execute(select(Profile.user_id).where(_ELIGIBLE))).scalars())


async def visitors_with_exchange(
    session: AsyncSession, *, user_ids: Iterable[int] | None = None
) -> set[int]:
    """Visitors (of ``user_ids``, or all) whose one funded exchange is under way or done."""
    query = select(Exchange.visitor_id).where(Exchange.phase.in_(Phase.USES_VISIT))  # type: ignore[attr-defined]
    if user_ids is not None:
        query = query.where(Exchange.visitor_id.in_(list(user_ids)))  # type: ignore[attr-defined]
    return set((await session.execute(query)).scalars())


async def save_terms(session: AsyncSession, *, rows: list[dict[str, Any]]) -> None:
    """Store the engine's terms per user (insert or replace), in one statement per batch.

    Each row holds ``user_id``, ``version``, ``offers``, ``seeks``, ``offers_words`` and
    ``seeks_words``. A user erased meanwhile is skipped (no orphan row)."""
    if not rows:
        return
    present = set(
        (
            await session.execute(
                select(User.id).where(User.id.in_([r["user_id"] for r in rows]))  # type: ignore[union-attr]
            )
        ).scalars()
    )
    rows = [r for r in rows if r["user_id"] in present]
    if not rows:
        return
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    # One statement executed for many rows: compiled once and cached, not a VALUES list of
    # thousands of parameters compiled again on the event loop for every batch.
    await session.execute(_UPSERT[dialect == "postgresql"], rows)


def _upsert(insert: Any) -> Any:
    statement = insert(MatchTerms)
    columns = ("version", "offers", "seeks", "offers_words", "seeks_words")
    return statement.on_conflict_do_update(
        index_elements=[MatchTerms.user_id], set_={c: statement.excluded[c] for c in columns}
    )


_UPSERT = {False: _upsert(sqlite_insert), True: _upsert(pg_insert)}
