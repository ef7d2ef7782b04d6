"""Buttons of an exchange: ``x:<action>:<exchange>[:<value>]``.

Actions are the codes of ``lifecycle.Act``; values: ``tv`` me | them (who travels), ``h`` yes |
post | canc, ``hr`` a code of ``NOT_HAPPENED``, ``fb`` 1–5, ``o`` a code of ``OUTCOMES``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import number, one_of, pack, unpack
from bot.services.exchanges.lifecycle import Act

PREFIX = "x"
PATTERN = rf"^{PREFIX}:"
HAPPENED_ANSWERS = ("yes", "post", "canc")
NOT_HAPPENED = ("host", "visitor", "travel", "health", "other")
OUTCOMES = ("none", "contact", "negotiation", "agreement", "project")
RATINGS = ("1", "2", "3", "4", "5")
TRAVEL = ("me", "them")  # who travels: the presser's side, or the other
_VALUES: dict[Act, tuple[str, ...]] = {
    Act.CHOOSE_TRAVEL: TRAVEL,
    Act.HAPPENED: HAPPENED_ANSWERS,
    Act.NOT_HAPPENED_REASON: NOT_HAPPENED,
    Act.RATE_HOST: RATINGS,
    Act.OUTCOME: OUTCOMES,
}


@dataclass(frozen=True)
class Press:
    """A pressed exchange button."""

    act: Act
    exchange_id: int
    value: str = ""


def button(act: Act, exchange_id: int | None, value: str | int | None = None) -> str:
    """The data of an exchange button."""
    if value is None:
        return pack(PREFIX, act.value, exchange_id or 0)
    if str(value) not in _VALUES.get(act, ()):
        raise ValueError(f"{value!r} is not a value of {act}")
    return pack(PREFIX, act.value, exchange_id or 0, value)


def parse(data: str | None) -> Press | None:
    """The press, or None for anything malformed."""
    fields = unpack(data, PREFIX, (2, 3))
    if fields is None:
        return None
    try:
        act = Act(fields[0])
    except ValueError:
        return None
    exchange_id = number(fields[1])
    if exchange_id is None:
        return None
    values = _VALUES.get(act)
    if values is None:
        return Press(act, exchange_id) if len(fields) == 2 else None
    if len(fields) != 3 or one_of(fields[2], values) is None:
        return None
    return Press(act, exchange_id, fields[2])
