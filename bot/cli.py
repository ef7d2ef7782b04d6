"""``cxbot`` command line: run, webhook, shell, demo, db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import sys

from bot.config import Settings, SettingsError, load_settings

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
    shell = sub.add_parser("shell", help="chat with the bot in the terminal, offline")
    shell.add_argument("--user-id", type=int, default=1, help="your fake Telegram user id")
    shell.add_argument("--name", default="You", help="your first name")
    shell.add_argument("--lang", default="en", help="your Telegram language code")
    demo = sub.add_parser("demo", help="play scripted personas through the bot, offline")
    demo.add_argument(
        "--database", help="database URL (default: a temporary SQLite file)", default=None
    )
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations (also done at every start)")
    return parser


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _run(settings: Settings) -> int:
    from telegram import Update

    from bot.app import build_application

    if not settings.telegram_bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    from urllib.parse import urlparse

    from telegram import Update

    from bot.app import build_application

    if not settings.telegram_bot_token:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    if not args.url.startswith("https://"):
        print("cxbot: --url must be an https:// URL (Telegram requires it)", file=sys.stderr)
        return 2
    # Telegram sends this secret in a header with every update; PTB rejects requests without it.
    secret = settings.webhook_secret or secrets.token_urlsafe(32)
    path = args.path or urlparse(args.url).path.lstrip("/")
    app = build_application(settings)
    app.run_webhook(
        listen=args.listen,
        port=args.port,
        url_path=path,
        webhook_url=args.url,
        secret_token=secret,
        allowed_updates=Update.ALL_TYPES,
    )
    return 0


async def _upgrade(settings: Settings) -> int:
    from storage.db import Database

    db = Database(settings.database_url)
    try:
        await db.upgrade()
    finally:
        await db.dispose()
    print(f"database is up to date: {settings.database_url}")
    return 0


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
        _logging(args.verbose)
        return _run(settings)
    if args.command == "webhook":
        _logging(args.verbose)
        return _webhook(settings, args)
    if args.command == "db":
        return asyncio.run(_upgrade(settings))
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.ERROR)
    if args.command == "shell":
        from bot.shell import run_shell

        return asyncio.run(run_shell(settings, args.user_id, args.name, args.lang))
    from bot.demo import play

    return asyncio.run(play(settings))


if __name__ == "__main__":
    raise SystemExit(main())
