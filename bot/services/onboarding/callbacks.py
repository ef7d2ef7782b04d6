"""Buttons of the registration: ``r:<version>:<step>:<value>``; and of ``/profile``:
``prof:menu`` the list of fields, ``prof:edit:<field>`` edit one.

The version is the user's ``state_version`` when the question was asked: a button of an
earlier question is recognised as such (DECISIONS §2)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import number, pack, unpack

PREFIX = "r"
PATTERN = rf"^{PREFIX}:"
PROFILE = "prof"
PROFILE_PATTERN = rf"^{PROFILE}:"


@dataclass(frozen=True)
class Step:
    """A registration button: the question's version and step, and the chosen value."""

    version: int
    step: str
    value: str


@dataclass(frozen=True)
class ProfileMenu:
    """Show the editable fields."""


@dataclass(frozen=True)
class ProfileEdit:
    """Edit one field."""

    field: str


def step(version: int, name: str, value: str | int) -> str:
    """A registration button's data."""
    return pack(PREFIX, version, name, value)


def profile_menu() -> str:
    """The Edit my profile button."""
    return pack(PROFILE, "menu")


def profile_edit(field: str) -> str:
    """The button of one editable field."""
    return pack(PROFILE, "edit", field)


def parse(data: str | None) -> Step | None:
    """A registration press, or None when malformed."""
    fields = unpack(data, PREFIX, (3,))
    if fields is None:
        return None
    version = number(fields[0])
    return None if version is None else Step(version, fields[1], fields[2])


def parse_profile(data: str | None) -> ProfileMenu | ProfileEdit | None:
    """A /profile press, or None when malformed."""
    fields = unpack(data, PROFILE, (1, 2))
    match fields:
        case ["menu"]:
            return ProfileMenu()
        case ["edit", field]:
            return ProfileEdit(field)
    return None
