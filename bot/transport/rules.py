"""What the Bot API refuses, as the offline transport checks it: the limits on texts,
captions and button data, the parse modes (``telegram_html``, ``telegram_markdown``), and
Telegram's error descriptions."""

from __future__ import annotations

import json
from typing import Any

from bot.transport import telegram_html, telegram_markdown

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64

ERR_BLOCKED = "Forbidden: bot was blocked by the user"
ERR_CHAT_NOT_FOUND = "Bad Request: chat not found"
ERR_EDIT_NOT_FOUND = "Bad Request: message to edit not found"
ERR_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a content and reply markup of the current content of the message"
)
ERR_TEXT_EMPTY = "Bad Request: message text is empty"
ERR_TEXT_TOO_LONG = "Bad Request: message is too long"
ERR_CAPTION_TOO_LONG = "Bad Request: message caption is too long"
ERR_NO_TEXT = "Bad Request: there is no text in the message to edit"
ERR_NO_CAPTION = "Bad Request: there is no caption in the message to edit"
ERR_BUTTON_DATA = "Bad Request: BUTTON_DATA_INVALID"
ERR_ENTITIES = "Bad Request: can't parse entities: "
ERR_QUERY_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class ApiError(Exception):
    """A refusal, turned into an ``{"ok": false}`` response."""

    def __init__(self, code: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def normalize_chat_id(value: Any) -> int | str:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


def chats_named(params: dict[str, Any]) -> list[Any]:
    """The chats a call addresses (its ``chat_id``, ``from_chat_id``, a chat scope)."""
    named = [params[k] for k in ("chat_id", "from_chat_id") if params.get(k) is not None]
    scope = params.get("scope")
    if isinstance(scope, str):
        try:
            scope = json.loads(scope)
        except ValueError:
            scope = None
    if isinstance(scope, dict) and scope.get("chat_id") is not None:
        named.append(scope["chat_id"])
    return named


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def inline_markup(markup: Any) -> dict | None:
    if isinstance(markup, str):  # only if someone passed raw JSON through api_kwargs
        try:
            markup = json.loads(markup)
        except ValueError:
            return None
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None


def check_callback_data(markup: dict) -> None:
    for row in markup.get("inline_keyboard", ()):
        for button in row:
            data = button.get("callback_data")
            if data is not None and (
                not data or len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES
            ):
                raise ApiError(400, ERR_BUTTON_DATA)


def check_text(params: dict[str, Any], name: str, limit: int, error: str) -> str | None:
    text = params.get(name)
    if text is None:
        return None
    text = str(text)
    mode = str(params.get("parse_mode") or "").lower()
    visible = text
    parsers = {
        "html": telegram_html.parse,
        "markdownv2": telegram_markdown.parse_v2,
        "markdown": telegram_markdown.parse_legacy,
    }
    if mode in parsers:  # as Telegram: malformed markup is refused, not shown
        try:
            visible = parsers[mode](text)
        except (telegram_html.HtmlError, telegram_markdown.MarkdownError) as exc:
            raise ApiError(400, f"{ERR_ENTITIES}{exc}") from None
    if utf16_len(visible) > limit:
        raise ApiError(400, error)
    return text
