"""Staff imports: cxbot import, invite links, claiming a pre-filled profile in chat."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.context import services_of
from bot.geo import DEFAULT_ELIGIBLE
from bot.matching.interchange import FIELDS, read_profiles
from bot.services.imports.service import import_records
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage import repo
from tests.helpers import load, state

ROW = {
    "id": "ext-1",
    "name": "Petra Novak",
    "organisation": "Ljubljana Robotics Hub",
    "org_type": "support",
    "country": "SI",
    "city": "Ljubljana",
    "role": "both",
    "ecosystems": "Digital;Elektronik",
    "offers": "Collaborative robots test bed",
    "seeks": "Partners for AI in quality inspection",
    "languages": "sl;en;de",
    "available_from": "2027-02-01",
    "available_to": "2027-05-31",
    "language": "en",
}


def csv_text(*rows: dict[str, str]) -> str:
    lines = [",".join(FIELDS)] + [",".join(f'"{r[f]}"' for f in FIELDS) for r in rows]
    return "\n".join(lines) + "\n"


async def invite(bot: BotDriver, row: dict[str, str] = ROW) -> str:
    records = read_profiles(csv_text(row), DEFAULT_ELIGIBLE).records
    async with services_of(bot.app).units.job() as unit:
        report = await import_records(unit, records)
    return report.invites[row["id"]]


async def test_claiming_an_imported_registration(bot: BotDriver) -> None:
    payload = await invite(bot)
    petra = FakeUser(id=4242, first_name="Petra", language_code="sl")
    r = await bot.send(petra, f"/start {payload}")
    assert "Do you agree?" in r.text
    r = await bot.press(petra, "I agree")
    assert "already entered your registration" in r.text
    assert "Why do you want to take part" in r.text  # the only missing answer
    r = await bot.send(petra, "To test our robots with partners abroad.")
    for expected in ("Ljubljana Robotics Hub", "Slovenia", "Ljubljana", "Visitor and host",
                     "Digital and Electronics", "1 Feb – 31 May 2027"):  # fmt: skip
        assert expected in r.text, expected
    r = await bot.press(petra, "Confirm")
    assert "Your profile is complete" in r.text
    _user, profile = await load(bot, petra.id)
    assert profile is not None and profile.languages == ["en", "de", "sl"]
    assert profile.latitude is not None and profile.org_type == "support"
    async with services_of(bot.app).db.session() as session:
        row = await repo.get_import(session, external_id="ext-1")
    assert row is not None and row.claimed_by == petra.id

    # The same link cannot be claimed twice; the second person registers normally.
    other = FakeUser(id=4343, language_code="en")
    await bot.send(other, f"/start {payload}")
    r = await bot.press(other, "I agree")
    assert "This invitation link is not valid any more" in r.text
    assert "What is your role" in r.text


async def test_outdated_dates_are_asked_again(bot: BotDriver) -> None:
    payload = await invite(bot, {**ROW, "id": "ext-2", "available_from": "2026-01-05",
                                 "available_to": "2026-03-01"})  # fmt: skip
    user = FakeUser(id=4444, language_code="en")
    await bot.send(user, f"/start {payload}")
    r = await bot.press(user, "I agree")
    assert "From which date" in r.text
    assert await state(bot, user.id) == "available_from"


def test_cli_import_reports_lines_and_updates_by_id(tmp_path: Path) -> None:
    path = tmp_path / "reg.csv"
    path.write_text(csv_text(ROW, {**ROW, "id": "bad", "country": "US"}), encoding="utf-8")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CXBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        "CXBOT_BOT_USERNAME": "cxbot",
    }
    cmd = [sys.executable, "-m", "bot", "import", str(path)]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert first.returncode == 0, first.stderr
    assert f"{path}:3: country 'US' is not eligible" in first.stderr
    assert "1 new, 0 updated" in first.stderr
    assert first.stdout.startswith("ext-1\thttps://t.me/cxbot?start=imp_")
    second = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert "0 new, 1 updated" in second.stderr
    assert second.stdout == first.stdout  # the same invite link


def test_cli_imports_and_matches_a_realistic_staff_spreadsheet(tmp_path: Path) -> None:
    """cxbot import and cxbot match on a German and English spreadsheet as staff send it:
    every understandable row is taken, refusals and warnings name their lines."""
    sheet = Path(__file__).resolve().parents[1] / "data" / "staff_registrations.csv"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CXBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}",
        "CXBOT_BOT_USERNAME": "cxbot",
    }
    run = [sys.executable, "-m", "bot"]
    imported = subprocess.run(
        [*run, "import", str(sheet)], capture_output=True, text=True, env=env, cwd=tmp_path,
        timeout=120,
    )  # fmt: skip
    assert imported.returncode == 0, imported.stderr
    invites = imported.stdout.splitlines()
    assert len(invites) == 35 and invites[0].startswith("r01\thttps://t.me/cxbot?start=imp_")
    err = imported.stderr
    assert "35 new, 0 updated (0 already claimed), 7 rejected, 7 warnings" in err
    for expected in (
        f"{sheet}:23: warning: more than 3 ecosystems: kept the first three, not textiles",
        f"{sheet}:26: warning: org_type large can only take part as host: role visitor became host",
        f"{sheet}:32: warning: unknown ecosystem 'Weltraumbergbau' left out",
        f"{sheet}:38: country 'Norwegen' is not eligible",
        f"{sheet}:41: unknown role 'vielleicht'",
        f"{sheet}:44: available_from is not a date",
    ):
        assert expected in err, expected
    assert err.index(f"{sheet}:23:") < err.index(f"{sheet}:38:")  # by line

    matched = subprocess.run(
        [*run, "match", str(sheet), "--json", "--today", "2026-11-21"], capture_output=True,
        text=True, env=env, cwd=tmp_path, timeout=300,
    )  # fmt: skip
    assert matched.returncode == 0, matched.stderr
    ranked = {line["id"]: line["matches"] for line in map(json.loads, matched.stdout.splitlines())}
    assert len(ranked) == 35
    assert "r02" in [m["id"] for m in ranked["r01"]]  # textiles visitor meets textiles host
    assert f"{sheet}:40: missing offers" in matched.stderr
