"""Time source, replaceable in tests and the demo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo


class Clock:
    """Wall-clock time; ``today`` is taken in the bot's time zone."""

    def __init__(self, tz: ZoneInfo | None = None) -> None:
        self.tz = tz or ZoneInfo("Europe/Brussels")

    def now(self) -> datetime:
        """Aware UTC now."""
        return datetime.now(UTC)

    def today(self) -> date:
        """The date in the bot's time zone."""
        return self.now().astimezone(self.tz).date()


class FixedClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: datetime, tz: ZoneInfo | None = None) -> None:
        super().__init__(tz)
        self._now = start if start.tzinfo else start.replace(tzinfo=UTC)

    def now(self) -> datetime:
        """The frozen instant."""
        return self._now

    def advance(self, delta: timedelta) -> None:
        """Move forward by ``delta``."""
        self._now += delta
