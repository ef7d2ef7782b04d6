"""Reading a visit's first and last day as people type them, in English or German.

Accepted: two dates (``2027-04-12 – 2027-04-16``, ``12.4.2027 bis 16.4.2027``,
``12.04.27 - 16.04.27``, ``2027-04-12 to 2027-04-16``), the German shorthand in which the first
date borrows the missing month and year from the second (``12.4.–16.4.2027``, ``12.–16.4.2027``),
and a first day plus a number of working days in the host country (``12.4.2027 + 5``,
``12.4.2027 5 Arbeitstage``). Month names work in both languages wherever a date does
(``12.–16. April 2027``, ``12 April – 16 April 2027``, ``1. Mai 2027 + 5``; ``date_text``).
Pure functions; errors are ``InputError`` with a localized message.
Stay length, future dates and holidays are the caller's business (``bot.scheme.check_stay``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from bot.i18n import _, format_date
from bot.scheme import end_after_working_days
from bot.services.date_text import numeric, parse_date
from bot.services.profile_text import InputError

MAX_INPUT = 100
MIN_DAYS = 1
MAX_DAYS = 40

# One full date, never followed by a further digit: ISO or day first with "." or "/".
_DATE = r"(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./]\d{1,2}[./](?:\d{4}|\d{2}))(?!\d)"
# Dashes of every kind are normalised to "-" before matching.
_DASHES = str.maketrans(dict.fromkeys("‐‑‒–—―−﹘﹣－", "-"))
_FROM = r"(?:(?:from|von|vom|ab)\s+)?"
# Words as ``date_text.numeric`` leaves them: lower case, umlauts and ß written out.
_WORD_SEP = r"to|until|till|through|thru|bis(?:\s+zum|\s+einschl(?:iesslich|\.)?)?"
_SEP = rf"(?:\s*(?:-|(?<![^\s.\d])(?:{_WORD_SEP})(?![^\s\d]))\s*|\s+)"
_RANGE = re.compile(rf"^{_FROM}(?P<a>{_DATE})\.?{_SEP}(?P<b>{_DATE})\.?$")
# The first day borrows from the last: "12.–16.4.2027", "12.4.–16.4.2027", and with a dash or
# a word but no dot, as English writes it: "12–16 April 2027" (after ``numeric``).
_SEP_WORD = rf"\s*(?:-|(?:{_WORD_SEP})\s)\s*"
_SHORT = re.compile(
    rf"^{_FROM}(?:(?P<day>\d{{1,2}})[./](?:(?P<month>\d{{1,2}})[./]?)?{_SEP}"
    rf"|(?P<bare>\d{{1,2}}){_SEP_WORD})(?P<b>{_DATE})\.?$"
)
_UNIT = (
    r"(?:working\s+days?|work\s*days?|business\s+days?|days?"
    r"|arbeitstag(?:e|en)?|werktag(?:e|en)?|tag(?:e|en)?)"
)
_DAYS = re.compile(
    rf"^{_FROM}(?P<a>{_DATE})\.?\s*(?:\+|(?:for|fuer|plus)\s)?\s*(?P<n>\d{{1,4}})\s*{_UNIT}?\.?$"
)
_SINGLE = re.compile(rf"^{_FROM}(?P<a>{_DATE})\.?$")


def _help() -> InputError:
    return InputError(
        _(
            "I couldn't read the dates of your visit. Please send the first and the last day, "
            "for example “2027-04-12 – 2027-04-16” or “12.4.2027 – 16.4.2027”, or the first day "
            "and the number of working days, for example “12.4.2027 + 5”."
        )
    )


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_INPUT]).translate(_DASHES)
    return " ".join(numeric(text).split())


def _borrowed_start(day: int, month: int | None, end: date) -> date:
    """The first day of ``12.–16.4.2027`` / ``12.4.–16.4.2027``, just before ``end`` if needed."""
    try:
        start = date(end.year, month or end.month, day)
        if start > end and month is None:  # 28.–3.5.2027: the 28th of the previous month
            year, prev = (end.year, end.month - 1) if end.month > 1 else (end.year - 1, 12)
            start = date(year, prev, day)
        elif start > end:  # 28.12.–3.1.2028: December of the previous year
            start = date(end.year - 1, month or end.month, day)
    except ValueError:
        raise InputError(_("That date does not exist. Please check the day and month.")) from None
    return start


def _checked(start: date, end: date) -> tuple[date, date]:
    if end < start:
        raise InputError(
            _(
                "The last day ({end}) is before the first day ({start}). "
                "Please send the first day first."
            ).format(end=format_date(end), start=format_date(start))
        )
    return start, end


def _span(raw: str) -> tuple[date, date] | None:
    """Two dates, or the German shorthand; None when ``raw`` is neither."""
    if m := _RANGE.match(raw):
        return _checked(parse_date(m["a"]), parse_date(m["b"]))
    if m := _SHORT.match(raw):
        end = parse_date(m["b"])
        month = int(m["month"]) if m["month"] else None
        day = int(m["day"] or m["bare"])
        return _checked(_borrowed_start(day, month, end), end)
    return None


def parse_days(text: str) -> tuple[date, date] | None:
    """One day (first = last) or a first and a last day, as for an event; None when the
    text is neither (the caller explains), ``InputError`` when a date does not exist."""
    raw = _normalise(text)
    if m := _SINGLE.match(raw):
        day = parse_date(m["a"])
        return day, day
    return _span(raw)


def parse_visit_dates(text: str, host_country: str, region: str | None = None) -> tuple[date, date]:
    """The first and last day of a visit (inclusive) from what the user typed; a number of
    working days counts in the host's country and ``region`` (``scheme.holiday_region``)."""
    raw = _normalise(text)
    if span := _span(raw):
        return span
    if m := _DAYS.match(raw):
        start = parse_date(m["a"])
        days = int(m["n"])
        if not MIN_DAYS <= days <= MAX_DAYS:
            raise InputError(
                _(
                    "The number of working days must be from {low} to {high}, not {given}. "
                    "For example, “12.4.2027 + 5” is a visit of 5 working days "
                    "starting on 12.4.2027."
                ).format(low=MIN_DAYS, high=MAX_DAYS, given=days)
            )
        return start, end_after_working_days(start, days, host_country, region)
    if m := _SINGLE.match(raw):
        start = parse_date(m["a"])
        raise InputError(
            _(
                "That is only one date ({start}). Please add the last day, for example "
                "“12.4.2027 – 16.4.2027”, or the number of working days, for example "
                "“12.4.2027 + 5”."
            ).format(start=format_date(start))
        )
    raise _help()
