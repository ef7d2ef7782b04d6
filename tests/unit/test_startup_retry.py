"""Start-up against a database that is not there yet: retried with backoff (1 s doubling to
30 s) for ``CXBOT_DB_WAIT`` seconds, one log line per attempt, then one line and exit 1; and
migrations on PostgreSQL under an advisory lock, so that workers can start together."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from asyncio.subprocess import PIPE
from itertools import islice
from pathlib import Path

import pytest

from storage.db import Database, DatabaseUnavailable, head_revision, retry_delays
from tests.helpers import reset_postgres

UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/x"  # nothing listens on port 1
ROOT = Path(__file__).resolve().parents[2]


class FakeTime:
    """A clock that only ``sleep`` moves, and the record of the pauses."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds


def bot_env(home: Path, url: str, *, wait: str) -> dict[str, str]:
    """The environment of a ``python -m bot`` subprocess with a token and ``url``."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
        "CXBOT_API_BASE_URL": "http://127.0.0.1:1/bot",  # never reached: the database first
        "CXBOT_DATABASE_URL": url,
        "CXBOT_DB_WAIT": wait,
        "PYTHONPATH": str(ROOT),
    }


def test_the_delays_double_from_one_second_to_thirty() -> None:
    assert list(islice(retry_delays(), 8)) == [1, 2, 4, 8, 16, 30, 30, 30]


async def test_an_unreachable_database_is_retried_then_given_up(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time, db = FakeTime(), Database(UNREACHABLE)
    caplog.set_level(logging.INFO, logger="storage.db")
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            await db.wait_until_reachable(max_wait=60, sleep=time.sleep, clock=time.clock)
    finally:
        await db.dispose()
    assert time.pauses == [1, 2, 4, 8, 16, 29]  # the last one up to the 60 s
    assert str(raised.value) == (
        "database unreachable (ConnectionRefusedError), gave up after 60 s"
    )
    lines = [r.getMessage() for r in caplog.records if r.name == "storage.db"]
    assert lines == [
        f"database unreachable (ConnectionRefusedError), retrying in {s} s"
        for s in (1, 2, 4, 8, 16, 29)
    ]
    assert all(r.exc_info is None for r in caplog.records)  # no traceback in the log


async def test_the_wait_ends_when_the_database_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    time, db = FakeTime(), Database(UNREACHABLE)
    answers: list[Exception | None] = [ConnectionRefusedError(111, "refused"), TimeoutError()]

    async def ping() -> None:
        if answers:
            error = answers.pop(0)
            if error is not None:
                raise error

    monkeypatch.setattr(db, "ping", ping)
    await db.wait_until_reachable(max_wait=60, sleep=time.sleep, clock=time.clock)
    assert time.pauses == [1, 2] and answers == []
    await db.dispose()


async def test_a_refusal_for_good_is_not_waited_for(monkeypatch: pytest.MonkeyPatch) -> None:
    class InvalidPasswordError(Exception):
        """As asyncpg names it."""

    time, db = FakeTime(), Database(UNREACHABLE)

    async def ping() -> None:
        raise InvalidPasswordError("password authentication failed for user secret_user")

    monkeypatch.setattr(db, "ping", ping)
    with pytest.raises(DatabaseUnavailable, match=r"^database error \(InvalidPasswordError\)$"):
        await db.wait_until_reachable(max_wait=60, sleep=time.sleep, clock=time.clock)
    assert time.pauses == []
    await db.dispose()


async def test_no_wait_means_one_attempt() -> None:
    time, db = FakeTime(), Database(UNREACHABLE)
    with pytest.raises(DatabaseUnavailable, match="gave up after 0 s"):
        await db.wait_until_reachable(max_wait=0, sleep=time.sleep, clock=time.clock)
    assert time.pauses == []
    await db.dispose()


@pytest.mark.parametrize(
    "command", [["run"], ["webhook", "--url", "https://bot.example.org/tg"]], ids=lambda c: c[0]
)
def test_the_bot_waits_then_exits_1_with_one_line(tmp_path: Path, command: list[str]) -> None:
    env = bot_env(tmp_path, UNREACHABLE, wait="1.5")
    result = subprocess.run(
        [sys.executable, "-m", "bot", *command],
        capture_output=True, text=True, cwd=tmp_path, timeout=60, env=env,
    )  # fmt: skip
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert [line.split(" storage.db: ")[-1] for line in lines] == [
        "database unreachable (ConnectionRefusedError), retrying in 1 s",
        "database unreachable (ConnectionRefusedError), retrying in 0.5 s",
        "cxbot: database unreachable (ConnectionRefusedError), gave up after 1.5 s",
    ]
    assert "WARNING" in lines[0] and "Traceback" not in result.stderr


# ------------------------------------------------------- migrations of workers starting together

PG_URL = os.environ.get("CXBOT_TEST_DATABASE_URL")


async def _reachable(url: str) -> bool:
    db = Database(url)
    try:
        await db.ping()
    except Exception:
        return False
    finally:
        await db.dispose()
    return True


async def test_workers_starting_together_on_postgresql_all_migrate(tmp_path: Path) -> None:
    if not PG_URL or not await _reachable(PG_URL):
        pytest.skip("CXBOT_TEST_DATABASE_URL is not set or PostgreSQL does not answer")
    await reset_postgres(PG_URL)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "CXBOT_DATABASE_URL": PG_URL,
        "PYTHONPATH": str(ROOT),
    }
    # Separate processes, as workers are: each migrates at start (``cxbot db upgrade`` runs
    # the same ``Database.upgrade``). Without the lock they race to create the same tables.
    workers = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "upgrade",
            cwd=tmp_path,
            env=env,
            stdout=PIPE,
            stderr=PIPE,
        )
        for _ in range(4)
    ]
    async with asyncio.timeout(120):
        outputs = await asyncio.gather(*(w.communicate() for w in workers))
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [err.decode() for _, err in outputs]
    db = Database(PG_URL)
    try:
        assert await db.revision() == await asyncio.to_thread(head_revision)
    finally:
        await db.dispose()


# ------------------------------------------------- an SQLite file the bot cannot write (issue 16)


def test_a_missing_database_directory_stops_the_bot_at_once_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "data"
    url = f"sqlite+aiosqlite:///{missing}/cxbot.sqlite3"
    for command in (["run"], ["db", "upgrade"], ["health"]):
        result = subprocess.run(
            [sys.executable, "-m", "bot", *command],
            capture_output=True, text=True, cwd=tmp_path, timeout=25,  # no 30 s of retries
            env=bot_env(tmp_path, url, wait="30"),
        )  # fmt: skip
        why = f"database directory {missing} does not exist: create it or mount a volume there"
        assert result.returncode == 1, command
        said = result.stdout if command == ["health"] else result.stderr
        assert said.strip() == ("fail: " if command == ["health"] else "cxbot: ") + why
        assert "Traceback" not in result.stderr
    assert not missing.exists()


async def test_a_directory_it_cannot_write_is_named_and_not_waited_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Root may write anywhere, so the refusal is the operating system's answer made up here;
    the next test has the real one where an unprivileged user can run the bot."""
    from bot.health import check
    from storage import db as storage_db
    from tests.helpers import make_settings

    data = tmp_path / "data"
    data.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        storage_db.os, "access", lambda p, mode: Path(p) != data and real_access(p, mode)
    )
    url = f"sqlite+aiosqlite:///{data}/cxbot.sqlite3"
    time, db = FakeTime(), Database(url)
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            await db.wait_until_reachable(max_wait=60, sleep=time.sleep, clock=time.clock)
    finally:
        await db.dispose()
    uid = os.getuid()
    why = (
        f"database directory {data} is not writable by user {uid}: chown it to {uid} on the "
        "host, or mount a named volume there"
    )
    assert (str(raised.value), time.pauses) == (why, [])
    health = await check(make_settings(url))
    assert (health.ok, health.line) == (False, "fail: " + why)
    assert list(data.iterdir()) == []


def _unprivileged_python_runs() -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return False
    try:
        probe = subprocess.run(
            [sys.executable, "-c", "import bot.cli"], user=65534, group=65534, env={
                "PYTHONPATH": str(ROOT)}, capture_output=True, cwd="/", timeout=60,
        )  # fmt: skip
    except OSError:  # the interpreter lives where that user may not go
        return False
    return probe.returncode == 0


@pytest.mark.skipif(not _unprivileged_python_runs(), reason="needs root and a readable checkout")
def test_a_root_owned_data_directory_stops_an_unprivileged_bot_with_one_line() -> None:
    """What a host directory owned by root mounted on /data does to the image's user."""
    import tempfile

    with tempfile.TemporaryDirectory() as base:
        os.chmod(base, 0o755)
        data = Path(base) / "data"
        data.mkdir(mode=0o755)
        env = bot_env(Path(base), f"sqlite+aiosqlite:///{data}/cxbot.sqlite3", wait="30")
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"], user=65534, group=65534, env=env,
            capture_output=True, text=True, cwd="/", timeout=25,
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stderr.strip() == (
            f"cxbot: database directory {data} is not writable by user 65534: chown it to "
            "65534 on the host, or mount a named volume there"
        )
        assert list(data.iterdir()) == []
