"""Buttons of ``/search`` results.

``sq:i:<token>`` 👍 Interested in a peer found (valid as long as the rules allow the pair, on
any page ever shown); the token is the peer's opaque one (``Links.organisation``): a client
can read callback data, and the Telegram id would let the searcher write to the person
before both sides agreed. ``sq:<version>:<step>:<value>`` changes the search shown: the version is
the search's (it changes with every press), so a second press of the same button, or a button
of an older results message, is recognised as stale.

Steps: ``pg`` page (a number); ``mn`` open a criterion's options (``role``, ``cty``, ``eco``,
``lang``) or ``back``; ``role`` ``h``/``v``; ``cty`` a country code; ``eco`` an ecosystem slug;
``lang`` a language code; ``mon`` ``1``/``0`` (available within a month); ``any`` a criterion
set to any (``role``, ``cty``, ``eco``, ``lang``); ``map`` ``1``: a map of the results (the
search shown stays as it is).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import ECOSYSTEMS
from bot.services.callbacks import number, pack, unpack

PREFIX = "sq"
PATTERN = rf"^{PREFIX}:"
INTERESTED = "i"
PAGE, MENU, ROLE, COUNTRY, ECOSYSTEM, LANGUAGE, SOON, ANY, MAP = (
    "pg",
    "mn",
    "role",
    "cty",
    "eco",
    "lang",
    "mon",
    "any",
    "map",
)
MENUS = (ROLE, COUNTRY, ECOSYSTEM, LANGUAGE)
BACK = "back"
ROLES = ("h", "v")
MAX_PAGE = 9999
_COUNTRY = re.compile(r"[A-Z]{2}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{11}")


@dataclass(frozen=True)
class Interest:
    """👍 Interested in a peer found by search: the peer's token."""

    token: str


@dataclass(frozen=True)
class Change:
    """A change of the search shown: ``step`` and its ``value`` (a page as a string)."""

    version: int
    step: str
    value: str


def interested(token: str) -> str:
    """👍 Interested in the peer of this token."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"not a peer's token: {token!r}")
    return pack(PREFIX, INTERESTED, token)


def change(version: int, step: str, value: str | int) -> str:
    """A button that changes the search of this version."""
    data = pack(PREFIX, version, step, value)
    if not isinstance(parse(data), Change):
        raise ValueError(f"not a valid search button: {data!r}")
    return data


def parse(data: str | None) -> Interest | Change | None:
    """The press, or None for anything malformed."""
    fields = unpack(data, PREFIX, (2, 3))
    if fields is None:
        return None
    if len(fields) == 2:
        action, value = fields
        if action == INTERESTED and _TOKEN.fullmatch(value):
            return Interest(value)
        return None
    version, step, value = number(fields[0]), fields[1], fields[2]
    if version is None or not _valid(step, value):
        return None
    return Change(version, step, value)


def _valid(step: str, value: str) -> bool:
    match step:
        case "pg":
            page = number(value)
            return page is not None and page <= MAX_PAGE
        case "mn":
            return value in (*MENUS, BACK)
        case "role":
            return value in ROLES
        case "cty":
            return bool(_COUNTRY.fullmatch(value))
        case "eco":
            return value in ECOSYSTEMS
        case "lang":
            return bool(_LANGUAGE.fullmatch(value))
        case "mon":
            return value in ("0", "1")
        case "any":
            return value in MENUS
        case "map":
            return value == "1"
    return False
