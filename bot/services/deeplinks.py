"""Deep links into the bot: ``t.me/<bot>?start=<payload>``, one module for every kind.

``st_<token>`` a staff invitation, ``p_<slug>`` registration with a partnership,
``ev_<code>`` an event's sign-up (the QR code), ``imp_<token>`` a registration imported by
staff, ``o_<token>`` an organisation's profile (shared from inline mode). Telegram allows 64
characters of ``A–Z a–z 0–9 _ -`` in a payload.

An organisation's token stands for its participant's Telegram id without showing it (the id
would let anyone write to the person, and contact details are shared only when both sides
agree): the id goes through a keyed permutation of 64-bit numbers (a four-round Feistel
network with HMAC-SHA256 rounds, keyed by ``CXBOT_LOG_SECRET`` or the bot token) and is
written in 11 base64url characters. A token that does not decode to a possible Telegram id
(at most 52 bits) is refused, so a guessed token almost never names anybody.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from dataclasses import dataclass

STAFF_INVITE = "st_"
PARTNERSHIP = "p_"
EVENT = "ev_"
IMPORT = "imp_"
ORGANISATION = "o_"
KINDS = (STAFF_INVITE, PARTNERSHIP, EVENT, IMPORT, ORGANISATION)
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


_ROUNDS = 4
_MAX_USER_ID = 2**52  # Telegram: user ids have at most 52 significant bits
_TOKEN = re.compile(r"[A-Za-z0-9_-]{11}")


def _round(key: bytes, number: int, half: int) -> int:
    digest = hmac.new(key, bytes([number]) + half.to_bytes(4, "big"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def encode_id(key: bytes, user_id: int) -> str:
    """The token of a participant's id (11 characters)."""
    if not 0 < user_id < _MAX_USER_ID:
        raise ValueError("not a Telegram user id")
    left, right = user_id >> 32, user_id & 0xFFFFFFFF
    for number in range(_ROUNDS):
        left, right = right, left ^ _round(key, number, right)
    return _spell(((left << 32) | right).to_bytes(8, "big"))


def decode_id(key: bytes, token: str) -> int | None:
    """The participant's id of a token, or None for a token we did not make."""
    if not _TOKEN.fullmatch(token):
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 8 or _spell(raw) != token:
        return None  # a non-canonical spelling of the same bytes
    value = int.from_bytes(raw, "big")
    left, right = value >> 32, value & 0xFFFFFFFF
    for number in reversed(range(_ROUNDS)):
        left, right = right ^ _round(key, number, left), left
    user_id = (left << 32) | right
    return user_id if 0 < user_id < _MAX_USER_ID else None


def _spell(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


class Links:
    """The bot's links, with its username: ``CXBOT_BOT_USERNAME``, else what Telegram's
    ``getMe`` says at start-up (so nobody is handed a bare ``/start st_…`` to type)."""

    def __init__(self, username: str | None = None, secret: str = "") -> None:
        self.username = username
        self._key = hashlib.sha256(b"cxbot organisation links\x00" + secret.encode()).digest()

    def organisation(self, user_id: int) -> str:
        """The ``o_`` link value of a participant's profile."""
        return encode_id(self._key, user_id)

    def organisation_id(self, value: str) -> int | None:
        """The participant whose profile an ``o_`` link names, or None."""
        return decode_id(self._key, value)

    def link(self, kind: str, value: str) -> str:
        """The link of a payload (the ``/start`` command while no username is known)."""
        return link(self.username, kind, value)
