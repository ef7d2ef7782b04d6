"""The scheme's arithmetic: working days in the host country, stay limits, the lump sum.

Pure functions (no Telegram, no database). Working days exclude weekends and the host
country's public holidays (``holidays`` package); a stay lasts 3 working days to 1 month;
the lump sum is capped per host country and halved when the stay is under 5 working days
and/or the two organisations are less than 200 km apart (halved once, not twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import holidays

from bot.services.profile_text import add_months

MIN_WORKING_DAYS = 3
FULL_RATE_WORKING_DAYS = 5
NEAR_KM = 200.0


@cache
def _public_holidays(country: str, year: int) -> frozenset[date]:
    try:
        return frozenset(holidays.country_holidays(country, years=year))
    except NotImplementedError:  # a country the package does not know: weekends only
        return frozenset()


def public_holidays(country: str, start: date, end: date) -> list[date]:
    """The host country's public holidays between ``start`` and ``end`` (inclusive)."""
    days: set[date] = set()
    for year in range(start.year, end.year + 1):
        days |= {d for d in _public_holidays(country, year) if start <= d <= end}
    return sorted(days)


def working_days(start: date, end: date, country: str) -> int:
    """Monday to Friday from ``start`` to ``end`` inclusive, minus public holidays there."""
    if end < start:
        return 0
    off = set(public_holidays(country, start, end))
    return sum(
        1
        for n in range((end - start).days + 1)
        if (day := start + timedelta(days=n)).weekday() < 5 and day not in off
    )


@dataclass(frozen=True)
class StayCheck:
    """Whether dates make a valid stay, and why not."""

    working_days: int
    too_short: bool
    too_long: bool
    holidays: tuple[date, ...]

    @property
    def ok(self) -> bool:
        """3 working days or more, and no longer than one month."""
        return not (self.too_short or self.too_long)


def check_stay(start: date, end: date, host_country: str) -> StayCheck:
    """Validate a stay from ``start`` to ``end`` (inclusive) in the host country."""
    days = working_days(start, end, host_country)
    return StayCheck(
        working_days=days,
        too_short=days < MIN_WORKING_DAYS,
        too_long=end >= add_months(start, 1),
        holidays=tuple(public_holidays(host_country, start, end)),
    )


def end_after_working_days(start: date, days: int, host_country: str) -> date:
    """The date on which a stay starting on ``start`` reaches ``days`` working days."""
    if days < 1:
        raise ValueError("days must be at least 1")
    day, counted = start, 0
    off = set(public_holidays(host_country, start, start + timedelta(days=days * 3 + 14)))
    while True:
        if day.weekday() < 5 and day not in off:
            counted += 1
            if counted == days:
                return day
        day += timedelta(days=1)


@dataclass(frozen=True)
class LumpSum:
    """An estimate of the lump sum for travel and accommodation, with its reasons."""

    amount: int
    cap: int
    short_stay: bool  # under 5 working days
    near: bool  # under 200 km apart
    distance_km: float | None  # None when a city has no coordinates

    @property
    def halved(self) -> bool:
        """The amount is half the cap."""
        return self.short_stay or self.near


def estimate_lump_sum(working_days: int, distance_km: float | None, cap: int) -> LumpSum:
    """Cap for the host country, halved for short stays and/or short distances."""
    short = working_days < FULL_RATE_WORKING_DAYS
    near = distance_km is not None and distance_km < NEAR_KM
    amount = cap // 2 if (short or near) else cap
    return LumpSum(amount, cap, short, near, distance_km)
