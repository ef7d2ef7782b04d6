"""The grammar of callback data, and the primitives every feature's codec is built from.

Grammar: ``<prefix>:<field>:<field>…``, at most 64 bytes (Telegram's limit), fields never
contain ``:``. The prefix names the feature's codec (``m`` proposals, ``x`` exchanges, ``r``
registration, …; the full list is in DECISIONS §18). Each feature's ``callbacks.py`` builds
its buttons' data with ``pack`` (which refuses data Telegram would refuse, when the button is
built, not when it is pressed) and parses presses with ``unpack`` and ``number`` into typed
values; nothing else in the code reads callback data. Malformed data, forged data and data of
an older version of the bot parse to ``None``, which every handler answers with the normal
stale-button message.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

MAX_BYTES = 64
MAX_ID = 2**63 - 1  # ids fit a signed 64-bit integer (the database's BIGINT)
SEPARATOR = ":"


class CallbackDataError(ValueError):
    """A button whose data Telegram would refuse (a bug: raised when it is built)."""


def pack(prefix: str, *fields: str | int) -> str:
    """``prefix:field:field…``; raises when a field holds the separator or the whole is too
    long for Telegram."""
    parts = [prefix, *(str(f) for f in fields)]
    for part in parts:
        if not part or SEPARATOR in part:
            raise CallbackDataError(f"invalid callback field {part!r} in {parts!r}")
    data = SEPARATOR.join(parts)
    if len(data.encode("utf-8")) > MAX_BYTES:
        raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def unpack(data: str | None, prefix: str, counts: Collection[int]) -> list[str] | None:
    """The fields after ``prefix`` when there are ``counts`` of them, else None."""
    if not data or len(data.encode("utf-8")) > MAX_BYTES:
        return None
    parts = data.split(SEPARATOR)
    if parts[0] != prefix or len(parts) - 1 not in counts:
        return None
    fields = parts[1:]
    return fields if all(fields) else None


def number(text: str) -> int | None:
    """A non-negative id written in ASCII digits (``²`` or ``١`` are digits to ``isdigit``,
    not to us), else None."""
    if not text or len(text) > len(str(MAX_ID)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def one_of(text: str, options: Collection[str]) -> str | None:
    """``text`` when it is one of ``options``, else None."""
    return text if text in options else None


@dataclass(frozen=True)
class Step:
    """A button of a question that carries its version: ``<prefix>:<version>:<step>:<value>``
    (the registration's, the quick sign-up's, /newevent's). The version is the user's
    ``state_version`` when the question was asked, so a button of an earlier question is
    recognised as such."""

    version: int
    step: str
    value: str


def step(prefix: str, version: int, name: str, value: str | int) -> str:
    """A versioned question's button."""
    return pack(prefix, version, name, value)


def parse_step(data: str | None, prefix: str) -> Step | None:
    """A versioned question's press, or None when malformed."""
    fields = unpack(data, prefix, (3,))
    if fields is None:
        return None
    version = number(fields[0])
    return None if version is None else Step(version, fields[1], fields[2])
