"""``cxbot health``: is this deployment able to work? One line and an exit code.

Three checks, each bounded in time: the database answers, its migrations are the newest the
code ships (Alembic's head), and, when a token is set, Telegram answers ``getMe``. The line
starts with ``ok:`` or ``fail:``; every part names what it checked, a failure the class of
the error (never its message, which may carry a host name or a user):

    ok: database sqlite, migrations 0008 (head), telegram @cxbot (getMe)
    fail: database unreachable (ConnectionRefusedError)
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import BaseRequest

from bot.config import Settings
from storage.db import (
    Database,
    error_name,
    head_revision,
    sqlite_access,
    sqlite_file,
    unreachable,
)

TIMEOUT = 10.0  # seconds for each check


@dataclass(frozen=True)
class Health:
    """The outcome of the checks: healthy or not, and the line that says so."""

    ok: bool
    line: str

    @property
    def exit_code(self) -> int:
        """0 when healthy, 1 otherwise."""
        return 0 if self.ok else 1


async def check(settings: Settings, *, request: BaseRequest | None = None) -> Health:
    """Run the checks; ``request`` replaces the transport to Telegram (tests)."""
    reachable, migrated, database = await _database(settings.database_url)
    if not reachable:
        return Health(False, "fail: " + database)
    answered, telegram = await _telegram(settings, request)
    ok = migrated and answered
    return Health(ok, f"{'ok' if ok else 'fail'}: {database}, {telegram}")


async def _database(url: str) -> tuple[bool, bool, str]:
    """Whether it can be reached (if not, nothing else is checked), whether its migrations
    are at the head, and the part of the line about it."""
    kind = url.split("://", 1)[0].split("+", 1)[0]  # sqlite, postgresql
    path = sqlite_file(url)
    if path is not None:
        if problem := await asyncio.to_thread(sqlite_access, path):
            return False, False, problem
        if not await asyncio.to_thread(path.exists):
            return False, False, "database unreachable (no file)"  # connecting would create it
    db = Database(url)
    try:
        async with asyncio.timeout(TIMEOUT):
            current = await db.revision()
        head = await asyncio.to_thread(head_revision)
    except Exception as error:
        what = "unreachable" if unreachable(error) else "error"
        return False, False, f"database {what} ({error_name(error)})"
    finally:
        await db.dispose()
    if current == head:
        return True, True, f"database {kind}, migrations {current} (head)"
    behind = f"migrations {current or 'none'}, head is {head}: run cxbot db upgrade"
    return True, False, f"database {kind}, {behind}"


async def _telegram(settings: Settings, request: BaseRequest | None) -> tuple[bool, str]:
    """Whether ``getMe`` answered (skipped without a token), and the part of the line."""
    if not settings.telegram_bot_token:
        return True, "telegram skipped (no token)"
    bot = Bot(
        settings.telegram_bot_token,
        base_url=settings.api_base_url,
        base_file_url=settings.api_base_file_url,
        request=request,
        get_updates_request=request,
    )
    try:
        async with asyncio.timeout(TIMEOUT):
            await bot.initialize()  # calls getMe
    except InvalidToken:
        return False, "telegram refused the token (InvalidToken)"
    except (TelegramError, TimeoutError, OSError) as error:
        return False, f"telegram getMe failed ({type(error).__name__})"
    finally:
        await bot.shutdown()
    return True, f"telegram @{bot.username} (getMe)"
