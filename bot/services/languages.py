"""Stored language choices, read once per user and kept up to date by the services."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from storage import repo


class LanguageCache:
    """Every update needs its user's stored language; this keeps it from costing a query.

    With several workers a change made on one reaches the others when their entry is
    evicted or the process restarts (DECISIONS §4).
    """

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._known: dict[int, str | None] = {}

    async def stored(self, session: AsyncSession, user_id: int) -> str | None:
        """The user's explicit choice, or None (read in the unit of work's session)."""
        try:
            return self._known[user_id]
        except KeyError:
            pass
        user = await repo.get_user(session, user_id=user_id)
        value = user.language if user else None
        if len(self._known) >= self.size:
            self._known.pop(next(iter(self._known)))
        self._known[user_id] = value
        return value

    def remember(self, user_id: int, language: str | None) -> None:
        """Record a change made by this process."""
        self._known[user_id] = language
