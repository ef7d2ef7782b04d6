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

Staff search (``/participants``) has buttons of its own under ``ss``, kept apart from a
participant's search: ``ss:o:<token>`` opens a participant's whole profile, and
``ss:<version>:<step>:<value>`` takes the steps above except the map, plus ``st`` a
registration's state (``members.STATUSES``) and ``pn`` a partnership's id (``0``: none), which
``mn`` and ``any`` accept too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain import ECOSYSTEMS
from bot.services.callbacks import number, pack, unpack
from bot.services.search.members import STATUSES

PREFIX = "sq"
PATTERN = rf"^{PREFIX}:"
STAFF_PREFIX = "ss"
STAFF_PATTERN = rf"^{STAFF_PREFIX}:"
INTERESTED = "i"
OPEN = "o"
STATUS, PARTNERSHIP = "st", "pn"
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
STAFF_MENUS = (*MENUS, STATUS, PARTNERSHIP)
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
class Open:
    """Staff open a participant's whole profile: the participant's token."""

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


def staff_open(token: str) -> str:
    """Staff open the whole profile of the participant of this token."""
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"not a participant's token: {token!r}")
    return pack(STAFF_PREFIX, OPEN, token)


def staff_change(version: int, step: str, value: str | int) -> str:
    """A button that changes the staff search of this version."""
    data = pack(STAFF_PREFIX, version, step, value)
    if not isinstance(parse_staff(data), Change):
        raise ValueError(f"not a valid staff search button: {data!r}")
    return data


def parse(data: str | None) -> Interest | Change | None:
    """A participant's press, or None for anything malformed."""
    fields = unpack(data, PREFIX, (2, 3))
    if fields is None:
        return None
    if len(fields) == 2:
        action, value = fields
        if action == INTERESTED and _TOKEN.fullmatch(value):
            return Interest(value)
        return None
    return _change(fields, MENUS, with_map=True)


def parse_staff(data: str | None) -> Open | Change | None:
    """A staff member's press, or None for anything malformed."""
    fields = unpack(data, STAFF_PREFIX, (2, 3))
    if fields is None:
        return None
    if len(fields) == 2:
        action, value = fields
        if action == OPEN and _TOKEN.fullmatch(value):
            return Open(value)
        return None
    return _change(fields, STAFF_MENUS, with_map=False)


def _change(fields: list[str], menus: tuple[str, ...], *, with_map: bool) -> Change | None:
    version, step, value = number(fields[0]), fields[1], fields[2]
    if version is None or not _valid(step, value, menus, with_map):
        return None
    return Change(version, step, value)


def _valid(step: str, value: str, menus: tuple[str, ...], with_map: bool) -> bool:
    match step:
        case "pg":
            page = number(value)
            return page is not None and page <= MAX_PAGE
        case "mn":
            return value in (*menus, BACK)
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
            return value in menus
        case "map":
            return with_map and value == "1"
        case "st":
            return STATUS in menus and value in STATUSES
        case "pn":
            return PARTNERSHIP in menus and number(value) is not None
    return False
