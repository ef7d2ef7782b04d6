"""Buttons of staff validation: ``sv:<kind>:<item>:a`` approve, ``sv:<kind>:<item>:r`` reject
(asks for a reason), ``sv:<kind>:<item>:x:<reason>`` reject for a listed reason,
``sv:h:<exchange>`` the exchange's history. Kinds: ``p`` registration and ``c`` a change of an
approved profile (the item is the participant), ``m`` match, ``q`` goals and agenda, ``r``
closing report, ``e`` the visitor's evidence (the item is the exchange). Finalisation:
``sv:f:<exchange>`` sends the evidence files, ``sv:pa:<exchange>`` approves the lump sum for
payment, ``sv:pd:<exchange>`` marks it paid (asks for the reference)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import number, pack, unpack

PREFIX = "sv"
PATTERN = rf"^{PREFIX}:"
PROFILE, MATCH, QUALITY, REPORT, EVIDENCE = "p", "m", "q", "r", "e"
CHANGE = "c"
ITEM_KINDS = (PROFILE, CHANGE, MATCH, QUALITY, REPORT, EVIDENCE)
FILES, APPROVE_PAYMENT, MARK_PAID = "f", "pa", "pd"
EXCHANGE_STEPS = (FILES, APPROVE_PAYMENT, MARK_PAID)


@dataclass(frozen=True)
class Decide:
    """Approve, or reject with a listed reason (``reason``)."""

    kind: str
    item: int
    approve: bool
    reason: str | None = None


@dataclass(frozen=True)
class AskReason:
    """Reject: ask why."""

    kind: str
    item: int


@dataclass(frozen=True)
class History:
    """Show an exchange's audit trail."""

    exchange_id: int


@dataclass(frozen=True)
class Step:
    """A finalisation step of an exchange: send the evidence files, approve the payment, mark
    it paid (``step``: one of ``EXCHANGE_STEPS``)."""

    step: str
    exchange_id: int


Press = Decide | AskReason | History | Step


def approve(kind: str, item: int) -> str:
    """Data of the Approve button."""
    return pack(PREFIX, kind, item, "a")


def reject(kind: str, item: int) -> str:
    """Data of the Reject button."""
    return pack(PREFIX, kind, item, "r")


def reject_for(kind: str, item: int, reason: str) -> str:
    """Data of a listed rejection reason."""
    return pack(PREFIX, kind, item, "x", reason)


def history(exchange_id: int) -> str:
    """Data of the History button."""
    return pack(PREFIX, "h", exchange_id)


def step(name: str, exchange_id: int) -> str:
    """Data of a finalisation button (``name``: one of ``EXCHANGE_STEPS``)."""
    if name not in EXCHANGE_STEPS:
        raise ValueError(f"{name!r} is not a finalisation step")
    return pack(PREFIX, name, exchange_id)


def parse(data: str | None, reasons: dict[str, dict[str, str]]) -> Press | None:
    """The press (``reasons``: the listed reasons per kind), or None when malformed."""
    fields = unpack(data, PREFIX, (2, 3, 4))
    if fields is None:
        return None
    match fields:
        case ["h", value] if (xid := number(value)) is not None:
            return History(xid)
        case [name, value] if name in EXCHANGE_STEPS and (xid := number(value)) is not None:
            return Step(name, xid)
        case [kind, value, "a"] if kind in ITEM_KINDS and (item := number(value)) is not None:
            return Decide(kind, item, True)
        case [kind, value, "r"] if kind in ITEM_KINDS and (item := number(value)) is not None:
            return AskReason(kind, item)
        case [kind, value, "x", code] if (
            kind in ITEM_KINDS and (item := number(value)) is not None and code in reasons[kind]
        ):
            return Decide(kind, item, False, code)
    return None
