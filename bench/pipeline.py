#!/usr/bin/env python
"""Updates per second through cxbot's registration versus a bare PTB echo bot.

Run from the repository root::

    .venv/bin/python bench/pipeline.py [--users N] [--repeat R] [--json] [--profile] [--steps]

Both sides run the real ``telegram.ext.Application`` on the offline transport
(:class:`bot.transport.offline.OfflineRequest`) and are fed pre-built ``Update`` objects; only the
time spent inside ``await app.process_update(update)`` is measured. See ``bench/README.md``.

How the updates are pre-built: the registration is deterministic (fixed clock, fixed answers,
per-chat message ids and per-user button versions that start from the same values for every
user), so one *probe* user is first registered with ``tests.helpers.register`` on a throw-away
database while every update it is sent is recorded as Bot API JSON. That script is then
instantiated for each benchmark user (user id, chat id, update id, callback query id replaced)
and parsed with ``Update.de_json`` *before* the clock starts. After every timed run the result
is checked: every user must have a completed profile in the database and the bot must have made
exactly as many Bot API calls per user as for the probe; otherwise the run is reported invalid.

This is a measurement, not a test: the exit code is always 0.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import cProfile
import gc
import io
import json
import platform
import pstats
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import telegram  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.context import services_of  # noqa: E402
from bot.transport.driver import BotDriver, Exchange  # noqa: E402
from bot.transport.offline import OfflineRequest  # noqa: E402
from bot.transport.updates import FakeUser  # noqa: E402
from tests.helpers import register, state  # noqa: E402  (the very steps the tests use)

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
TARGET_RATIO = 0.5
WARMUP_USERS = 5
PROBE_ID = 909_090_909  # never collides with the other integers in an update
ECHO_TOKEN = "123456:OFFLINE"


# --------------------------------------------------------------------------- settings


def make_settings(url: str, **overrides: object) -> Settings:
    """Same as tests/conftest.py ``make_settings``: ignore the developer's .env."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=None,
        database_url=url,
        **overrides,  # type: ignore[arg-type]
    )


# --------------------------------------------------------------------------- the script


@dataclass
class Step:
    """One recorded update of the registration."""

    kind: str  # "command", "text" or "button"
    label: str  # e.g. "button @ecosystems:4" (step the user was at, and the value)
    payload: dict[str, Any]  # Bot API JSON of the update, for the probe user


@dataclass
class Script:
    steps: list[Step]
    api_calls_per_user: int  # Bot API calls the bot made for the probe's registration


class _RecordingDriver(BotDriver):
    """A BotDriver that records every update fed to it (and the user's step before it)."""

    recorded: list[tuple[dict[str, Any], str | None]]

    async def process(self, user: FakeUser, update: Update) -> Exchange:
        before = await state(self, user.id)
        self.recorded.append((copy.deepcopy(update.to_dict()), before))
        return await super().process(user, update)


def _kind(payload: dict[str, Any]) -> str:
    if "callback_query" in payload:
        return "button"
    message_text = payload.get("message", {}).get("text", "")
    return "command" if message_text.startswith("/") else "text"


def _label(payload: dict[str, Any], before: str | None) -> str:
    kind = _kind(payload)
    if kind == "button":
        data = payload["callback_query"]["data"]  # r:<version>:<step>:<value>
        parts = data.split(":", 3)
        return f"button {parts[2]}:{parts[3]}" if len(parts) == 4 else f"button {data}"
    if kind == "command":
        return f"command {payload['message']['text'].split()[0]}"
    return f"text @{before or 'new'}"


async def record_script(tmp: Path) -> Script:
    """Register one probe user the way the tests do and record what it sent."""
    url = f"sqlite+aiosqlite:///{tmp / 'probe.sqlite3'}"
    driver = await _RecordingDriver.start(make_settings(url), clock=FixedClock(NOW))
    driver.recorded = []
    try:
        calls_before = len(driver.transport.calls)
        probe = FakeUser(id=PROBE_ID, first_name="Probe", username="probe_user")
        await register(driver, probe)
        calls = len(driver.transport.calls) - calls_before
        final = await state(driver, PROBE_ID)
        if final != "idle":
            raise RuntimeError(f"the probe registration ended in state {final!r}, not 'idle'")
        toasts = [
            c.params.get("text")
            for c in driver.transport.calls_to("answerCallbackQuery")
            if c.params.get("text")
        ]
        if toasts:
            raise RuntimeError(f"the probe registration got toasts: {toasts}")
    finally:
        await driver.stop()
    steps = [Step(_kind(p), _label(p, before), p) for p, before in driver.recorded]
    return Script(steps, calls)


