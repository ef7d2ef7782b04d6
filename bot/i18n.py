"""Gettext catalogs from ``locales/``, the language of the current update, Babel formatting.

The language is kept in a context variable: a group -1 handler sets it once per update (stored
choice, then Telegram's ``language_code``, then English) and jobs set it from the database with
:func:`use_language`. ``_()``, ``ngettext()`` and ``N_()`` are the markers ``pybabel extract``
looks for.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as _babel_format_date
from babel.dates import format_interval as _babel_format_interval
from babel.dates import format_skeleton as _babel_format_skeleton
from babel.dates import format_time as _babel_format_time
from babel.lists import format_list as _babel_format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from babel.support import NullTranslations, Translations

from bot import geo
from bot.matching.normalise import light_fold

DOMAIN = "cxbot"
SUPPORTED = ("en", "de")
DEFAULT = "en"


def locales_dir() -> Path:
    """Where the catalogs are: the source tree's ``locales/`` or the copy inside the wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "locales", here / "locales"):
        if (candidate / "de" / "LC_MESSAGES" / f"{DOMAIN}.po").exists():
            return candidate
    return here.parent / "locales"


_current: ContextVar[str] = ContextVar("cxbot_language", default=DEFAULT)


@cache
def translations(lang: str) -> NullTranslations:
    """Catalog for ``lang``: the compiled ``.mo`` when it is current, else compiled from ``.po``."""
    base = locales_dir() / lang / "LC_MESSAGES"
    po, mo = base / f"{DOMAIN}.po", base / f"{DOMAIN}.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain=DOMAIN)
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf, domain=DOMAIN)


def normalise_language(code: str | None) -> str | None:
    """``de-AT`` → ``de``; ``None`` for anything we do not speak."""
    if not code:
        return None
    primary = code.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED else None


def pick_language(stored: str | None, telegram_code: str | None) -> str:
    """Stored choice → Telegram's language_code → English."""
    return normalise_language(stored) or normalise_language(telegram_code) or DEFAULT


def language_of(user: object) -> str:
    """The language for messages the bot sends on its own to a stored user."""
    return pick_language(getattr(user, "language", None), getattr(user, "client_language", None))


def current_language() -> str:
    """The language of the update or job being handled."""
    return _current.get()


def set_language(lang: str) -> None:
    """Set the language for the rest of this task (one update)."""
    _current.set(lang if lang in SUPPORTED else DEFAULT)


@contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Temporarily speak ``lang`` (jobs, messages to another user)."""
    token = _current.set(lang if lang in SUPPORTED else DEFAULT)
    try:
        yield
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """Translate ``message`` into the current language."""
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate with plural forms."""
    return translations(_current.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a string for extraction; translate later with ``_()``."""
    return message


_ = gettext


# English dates in the European order ("1 Mar 2027"), as the scheme's participants write them.
_DATE_LOCALES = {"en": "en_GB", "de": "de_DE"}


def format_date(value: date, lang: str | None = None, fmt: str = "medium") -> str:
    """A date the way the reader writes it (``1 Mar 2027`` / ``01.03.2027``)."""
    lang = lang or _current.get()
    return _babel_format_date(value, format=fmt, locale=_DATE_LOCALES.get(lang, lang))


def format_month(value: date, lang: str | None = None) -> str:
    """A month and its year (``March 2027`` / ``März 2027``)."""
    lang = lang or _current.get()
    return _babel_format_skeleton("yMMMM", value, locale=_DATE_LOCALES.get(lang, lang))


def format_time(value: datetime, lang: str | None = None) -> str:
    """A clock time the way the reader writes it: ``14:20``, in German ``14:20 Uhr``."""
    lang = lang or _current.get()
    shown = _babel_format_time(value, format="HH:mm", locale=_DATE_LOCALES.get(lang, lang))
    return shown + "\u00a0Uhr" if lang == "de" else shown


# Date ranges: "3–7 May 2027" in English, "03.–07.05.2027" in German (GLOSSARY).
_RANGE_SKELETONS = {"en": "yMMMd", "de": "yMd"}


def format_date_range(start: date, end: date, lang: str | None = None) -> str:
    """A range of days written once, the way the reader writes it (Babel's intervals)."""
    lang = lang or _current.get()
    if start == end:
        return format_date(start, lang)
    skeleton = _RANGE_SKELETONS.get(lang, "yMMMd")
    shown = _babel_format_interval(start, end, skeleton, locale=_DATE_LOCALES.get(lang, lang))
    return shown.replace("\u2009", " ")  # Babel's thin spaces around the dash


# Whole euros: "€1,100" in English, "1.100 €" in German.
_MONEY_PATTERNS = {"en": "¤#,##0", "de": "#,##0\u00a0¤"}


def format_money(amount: int | float, lang: str | None = None) -> str:
    """An amount of euros, without cents, the way the reader writes it."""
    lang = lang or _current.get()
    return format_currency(
        amount,
        "EUR",
        format=_MONEY_PATTERNS.get(lang, "¤#,##0"),
        locale=_DATE_LOCALES.get(lang, lang),
        currency_digits=False,
    )


def format_number(value: int | float, lang: str | None = None) -> str:
    """A number with the reader's grouping (``1,100`` / ``1.100``)."""
    lang = lang or _current.get()
    return format_decimal(value, locale=_DATE_LOCALES.get(lang, lang))


def country_name(code: str, lang: str | None = None) -> str:
    """The CLDR country name in the reader's language."""
    return geo.country_name(code, lang or _current.get())


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


def language_name(iso: str, lang: str | None = None) -> str:
    """Name of a spoken language (ISO 639-1) in the reader's language, capitalised."""
    name = _locale(lang or _current.get()).languages.get(iso, iso)
    return name[:1].upper() + name[1:]


def format_list(items: list[str], lang: str | None = None, style: str = "standard") -> str:
    """Items joined the way the reader writes a list ("A, B and C" / "A, B und C"; with
    ``style="or"``: "A, B or C" / "A, B oder C"), in the order given."""
    lang = lang or _current.get()
    if not items:
        return ""
    return _babel_format_list(items, style=style, locale=_DATE_LOCALES.get(lang, lang))


def sort_key(text: str, lang: str | None = None) -> tuple[str, str]:
    """Order names the way the reader's dictionary does, not by code point: case and accents
    count only to break ties, ä/ö/ü sort as a/o/u and ß as ss (DIN 5007-1, which is also how
    English orders accented names), so Österreich comes after Nordmazedonien and Dänemark
    before Deutschland. ``lang`` is for languages that order letters otherwise (Swedish ä
    after z); both of ours share this order."""
    del lang  # English and German collate alike at this level
    return light_fold(text), text
