"""Parsing and validating what people type: text fields, dates, e-mail addresses.

Pure functions; each returns the cleaned value or raises ``InputError`` with a localized message.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from email_validator import EmailNotValidError, validate_email

from bot.domain import MAX_MONTHS_AHEAD
from bot.geo import CountryMatch
from bot.i18n import _, country_name, current_language, format_date, format_list, sort_key
from bot.services.ui import esc


class InputError(ValueError):
    """Bad input; ``str(exc)`` is the localized explanation for the user."""


def country_problem(text: str, match: CountryMatch, eligible: tuple[str, ...]) -> str:
    """Why a typed country was not taken: not eligible (with the list), or unknown (with
    suggestions when there are some)."""
    if match.code:
        lang = current_language()
        names = format_list(
            sorted((country_name(c) for c in eligible), key=lambda n: sort_key(n, lang))
        )
        return _(
            "Organisations registered in {country} cannot take part in "
            "ClusterXchange. Eligible are: {countries}."
        ).format(country=esc(country_name(match.code)), countries=esc(names))
    message = _("I don't know the country “{text}”.").format(text=esc(text.strip()[:60]))
    if match.suggestions:
        message += " " + _("Did you mean {countries}?").format(
            countries=esc(format_list([country_name(c) for c in match.suggestions], style="or"))
        )
    return message


# Short terms that say something on their own ("3D", "AI", "IoT", "5G"): a field that wants
# a few letters takes them although they have fewer.
_SHORT_TERMS = frozenset(
    {
        "ai", "ki", "ar", "vr", "xr", "mr", "ml", "iot", "iiot", "it", "ict", "ikt", "bim",
        "cad", "cam", "cae", "erp", "crm", "hpc", "gis", "nfc", "llm", "api", "saas", "ev",
        "pv", "b2b", "b2c", "r&d", "f&e", "f+e", "r+d", "hr", "pr", "ux", "ui",
    }
)  # fmt: skip
_TERM = re.compile(r"[^\W_](?:[\w&+.-]*[^\W_])?")


def _is_term(token: str) -> bool:
    """A short technical term: a known one, a letter with a digit ("3D", "5G", "H2"), or an
    acronym of capitals ("AI", "IoT", "HPC")."""
    if token.casefold() in _SHORT_TERMS:
        return True
    if len(token) > 8 or not any(ch.isalpha() for ch in token):
        return False
    has_digit = any(ch.isdigit() for ch in token)
    capitals = sum(ch.isupper() for ch in token)
    return len(token) >= 2 and (has_digit or capitals >= 2)


def has_short_term(text: str) -> bool:
    """The text holds at least one short technical term."""
    return any(_is_term(m.group()) for m in _TERM.finditer(text))


_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u2028\u2029\u2060\ufeff]")
_SPACES = re.compile(r"[ \t\u00a0]+")


def clean_text(text: str, *, limit: int, single_line: bool = False, min_letters: int = 1) -> str:
    """Strip control characters and surrounding space; enforce the length limit."""
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    if single_line:
        text = " ".join(text.split())
    else:
        text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if not text:
        raise InputError(_("An empty message can't be saved. Please type your answer."))
    if len(text) > limit:
        raise InputError(
            _(
                "That is too long: {length} characters, the limit is {limit}. "
                "Please shorten it and send it again."
            ).format(length=len(text), limit=limit)
        )
    if sum(ch.isalpha() for ch in text) < min_letters and not (
        min_letters <= 3 and has_short_term(text)
    ):
        if min_letters > 3:
            raise InputError(
                _("Please write a sentence or a few words, not only numbers or symbols.")
            )
        raise InputError(_("Please write at least a word or two, not only numbers or symbols."))
    return text


def add_months(day: date, months: int) -> date:
    """Same day ``months`` later, clamped to the end of the month."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def check_window_date(value: date, today: date) -> date:
    """A date must lie in the future and within ``MAX_MONTHS_AHEAD`` months."""
    if value <= today:
        raise InputError(
            _("That date is not in the future. Please give a date after {today}.").format(
                today=format_date(today)
            )
        )
    latest = add_months(today, MAX_MONTHS_AHEAD)
    if value > latest:
        raise InputError(
            _("That is more than 18 months ahead. Please choose a date until {latest}.").format(
                latest=format_date(latest)
            )
        )
    return value


def weekdays_between(start: date, end: date) -> int:
    """Monday-to-Friday days from ``start`` to ``end`` inclusive."""
    days = (end - start).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    for offset in range(rest):
        if (start + timedelta(days=full_weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


def check_window_end(start: date, end: date) -> date:
    """The end lies after the start and the window holds at least 3 working days."""
    if end <= start:
        raise InputError(
            _("The end date must be after the start date ({start}).").format(
                start=format_date(start)
            )
        )
    if weekdays_between(start, end) < 3:
        raise InputError(
            _(
                "An exchange lasts at least 3 working days, so your window needs at least "
                "3 days from Monday to Friday. Please choose a later end date."
            )
        )
    return end


def parse_email(text: str) -> str:
    """A syntactically valid address, normalised (no DNS look-up)."""
    candidate = text.strip()
    error = InputError(
        _("“{text}” is not a valid e-mail address. Please check it or press Skip.").format(
            text=esc(candidate[:60])
        )
    )
    if len(candidate) > 254 or " " in candidate:
        raise error
    try:
        return validate_email(candidate, check_deliverability=False).normalized
    except EmailNotValidError:
        raise error from None