def _substitute(value: Any, user_id: int) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, user_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, user_id) for v in value]
    if value == PROBE_ID and isinstance(value, int):
        return user_id
    if value == f"ci{PROBE_ID}":
        return f"ci{user_id}"
    return value


class Feeder:
    """Turns the script into fresh ``Update`` objects for given users (before timing)."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self._update_id = 0

    def build(self, app: Application, user_ids: list[int]) -> list[tuple[Update, int]]:
        """``(update, step index)`` for every user, user after user, parsed for ``app.bot``."""
        out: list[tuple[Update, int]] = []
        for user_id in user_ids:
            for index, step in enumerate(self.script.steps):
                self._update_id += 1
                data = _substitute(step.payload, user_id)
                data["update_id"] = self._update_id
                if "callback_query" in data:
                    data["callback_query"]["id"] = f"bench{self._update_id}"
                out.append((Update.de_json(data, app.bot), index))
        return out


# --------------------------------------------------------------------------- timing


@dataclass
class Run:
    """One timed pass over N users."""

    updates: int
    seconds: float  # sum of the time spent inside process_update
    wall: float  # the whole loop (includes the loop's own overhead)
    per_step: list[list[float]] = field(default_factory=list)  # durations by script index
    valid: bool = True
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.updates / self.seconds if self.seconds else 0.0


async def timed_loop(
    app: Application,
    updates: list[tuple[Update, int]],
    n_steps: int,
    before: Any = None,
) -> tuple[float, float, list[list[float]]]:
    """Feed the updates in order; ``before(index)`` (diagnostics only) runs outside the timing."""
    per_step: list[list[float]] = [[] for _ in range(n_steps)]
    clock = time.perf_counter
    process = app.process_update
    total = 0.0
    start = clock()
    for update, index in updates:
        if before is not None:
            before(index)
        t0 = clock()
        await process(update)
        dt = clock() - t0
        total += dt
        per_step[index].append(dt)
    wall = clock() - start
    return total, wall, per_step


def _user_ids(base: int, count: int) -> list[int]:
    return [base + i for i in range(count)]


# --------------------------------------------------------------------------- cxbot side


async def cxbot_run(
    script: Script,
    tmp: Path,
    users: int,
    run_no: int,
    profiler: cProfile.Profile | None = None,
    sql_counter: dict[int, int] | None = None,
) -> Run:
    """Fresh SQLite database, start-up and warm-up untimed, then N registrations timed."""
    url = f"sqlite+aiosqlite:///{tmp / f'cxbot-{run_no}.sqlite3'}"
    driver = await BotDriver.start(make_settings(url), clock=FixedClock(NOW))
    app, transport = driver.app, driver.transport
    feeder = Feeder(script)
    n_steps = len(script.steps)
    base = 1_000_000 + run_no * 100_000
    try:
        warm = feeder.build(app, _user_ids(base + 90_000, WARMUP_USERS))
        for update, _ in warm:
            await app.process_update(update)

        ids = _user_ids(base, users)
        updates = feeder.build(app, ids)
        calls_before = len(transport.calls)

        engine = services_of(app).db.engine.sync_engine
        current = {"step": -1}
        before = None
        if sql_counter is not None:  # diagnostics pass: SQL statements per script step

            def count(*_args: Any, **_kwargs: Any) -> None:
                sql_counter[current["step"]] += 1

            def before(index: int) -> None:
                current["step"] = index

            event.listen(engine, "before_cursor_execute", count)

        gc.collect()
        if profiler is not None:
            profiler.enable()
        seconds, wall, per_step = await timed_loop(app, updates, n_steps, before)
        if profiler is not None:
            profiler.disable()
        if sql_counter is not None:
            event.remove(engine, "before_cursor_execute", count)

        run = Run(len(updates), seconds, wall, per_step)
        # ---- check (untimed) that every user really registered
        calls = len(transport.calls) - calls_before
        expected = users * script.api_calls_per_user
        if calls != expected:
            run.problems.append(f"{calls} Bot API calls, expected {expected}")
        errors = [c for c in transport.calls[calls_before:] if c.error]
        if errors:
            run.problems.append(f"{len(errors)} failed Bot API calls ({errors[0].error})")
        async with services_of(app).db.session() as session:
            done = (
                await session.execute(
                    text(
                        "SELECT COUNT(*) FROM profile JOIN user ON user.id = profile.user_id "
                        "WHERE profile.completed_at IS NOT NULL AND user.state = 'idle' "
                        "AND user.id BETWEEN :lo AND :hi"
                    ),
                    {"lo": ids[0], "hi": ids[-1]},
                )
            ).scalar_one()
        if done != users:
            run.problems.append(f"{done} of {users} users completed the registration")
        run.valid = not run.problems
        return run
    finally:
        await driver.stop()


# --------------------------------------------------------------------------- echo side


async def echo_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.message.reply_text(update.message.text)


async def echo_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await update.callback_query.answer()


def build_echo() -> tuple[Application, OfflineRequest]:
    transport = OfflineRequest()
    app = (
        ApplicationBuilder()
        .token(ECHO_TOKEN)
        .request(transport)
        .get_updates_request(transport)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo_text))
    app.add_handler(CallbackQueryHandler(echo_button))
    return app, transport


async def echo_run(script: Script, users: int, run_no: int) -> Run:
    """The same updates (texts, commands, button presses) through a bare echo bot."""
    app, transport = build_echo()
    await app.initialize()
    feeder = Feeder(script)
    base = 1_000_000 + run_no * 100_000
    try:
        for update, _ in feeder.build(app, _user_ids(base + 90_000, WARMUP_USERS)):
            await app.process_update(update)
        updates = feeder.build(app, _user_ids(base, users))
        calls_before = len(transport.calls)
        gc.collect()
        seconds, wall, per_step = await timed_loop(app, updates, len(script.steps))
        run = Run(len(updates), seconds, wall, per_step)
        calls = len(transport.calls) - calls_before
        if calls != len(updates):  # one sendMessage or answerCallbackQuery each
            run.problems.append(f"{calls} Bot API calls, expected {len(updates)}")
        run.valid = not run.problems
        return run
    finally:
        await app.shutdown()


# --------------------------------------------------------------------------- reporting


def _mean_us(values: list[float]) -> float:
    return statistics.fmean(values) * 1e6 if values else 0.0


def per_kind(script: Script, runs: list[Run]) -> dict[str, dict[str, float]]:
    pooled: dict[str, list[float]] = defaultdict(list)
    for run in runs:
        for index, durations in enumerate(run.per_step):
            pooled[script.steps[index].kind].extend(durations)
    total = sum(sum(v) for v in pooled.values()) or 1.0
    return {
        kind: {
            "count_per_user": sum(1 for s in script.steps if s.kind == kind),
            "mean_us": round(_mean_us(values), 1),
            "median_us": round(statistics.median(values) * 1e6, 1) if values else 0.0,
            "share_of_time": round(sum(values) / total, 3),
        }
        for kind, values in sorted(pooled.items())
    }


def per_step(
    script: Script, cx_runs: list[Run], echo_runs: list[Run], sql: dict[int, int] | None, users: int
) -> list[dict[str, Any]]:
    out = []
    for index, step in enumerate(script.steps):
        cx = [d for run in cx_runs for d in run.per_step[index]]
        echo = [d for run in echo_runs for d in run.per_step[index]]
        row: dict[str, Any] = {
            "step": index + 1,
            "label": step.label,
            "cxbot_mean_us": round(_mean_us(cx), 1),
            "echo_mean_us": round(_mean_us(echo), 1),
        }
        if sql is not None:
            row["sql_statements"] = round(sql.get(index, 0) / users, 2)
        out.append(row)
    return out


def summarise(runs: list[Run]) -> dict[str, Any]:
    rates = [r.rate for r in runs]
    med = statistics.median(rates)
    return {
        "updates": runs[0].updates,
        "seconds_median": round(statistics.median(r.seconds for r in runs), 4),
        "updates_per_s_median": round(med, 1),
        "updates_per_s_runs": [round(x, 1) for x in rates],
        "wall_seconds_runs": [round(r.wall, 4) for r in runs],
        "valid": all(r.valid for r in runs),
        "problems": sorted({p for r in runs for p in r.problems}),
    }


def environment() -> dict[str, Any]:
    import aiosqlite
    import sqlalchemy

    return {
        "date": NOW.date().isoformat(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "cpus": __import__("os").cpu_count(),
        "python_telegram_bot": telegram.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "aiosqlite": aiosqlite.__version__,
        "sqlite": sqlite3.sqlite_version,
    }


def print_table(result: dict[str, Any], show_steps: bool) -> None:
    cx, echo = result["cxbot"], result["echo"]
    env = result["environment"]
    print(
        f"cxbot pipeline benchmark - {result['users']} users x {result['updates_per_user']} "
        f"updates, median of {result['repeat']} run(s)"
    )
    print(
        f"Python {env['python']}, PTB {env['python_telegram_bot']}, "
        f"SQLAlchemy {env['sqlalchemy']}, SQLite {env['sqlite']}, {env['cpus']} CPUs"
    )
    print()
    print(f"{'':<8}{'updates':>9}{'seconds':>10}{'updates/s':>12}   runs (updates/s)")
    for name, side in (("cxbot", cx), ("echo", echo)):
        runs = ", ".join(f"{x:.0f}" for x in side["updates_per_s_runs"])
        print(
            f"{name:<8}{side['updates']:>9}{side['seconds_median']:>10.3f}"
            f"{side['updates_per_s_median']:>12.1f}   {runs}"
        )
    print(f"ratio cxbot/echo: {result['ratio']:.3f} (target >= {TARGET_RATIO})")
    print()
    print("per update kind (mean / median us per update, share of the time):")
    for name, side in (("cxbot", cx), ("echo", echo)):
        for kind, row in side["per_kind"].items():
            print(
                f"  {name:<6}{kind:<8}{row['count_per_user']:>3}/user  "
                f"{row['mean_us']:>9.1f} / {row['median_us']:>9.1f} us  "
                f"{row['share_of_time'] * 100:5.1f}%"
            )
    if show_steps:
        print()
        has_sql = "sql_statements" in result["per_step"][0]
        head = f"  {'#':>2}  {'update':<28}{'cxbot us':>10}{'echo us':>9}"
        print("per registration step (mean):")
        print(head + ("   SQL/update" if has_sql else ""))
        for row in result["per_step"]:
            line = (
                f"  {row['step']:>2}  {row['label']:<28}{row['cxbot_mean_us']:>10.1f}"
                f"{row['echo_mean_us']:>9.1f}"
            )
            if has_sql:
                line += f"   {row['sql_statements']:>10.2f}"
            print(line)
    for name, side in (("cxbot", cx), ("echo", echo)):
        if not side["valid"]:
            print(f"WARNING: {name} runs invalid: {'; '.join(side['problems'])}")


# --------------------------------------------------------------------------- main


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="cxbot-bench-") as tmpdir:
        tmp = Path(tmpdir)
        script = await record_script(tmp)
        cx_runs: list[Run] = []
        echo_runs: list[Run] = []
        for run_no in range(args.repeat):
            cx_runs.append(await cxbot_run(script, tmp, args.users, run_no))
            echo_runs.append(await echo_run(script, args.users, run_no))

        sql_counts: dict[int, int] | None = None
        profile_text = None
        if args.profile:
            profiler = cProfile.Profile()
            sql_counts = defaultdict(int)
            await cxbot_run(script, tmp, args.users, args.repeat, profiler, sql_counts)
            if args.profile_out:
                profiler.dump_stats(args.profile_out)
            buf = io.StringIO()
            stats = pstats.Stats(profiler, stream=buf)
            stats.strip_dirs().sort_stats(args.profile_sort).print_stats(25)
            profile_text = buf.getvalue()

    cx, echo = summarise(cx_runs), summarise(echo_runs)
    cx["per_kind"] = per_kind(script, cx_runs)
    echo["per_kind"] = per_kind(script, echo_runs)
    ratio = cx["updates_per_s_median"] / echo["updates_per_s_median"]
    result: dict[str, Any] = {
        "users": args.users,
        "repeat": args.repeat,
        "warmup_users": WARMUP_USERS,
        "updates_per_user": len(script.steps),
        "bot_api_calls_per_user": script.api_calls_per_user,
        "cxbot": cx,
        "echo": echo,
        "ratio": round(ratio, 4),
        "target_ratio": TARGET_RATIO,
        "target_met": ratio >= TARGET_RATIO,
        "per_step": per_step(script, cx_runs, echo_runs, sql_counts, args.users),
        "environment": environment(),
    }
    if sql_counts is not None:
        result["sql_statements_per_user"] = round(sum(sql_counts.values()) / args.users, 2)
    result["_profile_text"] = profile_text
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=200, help="users per timed run (200)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per side (3)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--steps", action="store_true", help="per-step breakdown")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="one extra, untimed cxbot pass under cProfile (top 25) with SQL statement counts",
    )
    parser.add_argument(
        "--profile-sort",
        default="cumulative",
        choices=("cumulative", "tottime", "ncalls"),
        help="sort key for --profile (cumulative)",
    )
    parser.add_argument("--profile-out", help="also write the raw cProfile stats here")
    args = parser.parse_args(argv)
    if args.users < 1 or args.repeat < 1:
        parser.error("--users and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = asyncio.run(main_async(args))
    profile_text = result.pop("_profile_text")
    verdict = "TARGET MET" if result["target_met"] else "TARGET MISSED"
    if args.json:
        print(json.dumps(result, indent=2))
        if profile_text:
            print(profile_text, file=sys.stderr)
        print(verdict, file=sys.stderr)
    else:
        print_table(result, args.steps or args.profile)
        if profile_text:
            print()
            print(
                f"cProfile of one cxbot pass ({result['users']} users), top 25 by "
                f"{args.profile_sort}:"
            )
            print(profile_text)
        print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
