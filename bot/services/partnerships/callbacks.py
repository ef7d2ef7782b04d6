"""Buttons of partnership administration: ``pn:inv:<partnership>``, ``pn:reg``, and the
creation steps ``pn:slug``, ``pn:desc``, ``pn:eco:<index>|done``."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import number, pack, unpack

PREFIX = "pn"
PATTERN = rf"^{PREFIX}:"
DONE = "done"


@dataclass(frozen=True)
class Invite:
    """Create a staff invitation for a partnership."""

    partnership_id: int


@dataclass(frozen=True)
class Register:
    """A staff member registers as a participant."""


@dataclass(frozen=True)
class TakeSlug:
    """Take the suggested short name."""


@dataclass(frozen=True)
class SkipDescription:
    """No description."""


@dataclass(frozen=True)
class Ecosystem:
    """Toggle an ecosystem (its index), or finish (``None``)."""

    index: int | None


Press = Invite | Register | TakeSlug | SkipDescription | Ecosystem


def invite(partnership_id: int) -> str:
    """Data of the Invite staff button."""
    return pack(PREFIX, "inv", partnership_id)


def register() -> str:
    """Data of the Register as a participant button."""
    return pack(PREFIX, "reg")


def take_slug() -> str:
    """Data of the suggested short name's button."""
    return pack(PREFIX, "slug")


def skip_description() -> str:
    """Data of the Skip button of the description."""
    return pack(PREFIX, "desc")


def ecosystem(index: int | None) -> str:
    """Data of an ecosystem's toggle (``None``: Done)."""
    return pack(PREFIX, "eco", DONE if index is None else index)


def parse(data: str | None) -> Press | None:
    """The press, or None for anything malformed."""
    fields = unpack(data, PREFIX, (1, 2))
    if fields is None:
        return None
    match fields:
        case ["inv", value] if (pid := number(value)) is not None:
            return Invite(pid)
        case ["reg"]:
            return Register()
        case ["slug"]:
            return TakeSlug()
        case ["desc"]:
            return SkipDescription()
        case ["eco", "done"]:
            return Ecosystem(None)
        case ["eco", value] if (index := number(value)) is not None:
            return Ecosystem(index)
    return None
