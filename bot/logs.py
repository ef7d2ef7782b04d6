"""Logging for ``cxbot run`` and ``cxbot webhook``: what the operator sees, and never a secret.

Log lines carry no personal data (people appear as pseudonyms, ``bot.pseudonyms.who``) and no
secret whole. ``Redact`` is the last line of defence, on every handler: whatever a library or
an exception message puts into a line, a bot token, a staff invitation, an event code or an
imported registration's link keeps a short prefix at most (``st_Ab3d…``), so a line can still
be matched with a link its owner shows, but the link cannot be rebuilt from the log.

``CXBOT_LOG_LEVEL`` (or ``--verbose``, for DEBUG) sets the level of the bot's own lines; the
libraries never go below INFO (python-telegram-bot logs every update and every API call with
its full text at DEBUG), and the chatty ones in ``QUIET`` stay at WARNING: httpx's INFO lines
carry the request URL, which holds the bot token; alembic, APScheduler, python-telegram-bot,
fontTools, fpdf and tornado describe their own routine (``bot.webhook`` logs the requests it
refuses itself). ``CXBOT_LOG_FORMAT=json`` writes one JSON object per line (``JsonFormatter``).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import TextIO

from bot.services import deeplinks

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
SHOWN = 4  # characters of a secret kept after its kind's prefix
OWN = ("bot", "storage", "__main__")
QUIET = dict.fromkeys(
    (
        "httpx",
        "httpcore",
        "apscheduler",
        "aiosqlite",
        "fontTools",
        "fpdf",
        "alembic",
        "telegram",
        "tornado",
        "PIL",
    ),
    logging.WARNING,
)
FORMATS = ("text", "json")

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


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a single line of JSON."""
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(
    verbose: bool = False,
    stream: TextIO | None = None,
    *,
    level: str | int = logging.INFO,
    fmt: str = "text",
) -> logging.Handler:
    """Log to ``stream`` (stderr) as ``fmt`` (``text`` or ``json``): the bot's own lines from
    ``level`` (DEBUG with ``verbose``), the libraries from INFO and the ``QUIET`` ones from
    WARNING, neither below ``level``; the handler it installed."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    own = logging.DEBUG if verbose else _level(level)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(FORMAT))
    handler.addFilter(Redact())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(max(own, logging.INFO))
    for name in OWN:
        logging.getLogger(name).setLevel(own)
    for name, quiet in QUIET.items():
        logging.getLogger(name).setLevel(max(quiet, own))
    return handler


def _level(level: str | int) -> int:
    """A level given by name (``debug``, ``WARNING``) or number."""
    if isinstance(level, int):
        return level
    number = logging.getLevelName(level.strip().upper())
    if not isinstance(number, int):
        raise ValueError(f"unknown log level {level!r}")
    return number
