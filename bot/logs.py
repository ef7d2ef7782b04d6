"""Logging for ``cxbot run`` and ``cxbot webhook``: what the operator sees, and never a secret.

Log lines carry no personal data (people appear as pseudonyms, ``bot.pseudonyms.who``) and no
secret whole. ``Redact`` is the last line of defence, on every handler: whatever a library or
an exception message puts into a line, a bot token, a staff invitation, an event code or an
imported registration's link keeps a short prefix at most (``st_Ab3d…``), so a line can still
be matched with a link its owner shows, but the link cannot be rebuilt from the log.

``--verbose`` shows the bot's own debug lines; the libraries stay at INFO (python-telegram-bot
logs every update and every API call with its full text at DEBUG) and httpx at WARNING (its
INFO lines carry the request URL, which holds the bot token).
"""

from __future__ import annotations

import logging
import re
from typing import TextIO

from bot.services import deeplinks

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SHOWN = 4  # characters of a secret kept after its kind's prefix
OWN = ("bot", "storage", "__main__")
QUIET = dict.fromkeys(
    ("httpx", "httpcore", "apscheduler", "aiosqlite", "fontTools", "fpdf", "alembic"),
    logging.WARNING,
)

_TOKEN = re.compile(r"(?<!\d)(\d{5,16}):[A-Za-z0-9_-]{30,}")
_SECRETS = ("st_", "ev_", "imp_")
assert set(_SECRETS) <= set(deeplinks.KINDS)
_LINK = re.compile(
    r"(?<![A-Za-z0-9])(" + "|".join(_SECRETS) + r")([A-Za-z0-9_-]{" + str(SHOWN) + r"})"
    r"[A-Za-z0-9_-]+"
)


def redact(text: str) -> str:
    """``text`` with bot tokens and secret link payloads cut to a short prefix."""
    text = _TOKEN.sub(r"\1:…", text)
    return _LINK.sub(r"\1\2…", text)


class Redact(logging.Filter):
    """Rewrites each record's message (and its traceback) through ``redact``."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def configure(verbose: bool = False, stream: TextIO | None = None) -> logging.Handler:
    """Log to ``stream`` (stderr) at INFO, the bot's own lines at DEBUG with ``verbose``;
    the handler it installed."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in OWN:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.INFO)
    for name, level in QUIET.items():
        logging.getLogger(name).setLevel(level)
    return handler
