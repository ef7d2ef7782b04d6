"""Reading one date as people type it, in English or German whatever the interface language.

Numbers (``2027-03-01``, ``1.3.2027``, ``01.03.27``, ``1/3/2027``, day first) and month names
from Babel in both languages, long or short, with or without umlauts and case
(``1 March 2027``, ``1 Mar 2027``, ``1. März 2027``, ``1. Maerz 2027``, ``March 1, 2027``,
``Jänner``); a month and a year alone (``März 2027``) is the 1st of that month, or its last
day where the question asks for an end. ``numeric`` rewrites the month names of a longer text
into numbers, so the visit's ranges (``12.–16. April 2027``) read them too. Pure functions;
errors are ``InputError`` with a localized message.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from functools import cache

from babel.dates import get_month_names

from bot.i18n import _, format_date
from bot.services.profile_text import InputError

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DMY = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$")
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_MONTH_LOCALES = ("en", "en_GB", "de", "de_AT", "de_CH")


def _fold(text: str) -> str:
    """Lower case, umlauts as digraphs, other accents dropped (``März`` → ``maerz``)."""
    text = unicodedata.normalize("NFC", text).casefold().translate(_UMLAUTS)
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def _month_words() -> dict[str, int]:
    """Every spelling of every month in English and German, folded, with its number."""
    words: dict[str, int] = {}
    for locale in _MONTH_LOCALES:
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in get_month_names(width, context, locale).items():
                    folded = _fold(name).rstrip(".")
                    words.setdefault(folded, number)
                    # "Maerz" and "Marz" both mean März: the umlaut written out or left off.
                    plain = _fold(name.replace("ä", "a").replace("Ä", "A")).rstrip(".")
                    words.setdefault(plain, number)
    words.setdefault("sept", 9)
    return words


@cache
def _month_pattern() -> str:
    names = sorted(_month_words(), key=len, reverse=True)
    return r"(?<![a-z])(?P<{group}>" + "|".join(map(re.escape, names)) + r")\.?(?![a-z])"


def _month(group: str) -> str:
    return _month_pattern().format(group=group)


@cache
def _rewrites() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    # "1. März 2027", "1st of March 2027", "1 Mar" (the year may come later: "12 – 16 April 2027")
    day_month = re.compile(
        r"(?<![\d.])(?P<d>\d{1,2})(?:st|nd|rd|th)?\.?\s*(?:of\s+)?"
        + _month("m")
        + r"(?:\s*,?\s*(?P<y>\d{4})(?!\d))?"
    )
    # "March 1, 2027", "March 1st 2027"
    month_day = re.compile(
        _month("m") + r"\s*(?P<d>\d{1,2})(?:st|nd|rd|th)?(?!\d)\s*,?\s*(?P<y>\d{4})(?!\d)"
    )
    # "März 2027": a month alone
    month_year = re.compile(_month("m") + r"\s*,?\s*(?P<y>\d{4})(?!\d)")
    return day_month, month_day, month_year


def numeric(text: str, *, month_end: bool = False) -> str:
    """``text`` with its dates in month names written as numbers (``1 March 2027`` →
    ``1.3.2027``; ``12 April`` → ``12.4.``; ``March 2027`` → ``1.3.2027``, or ``31.3.2027``
    with ``month_end``). The rest of the text is folded to lower case."""
    folded = _fold(text)
    words = _month_words()
    day_month, month_day, month_year = _rewrites()

    def dm(m: re.Match[str]) -> str:
        return f"{int(m['d'])}.{words[m['m']]}." + (m["y"] or "")

    def md(m: re.Match[str]) -> str:
        return f"{int(m['d'])}.{words[m['m']]}.{m['y']}"

    def my(m: re.Match[str]) -> str:
        year, month = int(m["y"]), words[m["m"]]
        day = calendar.monthrange(year, month)[1] if month_end else 1
        return f"{day}.{month}.{year}"

    folded = month_day.sub(md, folded)
    folded = day_month.sub(dm, folded)
    return month_year.sub(my, folded)


def parse_date(text: str, *, month_end: bool = False) -> date:
    """One date: ``2027-03-01``, ``1.3.2027``, ``01.03.27``, ``1/3/2027`` (day first),
    ``1 March 2027``, ``1. März 2027``, ``March 1, 2027``, or ``März 2027`` (its 1st, or its
    last day with ``month_end``)."""
    raw = " ".join(numeric(text[:60], month_end=month_end).split()).rstrip(".")
    m = _ISO.match(raw)
    try:
        if m:
            return date(int(m[1]), int(m[2]), int(m[3]))
        m = _DMY.match(raw)
        if m:
            year = int(m[3])
            if year < 100:
                year += 2000
            return date(year, int(m[2]), int(m[1]))
    except ValueError:
        raise InputError(_("That date does not exist. Please check the day and month.")) from None
    raise InputError(
        _("I couldn't read that date. Please write it like {example_en} or {example_de}.").format(
            **examples(date(2027, 3, 1))
        )
    )


def examples(day: date) -> dict[str, str]:
    """``day`` written the English way and the German way, for questions and hints (the
    catalogs put the reader's own way first)."""
    return {
        "example_en": format_date(day, "en", "long"),
        "example_de": f"{day.day}.{day.month}.{day.year}",
    }


def last_day(year: int, month: int) -> date:
    """The last day of a month."""
    return date(year, month, calendar.monthrange(year, month)[1])


def months_after(day: date, count: int) -> list[tuple[int, int]]:
    """``count`` months (year, month) starting with the month after ``day``'s."""
    out = []
    year, month = day.year, day.month
    for _i in range(count):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        out.append((year, month))
    return out
