"""Deep links into the bot: ``t.me/<bot>?start=<payload>``, one module for every kind.

``st_<token>`` a staff invitation, ``p_<slug>`` registration with a partnership,
``ev_<code>`` an event's sign-up (the QR code), ``imp_<token>`` a registration imported by
staff. Telegram allows 64 characters of ``A–Z a–z 0–9 _ -`` in a payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STAFF_INVITE = "st_"
PARTNERSHIP = "p_"
EVENT = "ev_"
IMPORT = "imp_"
KINDS = (STAFF_INVITE, PARTNERSHIP, EVENT, IMPORT)
MAX_PAYLOAD = 64
_ALLOWED = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class Payload:
    """A parsed ``/start`` payload: its kind (one of ``KINDS``) and its value."""

    kind: str
    value: str


def parse(payload: str | None) -> Payload | None:
    """The payload's kind and value; None for no payload or one we do not know."""
    text = (payload or "").strip()
    if not _ALLOWED.match(text):
        return None
    for kind in KINDS:
        if text.startswith(kind) and len(text) > len(kind):
            return Payload(kind, text[len(kind) :])
    return None


def payload(kind: str, value: str) -> str:
    """The ``/start`` payload of a link of ``kind``."""
    text = kind + value
    if kind not in KINDS or not _ALLOWED.match(text):
        raise ValueError(f"not a valid deep-link payload: {text!r}")
    return text


def link(bot_username: str | None, kind: str, value: str) -> str:
    """The link to share: ``https://t.me/<bot>?start=…``, or the ``/start …`` command to type
    when the bot's username is unknown."""
    start = payload(kind, value)
    if bot_username:
        return f"https://t.me/{bot_username}?start={start}"
    return f"/start {start}"


class Links:
    """The bot's links, with its username: ``CXBOT_BOT_USERNAME``, else what Telegram's
    ``getMe`` says at start-up (so nobody is handed a bare ``/start st_…`` to type)."""

    def __init__(self, username: str | None = None) -> None:
        self.username = username

    def link(self, kind: str, value: str) -> str:
        """The link of a payload (the ``/start`` command while no username is known)."""
        return link(self.username, kind, value)
