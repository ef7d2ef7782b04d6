"""``cxbot shell``: chat with the real bot in the terminal through the offline transport."""

from __future__ import annotations

import asyncio
import sys

from bot.config import Settings
from bot.transport.console import render_exchange
from bot.transport.driver import BotDriver, Exchange
from bot.transport.updates import FakeUser

HELP = """Type messages and commands as in Telegram (/start, /help, ...).
  #N          press button N of the last message with buttons
  :sticker    send a sticker (also :photo, :voice, :document, :location)
  :lang CODE  change your Telegram language (en, de, de-AT, ...)
  :quit       leave (Ctrl-D too)"""


async def run_shell(settings: Settings, user_id: int, name: str, lang: str) -> int:
    """Interactive loop; returns the exit code."""
    ansi = sys.stdout.isatty()
    driver = await BotDriver.start(settings)
    user = FakeUser(id=user_id, first_name=name, username=name.lower(), language_code=lang)
    buttons: list[tuple[int, str]] = []
    print(f"cxbot shell, database {settings.database_url}\n{HELP}\n")
    try:
        while True:
            try:
                line = await asyncio.to_thread(input, f"{name}> ")
            except EOFError:
                print()
                break
            line = line.strip()
            if not line:
                continue
            result: Exchange | None = None
            if line in (":quit", ":q", ":exit"):
                break
            if line.startswith("#") and line[1:].isdigit():
                index = int(line[1:]) - 1
                if not 0 <= index < len(buttons):
                    print("   (no such button)")
                    continue
                message_id, data = buttons[index]
                result = await driver.press_data(user, data, message_id)
            elif line.startswith(":lang "):
                user.language_code = line.split(maxsplit=1)[1]
                print(f"   (Telegram language is now {user.language_code})")
                continue
            elif line[1:] in ("sticker", "photo", "voice", "document", "location", "contact"):
                result = await driver.process(user, getattr(driver.updates, line[1:])(user))
            elif line.startswith(":"):
                print(HELP)
                continue
            else:
                result = await driver.send(user, line)
            text, new_buttons = render_exchange(result, ansi=ansi)
            if new_buttons:
                buttons = new_buttons
            if text:
                print(text)
    finally:
        await driver.stop()
    return 0
