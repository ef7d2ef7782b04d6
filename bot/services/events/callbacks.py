"""Buttons of events.

- ``q:<version>:<step>:<value>``: consent and country of the quick sign-up (versioned like
  the registration's: a button of an earlier question is recognised);
- ``en:<version>:<step>:<value>``: the partnership and the defaults of ``/newevent``;
- ``ev:i|n:<match>`` a proposal's answer, ``ev:m:<match>:y|n`` did you meet?,
  ``ev:c:<match>`` propose an exchange, ``ev:more:<event>`` more proposals;
- ``es:<action>:<event>``: the staff's figures, export, chart, QR code, broadcast.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.callbacks import Step, number, pack, unpack
from bot.services.callbacks import parse_step as _parse_step
from bot.services.callbacks import step as versioned

SIGNUP, CREATE, ATTENDEE, STAFF = "q", "en", "ev", "es"
SIGNUP_PATTERN = rf"^{SIGNUP}:"
CREATE_PATTERN = rf"^{CREATE}:"
ATTENDEE_PATTERN = rf"^{ATTENDEE}:"
STAFF_PATTERN = rf"^{STAFF}:"

INTERESTED, NOT_FOR_ME, MET, EXCHANGE, MORE = "i", "n", "m", "c", "more"
REFRESH, CSV, CHART, QR, BROADCAST, SEND, CANCEL = "f", "csv", "ch", "qr", "b", "bs", "bx"
STAFF_ACTIONS = (REFRESH, CSV, CHART, QR, BROADCAST, SEND, CANCEL)


@dataclass(frozen=True)
class Attendee:
    """An attendee's button: ``action`` on an event match (or, for ``more``, an event)."""

    action: str
    number: int
    value: str = ""


@dataclass(frozen=True)
class Staff:
    """A staff member's button on an event."""

    action: str
    event_id: int


def signup(version: int, step: str, value: str) -> str:
    """A sign-up question's button."""
    return versioned(SIGNUP, version, step, value)


def create(version: int, step: str, value: str | int) -> str:
    """A /newevent question's button."""
    return versioned(CREATE, version, step, value)


def answer(action: str, match_id: int | None) -> str:
    """Interested / Not for me on an event proposal."""
    return pack(ATTENDEE, action, match_id or 0)


def met(match_id: int | None, yes: bool) -> str:
    """Did you meet? yes / no."""
    return pack(ATTENDEE, MET, match_id or 0, "y" if yes else "n")


def exchange(match_id: int | None) -> str:
    """Propose a ClusterXchange exchange to someone met at the event."""
    return pack(ATTENDEE, EXCHANGE, match_id or 0)


def more(event_id: int | None) -> str:
    """Show (more) proposals at an event."""
    return pack(ATTENDEE, MORE, event_id or 0)


def staff(action: str, event_id: int | None) -> str:
    """A staff button on an event."""
    return pack(STAFF, action, event_id or 0)


def parse_step(data: str | None, prefix: str) -> Step | None:
    """A sign-up (``q``) or /newevent (``en``) button."""
    return _parse_step(data, prefix)


def parse_attendee(data: str | None) -> Attendee | None:
    """An attendee's button."""
    fields = unpack(data, ATTENDEE, (2, 3))
    if fields is None:
        return None
    match fields:
        case [action, value] if (
            action in (INTERESTED, NOT_FOR_ME, EXCHANGE, MORE) and (n := number(value)) is not None
        ):
            return Attendee(action, n)
        case [action, value, answer_] if (
            action == MET and answer_ in ("y", "n") and (n := number(value)) is not None
        ):
            return Attendee(MET, n, answer_)
    return None


def parse_staff(data: str | None) -> Staff | None:
    """A staff member's button."""
    fields = unpack(data, STAFF, (2,))
    if fields is None or fields[0] not in STAFF_ACTIONS:
        return None
    event_id = number(fields[1])
    return None if event_id is None else Staff(fields[0], event_id)
