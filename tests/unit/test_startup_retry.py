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
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "TELEGRAM_BOT_TOKEN": "123456:" + "A" * 35,
        "CXBOT_API_BASE_URL": "http://127.0.0.1:1/bot",  # never reached: the database first
        "CXBOT_DATABASE_URL": UNREACHABLE,
        "CXBOT_DB_WAIT": "1.5",
        "PYTHONPATH": str(ROOT),
    }
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
