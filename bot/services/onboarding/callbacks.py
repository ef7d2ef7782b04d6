"""Buttons of the registration: ``r:<version>:<step>:<value>`` (a ``Step``, shared with the
other versioned questions); and of ``/profile``: ``prof:menu`` the list of fields,
``prof:edit:<field>`` edit one.

The version is the user's ``state_version`` when the question was asked: a button of an
earlier question is recognised (DECISIONS §2)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import Step, pack, parse_step, unpack
from bot.services.callbacks import step as versioned

PREFIX = "r"
PATTERN = rf"^{PREFIX}:"
PROFILE = "prof"
PROFILE_PATTERN = rf"^{PROFILE}:"


@dataclass(frozen=True)
class ProfileMenu:
    """Show the editable fields."""


@dataclass(frozen=True)
class ProfileEdit:
    """Edit one field."""

    field: str


def step(version: int, name: str, value: str | int) -> str:
    """A registration button's data."""
    return versioned(PREFIX, version, name, value)


def month(year: int, month: int) -> str:
    """The value of a month button (``2027-03``)."""
    return f"{year:04d}-{month:02d}"


def parse_month(value: str) -> tuple[int, int] | None:
    """(year, month) of a month button's value, or None when malformed."""
    year, _sep, month = value.partition("-")
    if len(year) != 4 or len(month) != 2 or not (year + month).isascii():
        return None
    if not (year.isdigit() and month.isdigit()) or not 1 <= int(month) <= 12:
        return None
    return int(year), int(month)


def profile_menu() -> str:
    """The Edit my profile button."""
    return pack(PROFILE, "menu")


def profile_edit(field: str) -> str:
    """The button of one editable field."""
    return pack(PROFILE, "edit", field)


def parse(data: str | None) -> Step | None:
    """A registration press, or None when malformed."""
    return parse_step(data, PREFIX)


def parse_profile(data: str | None) -> ProfileMenu | ProfileEdit | None:
    """A /profile press, or None when malformed."""
    fields = unpack(data, PROFILE, (1, 2))
    match fields:
        case ["menu"]:
            return ProfileMenu()
        case ["edit", field]:
            return ProfileEdit(field)
    return None
