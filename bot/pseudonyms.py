"""Pseudonyms for log lines: a person appears in the logs as ``u-`` and twelve hex digits, a
keyed hash (HMAC-SHA256) of their Telegram id, never as the id, a name or a username.

The key is ``CXBOT_LOG_SECRET`` (the bot token when unset), so the same person has the same
pseudonym across restarts and their log lines can be followed, while without the key nobody
can go back from a pseudonym to the person (Telegram ids are few enough to try them all, so
the hash must be keyed). ``configure`` is called once when the application is built.
"""

from __future__ import annotations

import hashlib
import hmac

_PREFIX = b"cxbot log pseudonyms\x00"
_key = hashlib.sha256(_PREFIX).digest()  # until ``configure`` runs (scripts, unit tests)


def configure(secret: str) -> None:
    """Use ``secret`` as the key from now on."""
    global _key
    _key = hashlib.sha256(_PREFIX + secret.encode("utf-8")).digest()


def who(user_id: int | None) -> str:
    """The pseudonym of a Telegram user (``-`` for nobody, such as the bot itself)."""
    if user_id is None:
        return "-"
    digest = hmac.new(_key, str(int(user_id)).encode("ascii"), hashlib.sha256).hexdigest()
    return "u-" + digest[:12]
