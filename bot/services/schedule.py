"""When to remind people of a visit, and how to say how far away it is.

Pure functions. Times are computed in the host's time zone (``zoneinfo``, so daylight saving
time is right) and returned as aware UTC datetimes for the job queue. Offsets of whole days
count calendar days (14 days before 09:00 is 09:00 local, even across a clock change); shorter
offsets count real time (3 hours before is exactly 3 hours before).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.i18n import _, ngettext
from bot.services.profile_text import add_months

BEFORE, CHECKIN, AFTER = "before", "checkin", "after"
FOLLOW_UP_HOUR = 10
_ORDER = {BEFORE: 0, CHECKIN: 1, AFTER: 2}
_DAY = timedelta(days=1)


def local_time(day: date, hour: int, tz: ZoneInfo) -> datetime:
    """``hour``:00 local time on ``day`` in ``tz``, as an aware UTC datetime."""
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def _before(start_local: datetime, offset: timedelta) -> datetime:
    if offset % _DAY == timedelta(0):  # whole days: the same wall-clock time, days earlier
        return (start_local - offset).astimezone(UTC)
    return start_local.astimezone(UTC) - offset


def visit_reminders(
    start: date,
    end: date,
    offsets: Sequence[timedelta],
    tz: ZoneInfo,
    *,
    hour: int = 9,
) -> list[tuple[str, datetime, timedelta | None]]:
    """(kind, due time in UTC, offset) for each reminder of a visit, sorted by due time."""
    if end < start:
        raise ValueError("end must not be before start")
    start_local = datetime.combine(start, time(hour), tzinfo=tz)
    reminders: list[tuple[str, datetime, timedelta | None]] = [
        (BEFORE, _before(start_local, offset), offset)
        for offset in sorted(set(offsets))
        if offset > timedelta(0)
    ]
    reminders.append((CHECKIN, start_local.astimezone(UTC), None))
    reminders.append((AFTER, local_time(end + _DAY, FOLLOW_UP_HOUR, tz), None))
    return sorted(reminders, key=lambda r: (r[1], _ORDER[r[0]]))


def later_by_months(day: date, months: int, tz: ZoneInfo, hour: int = 10) -> datetime:
    """``hour``:00 local time ``months`` after ``day`` (clamped to the month's end), in UTC."""
    return local_time(add_months(day, months), hour, tz)


def _rounded(value: float) -> int:
    return int(value + 0.5)  # half up, for the positive values used here


def describe_offset(delta: timedelta) -> str:
    """How long until something, for "Your visit starts {when}.": "in 14 days", "tomorrow"."""
    seconds = delta.total_seconds()
    if seconds < 60:
        return _("now")
    minutes = _rounded(seconds / 60)
    if minutes < 60:
        return ngettext("in {count} minute", "in {count} minutes", minutes).format(count=minutes)
    hours = _rounded(seconds / 3600)
    if hours < 24:
        return ngettext("in {count} hour", "in {count} hours", hours).format(count=hours)
    days = _rounded(seconds / 86400)
    if days == 1:
        return _("tomorrow")
    return ngettext("in {count} day", "in {count} days", days).format(count=days)
