"""Render what the bot shows as plain terminal text (shell and demo)."""

from __future__ import annotations

import html
import re

from bot.transport.driver import Exchange
from bot.transport.offline import ChatMessage

_TAG = re.compile(r"</?(b|i|u|s|code|pre|a)(\s[^>]*)?>")


def plain(text: str, *, ansi: bool = False) -> str:
    """HTML message text as terminal text (bold/italic as ANSI when wanted)."""
    if ansi:
        text = re.sub(r"<b>(.*?)</b>", "\x1b[1m\\1\x1b[0m", text, flags=re.S)
        text = re.sub(r"<i>(.*?)</i>", "\x1b[3m\\1\x1b[0m", text, flags=re.S)
    return html.unescape(_TAG.sub("", text))


def indent(text: str, prefix: str) -> str:
    """Prefix the first line, align the rest."""
    pad = " " * len(prefix)
    lines = text.split("\n")
    return "\n".join([prefix + lines[0], *(pad + line for line in lines[1:])])


def render_message(message: ChatMessage, *, ansi: bool = False, numbered: int = 0) -> str:
    """One bot message with its buttons numbered from ``numbered + 1``."""
    if message.document is not None:
        body = f"📎 {message.document.filename} ({len(message.document.content)} bytes)"
        if message.caption:
            body += "\n" + plain(message.caption, ansi=ansi)
    else:
        body = plain(message.text or message.caption or "", ansi=ansi)
    out = indent(body, "🤖 ")
    n = numbered
    for row in message.buttons():
        labels = []
        for label, _data in row:
            n += 1
            labels.append(f"[{n}] {label}")
        out += "\n   " + "  ".join(labels)
    return out


def render_others(result: Exchange, names: dict[int, str], *, ansi: bool = False) -> str:
    """Messages the update caused in other people's chats."""
    parts = []
    for chat_id, messages in result.others.items():
        who = names.get(chat_id, str(chat_id))
        for message in messages:
            parts.append(indent(render_message(message, ansi=ansi), f"   📨 to {who}: "))
    return "\n".join(parts)


def render_exchange(result: Exchange, *, ansi: bool = False) -> tuple[str, list[tuple[int, str]]]:
    """Everything one update produced, and the numbered buttons ``(message_id, data)``."""
    parts: list[str] = []
    buttons: list[tuple[int, str]] = []
    live = [m for m in result.edited if m.reply_markup]  # a keyboard that changed in place
    for message in result.edited:
        if not message.reply_markup and message.text:
            parts.append(indent(plain(message.text, ansi=ansi), "   ✎ "))
    for toast in result.toasts:
        parts.append(f"   💬 {toast}")
    for message in [*live, *result.sent]:
        parts.append(render_message(message, ansi=ansi, numbered=len(buttons)))
        buttons += [(message.message_id, data) for row in message.buttons() for _l, data in row]
    return "\n".join(parts), buttons
