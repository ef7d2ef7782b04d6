"""``cxbot health``: one line, exit code 0 only when the database answers, its migrations are
the newest shipped, and Telegram answers ``getMe`` (when a token is set)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import main
from bot.health import check
from bot.transport.offline import OfflineRequest
from storage.db import Database, alembic_config, head_revision
from tests.helpers import make_settings

HEAD = head_revision()
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/x"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "CXBOT_DATABASE_URL", "CXBOT_TELEGRAM_BOT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env


def database(tmp_path: Path, revision: str | None = "head") -> str:
    """A SQLite database migrated to ``revision`` (None: created, never migrated)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cxbot.sqlite3'}"

    async def prepare() -> None:
        db = Database(url)
        try:
            await (db.ping() if revision is None else db.upgrade(revision))
        finally:
            await db.dispose()

    asyncio.run(prepare())
    return url


def health(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], url: str
) -> tuple[int, str]:
    """``cxbot health`` on ``url``: its exit code and its output."""
    monkeypatch.setenv("CXBOT_DATABASE_URL", url)
    code = main(["health"])
    return code, capsys.readouterr().out


def test_a_migrated_database_is_healthy(monkeypatch, capsys, tmp_path: Path) -> None:
    code, out = health(monkeypatch, capsys, database(tmp_path))
    assert (code, out) == (
        0,
        f"ok: database sqlite, migrations {HEAD} (head), telegram skipped (no token)\n",
    )


def test_a_database_behind_the_migrations_is_not(monkeypatch, capsys, tmp_path: Path) -> None:
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(HEAD).down_revision
    assert isinstance(previous, str)
    code, out = health(monkeypatch, capsys, database(tmp_path, previous))
    assert code == 1
    assert out == (
        f"fail: database sqlite, migrations {previous}, head is {HEAD}: run cxbot db upgrade, "
        "telegram skipped (no token)\n"
    )


def test_a_database_never_migrated_is_not(monkeypatch, capsys, tmp_path: Path) -> None:
    code, out = health(monkeypatch, capsys, database(tmp_path, None))
    assert code == 1
    assert out.startswith(f"fail: database sqlite, migrations none, head is {HEAD}")


def test_an_unreachable_database_fails_at_once(monkeypatch, capsys) -> None:
    started = time.monotonic()
    code, out = health(monkeypatch, capsys, UNREACHABLE)
    assert (code, out) == (1, "fail: database unreachable (ConnectionRefusedError)\n")
    assert time.monotonic() - started < 5


def test_a_missing_sqlite_file_fails_and_is_not_created(
    monkeypatch, capsys, tmp_path: Path
) -> None:
    path = tmp_path / "nowhere.sqlite3"
    code, out = health(monkeypatch, capsys, f"sqlite+aiosqlite:///{path}")
    assert (code, out) == (1, "fail: database unreachable (no file)\n")
    assert not path.exists()


async def test_with_a_token_telegram_must_answer_getme(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cxbot.sqlite3'}"
    db = Database(url)
    await db.upgrade()
    await db.dispose()
    settings = make_settings(url).model_copy(update={"telegram_bot_token": "123456:" + "A" * 35})
    transport = OfflineRequest()
    result = await check(settings, request=transport)
    assert result.ok and result.exit_code == 0
    assert result.line == (
        f"ok: database sqlite, migrations {HEAD} (head), telegram @cxbot_offline_bot (getMe)"
    )
    assert [c.method for c in transport.calls] == ["getMe"]

    transport = OfflineRequest()
    transport.fail_next("getMe", "network")
    result = await check(settings, request=transport)
    assert not result.ok and result.exit_code == 1
    assert result.line.startswith("fail: database sqlite, migrations")
    assert result.line.endswith("telegram getMe failed (NetworkError)")
