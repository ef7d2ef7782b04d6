"""Turn a service ``Outcome`` into Bot API calls: answer the button, edit, send, split."""

from __future__ import annotations

import logging
import re

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.context import Context
from bot.services.outbox import TryLater, Undeliverable
from bot.services.ui import Keyboard, Outcome, Reply

log = logging.getLogger(__name__)
MAX_TEXT = 4096


def markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    """Inline keyboard for a service keyboard."""
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in keyboard]
    )


_ENTITY_TAIL = re.compile(r"&[#\w]{0,8}$")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at line breaks into chunks Telegram accepts (never inside an HTML entity)."""
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            cut = limit
            tail = _ENTITY_TAIL.search(line[:cut])
            if tail:
                cut = tail.start()
            if current:
                chunks.append(current)
                current = ""
            chunks.append(line[:cut])
            line = line[cut:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


async def send_outcome(update: Update, context: Context, out: Outcome) -> None:
    """Carry out everything the service asked for, in order."""
    query = update.callback_query
    if query is not None:
        await query.answer(out.toast, show_alert=out.alert)
    chat = update.effective_chat
    if chat is None:
        return
    if query is None and out.toast and not out.replies:
        out.add(out.toast)  # a typed message has no button to show a toast on
    bot = context.bot
    for reply in out.replies:
        if reply.document is not None:
            await _send_document(bot, chat.id, reply)
            continue
        if reply.markup_only and (query is None or query.message is None):
            continue  # nothing to change without the pressed message
        if reply.edit and query is not None and query.message is not None:
            try:
                if reply.markup_only:
                    await query.edit_message_reply_markup(markup(reply.keyboard))
                else:
                    await query.edit_message_text(
                        split_text(reply.text)[0], reply_markup=markup(reply.keyboard)
                    )
                continue
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    continue
                log.info("could not edit message, sending a new one: %s", exc)
                if reply.markup_only:
                    continue
        chunks = split_text(reply.text)
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            await bot.send_message(
                chat.id, chunk, reply_markup=markup(reply.keyboard) if last else None
            )


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> None:
    """Deliver one outbox reply, translating Telegram's refusals into the outbox's terms."""
    try:
        await _send(bot, chat_id, reply)
    except Forbidden as exc:  # blocked, deactivated, kicked
        raise Undeliverable(exc.message, unreachable=True) from exc
    except BadRequest as exc:
        gone = any(
            phrase in exc.message.lower()
            for phrase in ("chat not found", "user is deactivated", "peer_id_invalid")
        )
        raise Undeliverable(exc.message, unreachable=gone) from exc
    except RetryAfter as exc:
        raise TryLater(exc.message, seconds(exc.retry_after)) from exc
    except TelegramError as exc:  # network, timeouts, Telegram's own trouble
        raise TryLater(exc.message) from exc


def seconds(value: object) -> float:
    """A ``retry_after`` as seconds (PTB gives an int or a timedelta)."""
    if hasattr(value, "total_seconds"):
        return value.total_seconds()  # type: ignore[union-attr, no-any-return]
    return float(value)  # type: ignore[arg-type]


async def _send_document(bot: Bot, chat_id: int, reply: Reply) -> None:
    doc = reply.document
    assert doc is not None
    caption = split_text(doc.caption, 1024)[0] if doc.caption else None
    media = doc.file_id or InputFile(doc.content, filename=doc.filename)
    keyboard = markup(reply.keyboard)
    if doc.photo:
        await bot.send_photo(chat_id, media, caption=caption, reply_markup=keyboard)
    else:
        await bot.send_document(chat_id, media, caption=caption, reply_markup=keyboard)


async def _send(bot: Bot, chat_id: int, reply: Reply) -> None:
    if reply.document is not None:
        await _send_document(bot, chat_id, reply)
        return
    chunks = split_text(reply.text)
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        await bot.send_message(
            chat_id, chunk, reply_markup=markup(reply.keyboard) if last else None
        )
