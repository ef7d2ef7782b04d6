"""Buttons of a proposal card: ``m:i:<proposal>`` Interested, ``m:n:<proposal>`` Not for me,
``m:x:<proposal>`` Next, ``m:r:<proposal>:<reason>`` why not (optional)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import number, pack, unpack

PREFIX = "m"
PATTERN = rf"^{PREFIX}:"
INTERESTED, NOT_FOR_ME, NEXT, REASON = "i", "n", "x", "r"
REASONS = ("topic", "place", "dates", "size", "other")


@dataclass(frozen=True)
class Press:
    """A pressed proposal button."""

    action: str
    proposal_id: int
    reason: str = ""


def answer(action: str, proposal_id: int | None) -> str:
    """Interested, Not for me or Next on a proposal."""
    return pack(PREFIX, action, proposal_id or 0)


def reason(proposal_id: int | None, code: str) -> str:
    """Why a proposal was declined."""
    return pack(PREFIX, REASON, proposal_id or 0, code)


def parse(data: str | None) -> Press | None:
    """The press, or None for anything malformed."""
    fields = unpack(data, PREFIX, (2, 3))
    if fields is None:
        return None
    match fields:
        case [action, value] if (
            action in (INTERESTED, NOT_FOR_ME, NEXT) and (pid := number(value)) is not None
        ):
            return Press(action, pid)
        case [action, value, code] if (
            action == REASON and code in REASONS and (pid := number(value)) is not None
        ):
            return Press(REASON, pid, code)
    return None
