"""Settings validation and the command line's exit codes and messages."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.cli import main
from bot.config import SettingsError, load_settings
from bot.geo import DEFAULT_ELIGIBLE


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "CXBOT_DATABASE_URL", "CXBOT_ELIGIBLE_COUNTRIES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env


def test_defaults() -> None:
    s = load_settings()
    assert s.database_url.startswith("sqlite+aiosqlite:///")
    assert s.eligible_countries == DEFAULT_ELIGIBLE and "XK" in s.eligible_countries
    assert len(s.eligible_countries) == 38
    assert s.api_base_url == "https://api.telegram.org/bot"
    assert s.timezone == "Europe/Brussels"


def test_environment_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("CXBOT_ADMIN_IDS", "1, 2 3")
    monkeypatch.setenv("CXBOT_ELIGIBLE_COUNTRIES", "de,at,NO")
    monkeypatch.setenv("CXBOT_API_BASE_URL", "http://localhost:8081/bot")
    monkeypatch.setenv("CXBOT_DATABASE_URL", "postgresql://u@h/db")
    s = load_settings()
    assert s.telegram_bot_token == "1:abc"
    assert s.admin_ids == frozenset({1, 2, 3})
    assert s.eligible_countries == ("DE", "AT", "NO")
    assert s.api_base_url == "http://localhost:8081/bot"
    assert s.database_url == "postgresql+asyncpg://u@h/db"


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("CXBOT_ADMIN_IDS", "alice", "CXBOT_ADMIN_IDS"),
        ("CXBOT_ELIGIBLE_COUNTRIES", "DE,ZZ", "CXBOT_ELIGIBLE_COUNTRIES"),
        ("CXBOT_TIMEZONE", "Mars/Olympus", "CXBOT_TIMEZONE"),
        ("CXBOT_DATABASE_URL", "mysql://x", "CXBOT_DATABASE_URL"),
    ],
)
def test_invalid_setting_exits_2_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, name: str, value: str, needle
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError):
        load_settings()
    assert main(["run"]) == 2
    err = capsys.readouterr().err.strip()
    assert needle in err and "\n" not in err


def test_run_without_token_points_to_the_shell(capsys: pytest.CaptureFixture) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "TELEGRAM_BOT_TOKEN" in err and "BotFather" in err and "cxbot shell" in err


def test_webhook_requires_https(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    assert main(["webhook", "--url", "http://example.org/hook"]) == 2
    assert "https" in capsys.readouterr().err


def test_db_upgrade(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}"
    monkeypatch.setenv("CXBOT_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (tmp_path / "x.sqlite3").exists()


def test_python_m_bot_and_demo_run(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "demo"], capture_output=True, text=True, cwd=tmp_path,
        timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Willkommen bei ClusterXchange" in result.stdout
    assert "Your profile is complete" in result.stdout
    assert "It's a match! Cluster Têxtil Portugal" in result.stdout  # mutual, both told
    assert "📨 to Anna: 🤖 🎉 It's a match!" in result.stdout
    assert "Why this match" in result.stdout and "Warum dieser Vorschlag" in result.stdout
    # A whole exchange: partnerships and staff, validation, reminders, the outcome.
    assert "Welcome to the staff of Textiles EU" in result.stdout
    assert "Anmeldung freigegeben" in result.stdout  # Pedro's Telegram speaks German
    assert "starts in 14 days" in result.stdout and "Did it take place?" in result.stdout
    assert "closing report approved" in result.stdout and "What came of it?" in result.stdout
    assert "History of exchange #1" in result.stdout
    assert "👥 Your participants: Textilrecycling" in result.stdout  # staff search
    assert "not valid any more" not in result.stdout
    assert "Demo finished" in result.stdout


def test_shell_presses_numbered_buttons(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'shell.sqlite3'}"
    script = "/start\n#1\n#2\n:sticker\nJonas\n:quit\n"
    result = subprocess.run(
        [sys.executable, "-m", "bot", "shell", "--name", "Jonas", "--lang", "de-AT"],
        input=script, capture_output=True, text=True, cwd=tmp_path, timeout=300,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CXBOT_DATABASE_URL": url},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[1] Einverstanden" in out
    assert "✅ Einverstanden" in out  # button 1 pressed
    assert "✅ Gastgeber" in out  # button 2 of the role question
    assert "Bitte nutzen Sie die Schaltflächen unten." in out  # the sticker
    assert (tmp_path / "shell.sqlite3").exists()  # the configured database was used
