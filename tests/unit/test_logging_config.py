"""``CXBOT_LOG_LEVEL`` and ``CXBOT_LOG_FORMAT``: the level of the bot's own lines, JSON lines
for log collectors, and the libraries' routine kept out (alembic, httpx, APScheduler,
python-telegram-bot, fontTools, fpdf) unless it is a warning."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.config import SettingsError, load_settings
from storage.db import Database

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1"
# Loggers of libraries whose routine (INFO) stays out of the log.
QUIETED = (
    "telegram.ext.Application",
    "httpx",
    "alembic.runtime.migration",
    "apscheduler.scheduler",
    "fontTools.subset",
    "fpdf.output",
    "tornado.general",
)


@pytest.fixture
def configure() -> Iterator[object]:
    """``logs.configure`` on a buffer; the loggers' levels and handlers restored after."""
    root = logging.getLogger()
    names = ("", *logs.OWN, *logs.QUIET)
    levels = {name: logging.getLogger(name).level for name in names}
    installed: list[logging.Handler] = []

    def setup(**kwargs: object) -> io.StringIO:
        buffer = io.StringIO()
        installed.append(logs.configure(stream=buffer, **kwargs))  # type: ignore[arg-type]
        return buffer

    yield setup
    for handler in installed:
        root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def emit_everywhere() -> None:
    """An INFO and a DEBUG line from the bot, a library, and each quiet library."""
    for name in ("bot.app", "storage.db", "some.library", *QUIETED):
        logging.getLogger(name).debug("debug from %s", name)
        logging.getLogger(name).info("info from %s", name)
        logging.getLogger(name).warning("warning from %s", name)


def test_default_is_info_for_the_bot_warning_for_the_chatty_libraries(configure) -> None:
    buffer = configure()
    emit_everywhere()
    out = buffer.getvalue()
    assert "info from bot.app" in out and "info from storage.db" in out
    assert "info from some.library" in out
    assert "debug from" not in out
    for quiet in QUIETED:
        assert f"info from {quiet}" not in out
        assert f"warning from {quiet}" in out


def test_debug_shows_the_bots_debug_lines_never_the_libraries(configure) -> None:
    buffer = configure(level="debug")
    emit_everywhere()
    out = buffer.getvalue()
    assert "debug from bot.app" in out and "debug from storage.db" in out
    assert "debug from some.library" not in out  # PTB logs whole updates at DEBUG
    assert "info from telegram.ext.Application" not in out and "info from httpx" not in out


def test_warning_silences_the_bots_routine(configure) -> None:
    buffer = configure(level="WARNING")
    emit_everywhere()
    out = buffer.getvalue()
    assert "info from" not in out
    assert "warning from bot.app" in out and "warning from httpx" in out


def test_json_is_one_object_per_line(configure) -> None:
    buffer = configure(fmt="json")
    log = logging.getLogger("bot.handlers.test")
    log.info("two\nlines for %s", "u-0123456789ab")
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("handling failed with token %s", TOKEN)
    lines = buffer.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert set(first) == {"time", "level", "logger", "message"}
    assert first["level"] == "INFO" and first["logger"] == "bot.handlers.test"
    assert first["message"] == "two\nlines for u-0123456789ab"
    assert first["time"].startswith("20") and first["time"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert (
        second["exception"].startswith("Traceback")
        and "ValueError: bad value" in second["exception"]
    )
    assert TOKEN not in lines[1] and "123456789:…" in second["message"]  # redacted as in text


def test_text_is_the_default_format(configure) -> None:
    buffer = configure()
    logging.getLogger("bot.app").info("started")
    assert buffer.getvalue().rstrip().endswith(" INFO bot.app: started")


def test_unknown_format_or_level_is_refused(configure) -> None:
    with pytest.raises(ValueError, match="format"):
        configure(fmt="xml")
    with pytest.raises(ValueError, match="level"):
        configure(level="LOUD")


def test_migrating_logs_nothing_by_default(configure, tmp_path: Path) -> None:
    buffer = configure()
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'cxbot.sqlite3'}")

    async def upgrade() -> None:
        try:
            await db.upgrade()
        finally:
            await db.dispose()

    asyncio.run(upgrade())
    assert buffer.getvalue() == ""  # alembic's "Running upgrade ..." lines stay out


def test_settings_read_level_and_format(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no developer .env
    for name in ("CXBOT_LOG_LEVEL", "CXBOT_LOG_FORMAT"):
        monkeypatch.delenv(name, raising=False)
    defaults = load_settings()
    assert (defaults.log_level, defaults.log_format) == ("INFO", "text")
    monkeypatch.setenv("CXBOT_LOG_LEVEL", " debug ")
    monkeypatch.setenv("CXBOT_LOG_FORMAT", "JSON")
    settings = load_settings()
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    monkeypatch.setenv("CXBOT_LOG_FORMAT", "xml")
    with pytest.raises(SettingsError, match="CXBOT_LOG_FORMAT"):
        load_settings()
    monkeypatch.setenv("CXBOT_LOG_FORMAT", "json")
    monkeypatch.setenv("CXBOT_LOG_LEVEL", "loud")
    with pytest.raises(SettingsError, match="CXBOT_LOG_LEVEL"):
        load_settings()
