"""Buttons of the account: ``lang:<code>`` a language, ``del:yes|no`` erasure confirmed or
not (``del:yes:x``: confirmed after the warning about running exchanges)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import pack, unpack

LANGUAGE, DELETE = "lang", "del"
LANGUAGE_PATTERN = rf"^{LANGUAGE}:"
DELETE_PATTERN = rf"^{DELETE}:"


@dataclass(frozen=True)
class Language:
    """Speak this language (a code; checked against the supported ones by the service)."""

    code: str


@dataclass(frozen=True)
class Delete:
    """Erase everything (or keep it); ``warned``: the question said what happens to the
    user's running exchanges."""

    confirmed: bool
    warned: bool = False


def language(code: str) -> str:
    """A language button."""
    return pack(LANGUAGE, code)


def delete(confirmed: bool, warned: bool = False) -> str:
    """Yes, erase / No, keep."""
    if confirmed and warned:
        return pack(DELETE, "yes", "x")
    return pack(DELETE, "yes" if confirmed else "no")


def parse(data: str | None) -> Language | Delete | None:
    """The press, or None when malformed."""
    if (fields := unpack(data, LANGUAGE, (1,))) is not None:
        return Language(fields[0])
    match unpack(data, DELETE, (1, 2)):
        case ["yes"]:
            return Delete(True)
        case ["yes", "x"]:
            return Delete(True, warned=True)
        case ["no"]:
            return Delete(False)
    return None
