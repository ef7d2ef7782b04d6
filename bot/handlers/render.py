"""Turn a service ``Outcome`` into Bot API calls: answer the button, edit, send, split."""

from __future__ import annotations

import logging
import re

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputFile,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.context import Context
from bot.ratelimit import retry_seconds
from bot.services.outbox import TryLater, Undeliverable
from bot.services.ui import Inline, Keyboard, Outcome, Reply

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
# A sentence's full stop right after a name that ends in one ("… Stuttgart e.V.."), not an
# ellipsis ("..."): the name's dot ends the sentence.
_DOUBLE_STOP = re.compile(r"(?<=[^\s.])\.(</b>|</i>)?\.(?=[\s<)\"“”»!?,;:]|$)")


def tidy(text: str) -> str:
    """One full stop where a name ending in a dot ("e.V.", "Co.") ends a sentence."""
    return _DOUBLE_STOP.sub(lambda m: "." + (m.group(1) or ""), text)


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split at line breaks into chunks Telegram accepts (never inside an HTML entity)."""
    text = tidy(text)
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


Shown = list[tuple[int, int, str]]  # cards sent: (chat, message, tag)


async def send_outcome(update: Update, context: Context, out: Outcome) -> Shown:
    """Carry out everything the service asked for, in order; the cards it sent."""
    shown: Shown = []
    if update.inline_query is not None:
        if out.inline is not None:
            await answer_inline(update, out.inline)
        return shown
    query = update.callback_query
    if query is not None:
        await query.answer(out.toast, show_alert=out.alert)
    chat = update.effective_chat
    if chat is None:
        return shown
    if query is None and out.toast and not out.replies:
        out.add(out.toast)  # a typed message has no button to show a toast on
    bot = context.bot
    pressed = query.message if query is not None else None
    for reply in out.replies:
        if reply.message_id is not None:
            if pressed is None or reply.message_id != pressed.message_id:
                await _replace(bot, chat.id, reply)
            continue
        if reply.document is not None:
            await _send_document(bot, chat.id, reply)
            continue
        if reply.markup_only and pressed is None:
            continue  # nothing to change without the pressed message
        if reply.edit and query is not None and pressed is not None:
            try:
                if reply.markup_only:
                    await query.edit_message_reply_markup(markup(reply.keyboard))
                else:
                    await query.edit_message_text(
                        split_text(reply.text)[0], reply_markup=markup(reply.keyboard)
                    )
                    if reply.tag:
                        shown.append((chat.id, pressed.message_id, reply.tag))
                continue
            except BadRequest as exc:
                if "not modified" in str(exc).lower():
                    continue
                log.info("could not edit message, sending a new one: %s", exc)
                if reply.markup_only:
                    continue
        sent = await _send_text(bot, chat.id, reply)
        if reply.tag and sent is not None:
            shown.append((chat.id, sent, reply.tag))
    return shown


INLINE_CACHE_SECONDS = 30  # results depend on who asks (is_personal) and change with profiles


async def answer_inline(update: Update, inline: Inline) -> None:
    """Answer an inline query with articles; each posts its text with a link button."""
    query = update.inline_query
    assert query is not None
    results = [
        InlineQueryResultArticle(
            article.id,
            article.title,
            InputTextMessageContent(
                article.text,
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            ),
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(article.link_label, url=article.link_url)]]
            )
            if article.link_url
            else None,
            description=article.description,
        )
        for article in inline.articles
    ]
    button = (
        InlineQueryResultsButton(inline.button, start_parameter=inline.start)
        if inline.button and inline.start
        else None
    )
    await query.answer(
        results,
        cache_time=INLINE_CACHE_SECONDS,
        is_personal=True,
        button=button,
        # None, not "", for the last page: with Defaults set, PTB 22's ExtBot turns a top-level
        # "" into [] (an empty sequence passes its check for poll options), which Telegram
        # would take for an offset "[]" and ask for again. Left out, the list simply ends.
        next_offset=inline.next_offset or None,
    )


async def _replace(bot: Bot, chat_id: int, reply: Reply) -> None:
    """Another copy of a card in the person's chat: its text and buttons replaced. A copy
    the person deleted, or that already reads so, needs nothing."""
    assert reply.message_id is not None
    try:
        await bot.edit_message_text(
            split_text(reply.text)[0],
            chat_id,
            reply.message_id,
            reply_markup=markup(reply.keyboard),
        )
    except BadRequest as exc:
        log.info("could not update another copy of a card: %s", exc)


async def send_reply(bot: Bot, chat_id: int, reply: Reply) -> int | None:
    """Deliver one outbox reply, translating Telegram's refusals into the outbox's terms;
    the id of the (last) message sent."""
    try:
        return await _send(bot, chat_id, reply)
    except Forbidden as exc:  # blocked, deactivated, kicked
        raise Undeliverable(exc.message, unreachable=True) from exc
    except BadRequest as exc:
        gone = any(
            phrase in exc.message.lower()
            for phrase in ("chat not found", "user is deactivated", "peer_id_invalid")
        )
        raise Undeliverable(exc.message, unreachable=gone) from exc
    except RetryAfter as exc:
        raise TryLater(exc.message, retry_seconds(exc)) from exc
    except TelegramError as exc:  # network, timeouts, Telegram's own trouble
        raise TryLater(exc.message) from exc


async def _send_document(bot: Bot, chat_id: int, reply: Reply) -> int:
    doc = reply.document
    assert doc is not None
    caption = split_text(doc.caption, 1024)[0] if doc.caption else None
    media = doc.file_id or InputFile(doc.content, filename=doc.filename)
    keyboard = markup(reply.keyboard)
    if doc.photo:
        sent = await bot.send_photo(chat_id, media, caption=caption, reply_markup=keyboard)
    else:
        sent = await bot.send_document(chat_id, media, caption=caption, reply_markup=keyboard)
    return sent.message_id


async def _send(bot: Bot, chat_id: int, reply: Reply) -> int | None:
    if reply.document is not None:
        return await _send_document(bot, chat_id, reply)
    return await _send_text(bot, chat_id, reply)


async def _send_text(bot: Bot, chat_id: int, reply: Reply) -> int | None:
    """Send the reply's text (in chunks when long), its buttons under the last chunk."""
    chunks = split_text(reply.text)
    last_id = None
    for i, chunk in enumerate(chunks):
        last = i == len(chunks) - 1
        sent = await bot.send_message(
            chat_id, chunk, reply_markup=markup(reply.keyboard) if last else None
        )
        last_id = sent.message_id
    return last_id
