"""The scheme's arithmetic: working days at the host's place, stay limits, the lump sum.

Pure functions (no Telegram, no database). Working days exclude weekends and the public
holidays of the host's country and, where the ``holidays`` package knows them, of its region
(Corpus Christi in Bavaria, not in Berlin) or city (the Augsburg Peace Festival, a patron saint
in Italy); counting is the package's own (``is_working_day``, ``get_working_days_count``). A
stay lasts 3 working days to 1 month; the lump sum is capped per host country and halved when
the stay is under 5 working days and/or the two organisations are less than 200 km apart
(halved once, not twice).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING

from bot import regions
from bot.services.profile_text import add_months

if TYPE_CHECKING:
    import holidays


def load_calendars() -> None:
    """Import the ``holidays`` package (a twentieth of a second): the bot calls this in a worker
    thread right after its start, so neither the start nor the first user waits for it."""
    import holidays  # noqa: F401


MIN_WORKING_DAYS = 3
FULL_RATE_WORKING_DAYS = 5
NEAR_KM = 200.0
# The reader's language → the ``holidays`` package's name for it (holiday names in messages).
_HOLIDAY_LANGUAGES = {"en": "en_US", "de": "de"}


@cache
def _calendar(
    country: str, region: str | None, language: str | None = None
) -> holidays.HolidayBase:
    """The public holidays of a country (and region), growing by the years asked; weekends
    only for a country the package does not know."""
    import holidays

    try:
        return holidays.country_holidays(country, subdiv=region, language=language)
    except NotImplementedError:  # an unknown country or region
        if region is not None:
            return _calendar(country, None, language)
        return holidays.HolidayBase()


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold().replace("ß", "ss"))
    return "".join(ch for ch in text if ch.isalnum())


@cache
def _named_subdivisions(country: str) -> dict[str, str]:
    """The package's subdivisions of a country reached by a city's name: cities of their own
    (``Augsburg``, ``Barcelona``, ``Stadt Zurich``) and, in Italy, the provinces whose patron
    saint is their capital's (``Milano`` → ``MI``)."""
    import holidays

    try:
        cls = type(holidays.country_holidays(country))
    except NotImplementedError:
        return {}
    found: dict[str, str] = {}
    for code in cls.subdivisions:
        if not code.isupper() and not code.isdigit():  # a city, not a code
            found[_fold(code.removeprefix("Stadt "))] = code
    if country == "IT":
        for alias, code in (getattr(cls, "subdivisions_aliases", None) or {}).items():
            found.setdefault(_fold(alias), code)
    return found


def holiday_region(country: str, admin1: str | None, names: Sequence[str] = ()) -> str | None:
    """The ``holidays`` subdivision of a place: its city's own when there is one (``names``:
    the city's spellings, its main name first), else its region's (GeoNames ``admin1`` code);
    None when holidays there are the country's."""
    own = _named_subdivisions(country)
    for name in names:
        if (code := own.get(_fold(name))) is not None:
            return code
    return regions.holiday_subdivision(country, admin1 or "", names[0] if names else "")


def public_holidays(country: str, start: date, end: date, region: str | None = None) -> list[date]:
    """Public holidays at the host's place between ``start`` and ``end`` (inclusive)."""
    if end < start:
        return []
    calendar = _calendar(country, region)
    return sorted(d for d in calendar[start : end + timedelta(days=1)] if start <= d <= end)


def holiday_names(
    country: str, days: Iterable[date], lang: str, region: str | None = None
) -> dict[date, str]:
    """The holidays' names in the reader's language, where the package has it (else none)."""
    import holidays

    language = _HOLIDAY_LANGUAGES.get(lang)
    try:
        supported = type(holidays.country_holidays(country)).supported_languages
    except NotImplementedError:
        return {}
    if language not in supported:
        return {}
    calendar = _calendar(country, region, language)
    return {d: name for d in days if (name := calendar.get(d))}


def working_days(start: date, end: date, country: str, region: str | None = None) -> int:
    """Working days from ``start`` to ``end`` inclusive at the host's place."""
    if end < start:
        return 0
    return _calendar(country, region).get_working_days_count(start, end)


@dataclass(frozen=True)
class StayCheck:
    """Whether dates make a valid stay, and why not."""

    working_days: int
    too_short: bool
    too_long: bool
    holidays: tuple[date, ...]  # public holidays on weekdays: the days not counted

    @property
    def ok(self) -> bool:
        """3 working days or more, and no longer than one month."""
        return not (self.too_short or self.too_long)


def check_stay(start: date, end: date, host_country: str, region: str | None = None) -> StayCheck:
    """Validate a stay from ``start`` to ``end`` (inclusive) at the host's place."""
    calendar = _calendar(host_country, region)
    days = working_days(start, end, host_country, region)
    skipped = [
        d for d in public_holidays(host_country, start, end, region) if not calendar.is_weekend(d)
    ]
    return StayCheck(
        working_days=days,
        too_short=days < MIN_WORKING_DAYS,
        too_long=end >= add_months(start, 1),
        holidays=tuple(skipped),
    )


def end_after_working_days(
    start: date, days: int, host_country: str, region: str | None = None
) -> date:
    """The date on which a stay starting on ``start`` reaches ``days`` working days."""
    if days < 1:
        raise ValueError("days must be at least 1")
    calendar = _calendar(host_country, region)
    first = calendar.get_nth_working_day(start, 0)  # the start itself when it is one
    return calendar.get_nth_working_day(first, days - 1)


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
