"""``cxbot`` command line: run, webhook, health, shell, demo, import, match, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys
from datetime import date
from typing import TYPE_CHECKING

from bot.config import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.matching.interchange import ReadResult

NO_TOKEN = (
    "cxbot: TELEGRAM_BOT_TOKEN is not set. Create a bot with @BotFather "
    "(https://t.me/BotFather), then `export TELEGRAM_BOT_TOKEN=<token>` or put it in .env.\n"
    "To try the bot without Telegram: `cxbot shell` (chat in the terminal) or `cxbot demo`."
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxbot", description="ClusterXchange matchmaking bot for Telegram."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="run the bot with long polling")
    hook = sub.add_parser("webhook", help="run the bot behind a webhook")
    hook.add_argument("--listen", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    hook.add_argument("--port", type=int, default=8443, help="port to bind (default 8443)")
    hook.add_argument("--url", required=True, help="public HTTPS URL Telegram posts updates to")
    hook.add_argument("--path", default="", help="URL path to serve (default: from --url)")
    sub.add_parser(
        "health", help="check the database, its migrations and Telegram (one line, exit 0 or 1)"
    )
    shell = sub.add_parser("shell", help="chat with the bot in the terminal, offline")
    shell.add_argument("--user-id", type=int, default=1, help="your fake Telegram user id")
    shell.add_argument("--name", default="You", help="your first name")
    shell.add_argument("--lang", default="en", help="your Telegram language code")
    demo = sub.add_parser("demo", help="play scripted personas through the bot, offline")
    demo.add_argument(
        "--database", help="database URL (default: a temporary SQLite file)", default=None
    )
    imp = sub.add_parser(
        "import", help="import registrations (CSV or JSON Lines) and print their invite links"
    )
    imp.add_argument("file", help="CSV or JSON Lines in the interchange format")
    match = sub.add_parser(
        "match", help="rank the best peers for every record of a profile file (no database)"
    )
    match.add_argument("file", help="CSV or JSON Lines in the interchange format")
    match.add_argument("--top", type=int, default=5, help="peers per record (default 5)")
    match.add_argument("--json", action="store_true", help="JSON Lines instead of a table")
    match.add_argument("--lang", choices=("en", "de"), default="en", help="language of the reasons")
    match.add_argument("--today", help="reference date YYYY-MM-DD (default: today)")
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations (also done at every start)")
    return parser


def _logging(settings: Settings, verbose: bool) -> None:
    from bot import logs

    logs.configure(verbose, level=settings.log_level, fmt=settings.log_format)


async def _database_ready(settings: Settings) -> None:
    """Wait for the database (``CXBOT_DB_WAIT`` seconds at most, one log line per attempt);
    ``DatabaseUnavailable`` when it does not come."""
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.wait_until_reachable(max_wait=settings.db_wait)
    finally:
        await db.dispose()


def _until_database_ready(settings: Settings) -> int:
    """``_database_ready`` on a loop of its own: 0, or 1 after printing why not."""
    from storage.db import DatabaseUnavailable

    try:
        asyncio.run(_database_ready(settings))
    except DatabaseUnavailable as exc:
        print(f"cxbot: {exc}", file=sys.stderr)
        return 1
    return 0


def _run(settings: Settings) -> int:
    from bot.app import build_application
    from bot.handlers import ALLOWED_UPDATES

    if not settings.telegram_bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if _until_database_ready(settings):
        return 1
    app = build_application(settings)
    logging.getLogger(__name__).info("starting: long polling")
    app.run_polling(allowed_updates=list(ALLOWED_UPDATES))
    return 0


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    from urllib.parse import urlparse

    from bot import webhook
    from bot.app import build_application
    from bot.handlers import ALLOWED_UPDATES
    from storage.db import DatabaseUnavailable

    if not settings.telegram_bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if not args.url.startswith("https://"):
        print("cxbot: --url must be an https:// URL (Telegram requires it)", file=sys.stderr)
        return 2
    # Telegram sends this secret in a header with every update; bot/webhook.py refuses
    # requests without it, and bodies over CXBOT_WEBHOOK_MAX_BODY, before reading them.
    secret = settings.webhook_secret or secrets.token_urlsafe(32)

    async def serve() -> None:
        await _database_ready(settings)
        await webhook.serve(
            build_application(settings),
            url=args.url,
            listen=args.listen,
            port=args.port,
            path=args.path or urlparse(args.url).path,
            secret=secret,
            max_body=settings.webhook_max_body,
            allowed_updates=ALLOWED_UPDATES,
            metrics_on=settings.metrics,
            metrics_token=(
                settings.metrics_token.get_secret_value() if settings.metrics_token else None
            ),
        )

    try:
        asyncio.run(serve())
    except DatabaseUnavailable as exc:
        print(f"cxbot: {exc}", file=sys.stderr)
        return 1
    return 0


async def _health(settings: Settings) -> int:
    """Print the one line of ``bot.health.check``; its exit code."""
    from bot.health import check

    result = await check(settings)
    print(result.line)
    return result.exit_code


async def _upgrade(settings: Settings) -> int:
    from storage.db import Database, DatabaseUnavailable

    db = Database(settings.database_url)
    try:
        await db.wait_until_reachable(max_wait=settings.db_wait)
        await db.upgrade()
    except DatabaseUnavailable as exc:
        print(f"cxbot: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"database is up to date: {settings.database_url}")
    return 0


def _match(settings: Settings, args: argparse.Namespace) -> int:
    """Rank peers for every record of a file and print them; problems go to stderr."""
    import json
    from pathlib import Path

    from bot.matching.engine import MatchIndex
    from bot.matching.explain import explain
    from bot.matching.interchange import read_profiles
    from bot.matching.vocabulary import Vocabulary

    try:
        text = Path(args.file).read_text(encoding="utf-8")
        today = date.fromisoformat(args.today) if args.today else _today(settings)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        print(f"cxbot: cannot read {args.file}: {exc}", file=sys.stderr)
        return 2
    if args.top < 1:
        print("cxbot: --top must be at least 1", file=sys.stderr)
        return 2
    result = read_profiles(text, settings.eligible_countries)
    _report_lines(args.file, result)
    vocabulary = Vocabulary.load()
    index = MatchIndex([r.participant() for r in result.records], vocabulary, today=today)
    names = {r.id: r for r in result.records}
    for record in result.records:
        proposals = index.propose(record.id, args.top)
        if args.json:
            matches = [
                {"id": p.key, "score": p.score, "why": explain(p.reasons, vocabulary, args.lang)}
                for p in proposals
            ]
            print(json.dumps({"id": record.id, "matches": matches}, ensure_ascii=False))
            continue
        print(f"{record.id}  {record.organisation} ({record.country}, {record.role})")
        if not proposals:
            print(f"    no admissible peer: {index.why_none(record.id)}")
        for p in proposals:
            peer = names[p.key]
            why = "; ".join(explain(p.reasons, vocabulary, args.lang)[:2])
            print(f"    {p.score:5.1f}  {p.key}  {peer.organisation} ({peer.country})  {why}")
    return 0 if result.records else 1


async def _import(settings: Settings, path: str) -> int:
    """Validate, upsert by id, report problems with line numbers, print invite links."""
    from pathlib import Path

    from bot.clock import Clock
    from bot.matching.interchange import read_profiles
    from bot.services.imports.service import import_records
    from bot.services.languages import LanguageCache
    from bot.services.unit import Units
    from storage.db import Database

    try:
        text = await asyncio.to_thread(Path(path).read_text, encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"cxbot: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    result = read_profiles(text, settings.eligible_countries)
    _report_lines(path, result)
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        async with Units(db, Clock(settings.tz), LanguageCache()).job() as unit:
            report = await import_records(unit, result.records)
    finally:
        await db.dispose()
    base = f"https://t.me/{settings.bot_username}?start=" if settings.bot_username else "/start "
    for external_id, payload in report.invites.items():
        print(f"{external_id}\t{base}{payload}")
    print(
        f"{report.created} new, {report.updated} updated ({report.claimed} already claimed), "
        f"{len(result.problems)} rejected, {len(result.warnings)} warnings",
        file=sys.stderr,
    )
    return 0 if result.records or not result.problems else 1


def _report_lines(path: str, result: ReadResult) -> None:
    """Refused records and warnings about kept ones, by line, on stderr."""
    lines = [(p.line, 0, p.reason) for p in result.problems]
    lines += [(w.line, 1, "warning: " + w.reason) for w in result.warnings]
    for line, _kind, text in sorted(lines):
        print(f"{path}:{line}: {text}", file=sys.stderr)


def _today(settings: Settings) -> date:
    """Today in the configured time zone."""
    from bot.clock import Clock

    return Clock(settings.tz).today()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``cxbot`` console script."""
    args = _parser().parse_args(argv)
    try:
        overrides = {}
        if args.command == "demo" and args.database:
            overrides["database_url"] = args.database
        settings = load_settings(**overrides)
    except SettingsError as exc:
        print(f"cxbot: {exc}", file=sys.stderr)
        return 2
    if args.command == "run":
        _logging(settings, args.verbose)
        return _run(settings)
    if args.command == "webhook":
        _logging(settings, args.verbose)
        return _webhook(settings, args)
    if args.command == "health":
        logging.basicConfig(level=logging.CRITICAL)  # the one line is the whole output
        return asyncio.run(_health(settings))
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    if args.command == "match":
        return _match(settings, args)
    if args.command == "import":
        return asyncio.run(_import(settings, args.file))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
    if args.command == "shell":
        from bot.shell import run_shell

        return asyncio.run(run_shell(settings, args.user_id, args.name, args.lang))
    from bot.demo import play

    return asyncio.run(play(settings))


if __name__ == "__main__":
    raise SystemExit(main())
