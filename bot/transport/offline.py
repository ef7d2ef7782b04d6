"""An offline Bot API: a :class:`telegram.request.BaseRequest` answering calls locally.

``OfflineRequest`` lets the real :class:`telegram.Bot` / :class:`telegram.ext.Application` run
without any network (tests, the interactive shell, the scripted demo, benchmarks). It records
every call, keeps the bot's view of the messages it sent (including edits and deletions) and
mimics the Bot API errors the bot has to cope with (flood control, blocked users, "message is
not modified", a second answer to one callback query, callback data over 64 bytes, markup
Telegram cannot parse in HTML, MarkdownV2 or Markdown, "chat not found" for a chat that never
wrote to the bot, ...).

Notes on PTB internals relied upon:

* ``Bot._post`` builds a :class:`telegram.request.RequestData`; ``request_data.parameters``
  already holds JSON-compatible Python values (TelegramObjects went through ``to_dict()``,
  datetimes became timestamps), so no JSON decoding is necessary.
* Uploaded files are *not* in ``parameters``: a plain upload (``send_document(doc=bytes)``) has
  value ``None`` and is only visible in ``request_data.multipart_data`` under the parameter name
  as a ``(filename, content, mimetype)`` tuple. Files inside media groups etc. are referenced by
  an ``attach://<name>`` string in the parameters and stored in ``multipart_data`` under
  ``<name>``.
* ``BaseRequest.post`` maps the HTTP status to exceptions itself: ``parameters.retry_after`` ->
  ``RetryAfter`` (checked before the status), 403 -> ``Forbidden``, 400 -> ``BadRequest``,
  others -> ``NetworkError``. ``TelegramError`` raised in ``do_request`` passes through as is.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.transport.rules import (
    ERR_BLOCKED,
    ERR_CAPTION_TOO_LONG,
    ERR_CHAT_NOT_FOUND,
    ERR_EDIT_NOT_FOUND,
    ERR_NO_CAPTION,
    ERR_NO_TEXT,
    ERR_NOT_MODIFIED,
    ERR_QUERY_INVALID,
    ERR_TEXT_EMPTY,
    ERR_TEXT_TOO_LONG,
    MAX_CAPTION_LENGTH,
    MAX_TEXT_LENGTH,
    ApiError,
    chats_named,
    check_callback_data,
    check_text,
    inline_markup,
    normalize_chat_id,
)

__all__ = [
    "DEFAULT_BOT_USER",
    "ApiCall",
    "ChatMessage",
    "OfflineRequest",
    "UploadedFile",
]

DEFAULT_BOT_USER: dict[str, Any] = {
    "id": 1000001,
    "is_bot": True,
    "first_name": "ClusterXchange",
    "username": "cxbot_offline_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}

_TRUE_RESPONSE = b'{"ok":true,"result":true}'
_FILE_URL_MARKER = "/offline-files/"

# send* methods whose media is a file-like parameter of the same name
_FILE_KINDS = {
    "senddocument": "document",
    "sendphoto": "photo",
    "sendsticker": "sticker",
    "sendvoice": "voice",
    "sendaudio": "audio",
    "sendvideo": "video",
    "sendanimation": "animation",
    "sendvideonote": "video_note",
}


@dataclass
class UploadedFile:
    """A file the bot uploaded (or referenced by file_id / URL, then ``content`` is empty)."""

    filename: str
    mimetype: str
    content: bytes


@dataclass
class ApiCall:
    """One recorded Bot API call.

    ``params`` are the decoded parameters; uploaded files appear as :class:`UploadedFile`
    values. ``error`` is the Bot API error description when the call failed (``None`` on
    success), so failed attempts (e.g. before a retry) are visible too.
    """

    method: str
    params: dict[str, Any]
    error: str | None = None


@dataclass
class ChatMessage:
    """The bot's current view of a message it sent (after edits)."""

    message_id: int
    chat_id: int
    text: str | None
    caption: str | None
    reply_markup: dict | None  # inline keyboard as Bot API JSON, None when removed
    document: UploadedFile | None
    photo: UploadedFile | None
    edited: bool = False
    deleted: bool = False
    _raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def buttons(self) -> list[list[tuple[str, str]]]:
        """Rows of ``(text, callback_data or url)`` of the inline keyboard (``[]`` if none)."""
        if not self.reply_markup:
            return []
        rows = []
        for row in self.reply_markup.get("inline_keyboard", ()):
            out = []
            for button in row:
                value = button.get("callback_data")
                if value is None:
                    value = button.get("url")
                if value is None:
                    value = ""
                out.append((button.get("text", ""), value))
            rows.append(out)
        return rows

    def button_texts(self) -> list[str]:
        """All button labels, flattened."""
        return [text for row in self.buttons() for text, _ in row]


@dataclass
class _Failure:
    kind: str
    retry_after: int
    description: str | None
    chat_id: int | str | None


class OfflineRequest(BaseRequest):
    """Answers Bot API requests locally. See the module docstring."""

    __slots__ = (
        "_answered",
        "_blocked",
        "_chats",
        "_commands",
        "_failures",
        "_file_counter",
        "_files",
        "_met",
        "_next_message_id",
        "_pending_updates",
        "bot_user",
        "calls",
        "on_call",
    )

    def __init__(self, bot_user: dict | None = None) -> None:
        self.bot_user: dict[str, Any] = dict(bot_user) if bot_user else dict(DEFAULT_BOT_USER)
        self.calls: list[ApiCall] = []
        self.on_call: Callable[[ApiCall], None] | None = None
        self._chats: dict[int | str, dict[int, ChatMessage]] = {}
        self._next_message_id: dict[int | str, int] = {}
        self._blocked: set[int | str] = set()
        self._failures: dict[str, list[_Failure]] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._files: dict[str, UploadedFile] = {}
        self._file_counter = itertools.count(1)
        self._pending_updates: list[dict[str, Any]] = []
        self._answered: set[str] = set()  # callback queries answered (once only, as Telegram)
        self._met: set[int | str] = set()  # chats that wrote to the bot: the only ones it reaches

    # ------------------------------------------------------------------ BaseRequest API
    @property
    def read_timeout(self) -> float:
        return 5.0

    @property
    def default_read_timeout(self) -> float:
        return self.read_timeout

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if method == "GET":  # file download via Bot.get_file(...).download_*
            return 200, self._download(url)

        api_method = url[url.rfind("/") + 1 :]
        key = api_method.lower()
        params = self._decode(request_data)

        if key == "getupdates":
            # Not recorded (it would flood `calls` while polling). As Telegram does, an offset
            # confirms every update below it; the others are handed over again until then.
            offset = int(params.get("offset") or 0)
            self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
            if self._pending_updates:
                return 200, json.dumps({"ok": True, "result": self._pending_updates}).encode()
            timeout = params.get("timeout") or 0
            if timeout:
                await asyncio.sleep(min(float(timeout), 0.5))
            return 200, b'{"ok":true,"result":[]}'

        call = ApiCall(api_method, params)
        self.calls.append(call)
        try:
            failure = self._pop_failure(key, params)
            if failure is not None:
                self._raise_failure(failure)
            result = self._dispatch(key, params)
        except ApiError as exc:
            call.error = exc.description
            self._notify(call)
            payload: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                payload["parameters"] = exc.parameters
            return exc.code, json.dumps(payload).encode()
        except NetworkError as exc:
            call.error = exc.message
            self._notify(call)
            raise
        self._notify(call)
        if result is True:
            return 200, _TRUE_RESPONSE
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # ------------------------------------------------------------------ public helpers
    def calls_to(self, method: str) -> list[ApiCall]:
        wanted = method.lower()
        return [call for call in self.calls if call.method.lower() == wanted]

    def chat_ids(self) -> list[int | str]:
        """Every chat the bot has sent a message to."""
        return list(self._chats)

    def messages(self, chat_id: int) -> list[ChatMessage]:
        chat = self._chats.get(normalize_chat_id(chat_id))
        if not chat:
            return []
        return [msg for msg in chat.values() if not msg.deleted]

    def last_message(self, chat_id: int) -> ChatMessage | None:
        chat = self._chats.get(normalize_chat_id(chat_id))
        if not chat:
            return None
        for msg in reversed(chat.values()):
            if not msg.deleted:
                return msg
        return None

    def message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        chat = self._chats.get(normalize_chat_id(chat_id))
        return chat.get(message_id) if chat else None

    def message_dict(self, chat_id: int, message_id: int) -> dict:
        """Bot API JSON of that message as currently shown.

        For a message the bot never sent, a minimal text message from the bot is returned.
        """
        msg = self.message(chat_id, message_id)
        if msg is None:
            return self._minimal_message(normalize_chat_id(chat_id), message_id)
        return dict(msg._raw)

    def push_update(self, update: dict[str, Any]) -> None:
        """An update for ``getUpdates`` to hand over (Bot API JSON), until an offset
        confirms it. Its sender has written to the bot: their chat is reachable."""
        self.meet_in(update)
        self._pending_updates.append(update)

    def meet(self, chat_id: int | str) -> None:
        """The chat has written to the bot (or opened it): from now on the bot can send to
        it. As on Telegram, a bot cannot start a conversation: a chat it has never met is
        "chat not found"."""
        self._met.add(normalize_chat_id(chat_id))

    def meet_in(self, update: dict[str, Any]) -> None:
        """Meet the chat and the sender an update (Bot API JSON) comes from."""
        for kind in ("message", "edited_message", "callback_query", "my_chat_member"):
            part = update.get(kind)
            if not isinstance(part, dict):
                continue
            for holder in (part, part.get("message")):
                if not isinstance(holder, dict):
                    continue
                for key in ("chat", "from"):
                    entity = holder.get(key)
                    if isinstance(entity, dict) and "id" in entity:
                        self.meet(entity["id"])

    def has_met(self, chat_id: int | str) -> bool:
        return normalize_chat_id(chat_id) in self._met

    @property
    def unconfirmed_updates(self) -> list[dict[str, Any]]:
        """Updates handed over (or waiting) that no ``getUpdates`` offset confirmed yet."""
        return list(self._pending_updates)

    def block(self, chat_id: int) -> None:
        self._blocked.add(normalize_chat_id(chat_id))

    def unblock(self, chat_id: int) -> None:
        self._blocked.discard(normalize_chat_id(chat_id))

    def fail_next(
        self,
        method: str,
        kind: str,
        *,
        retry_after: int = 1,
        description: str | None = None,
        chat_id: int | None = None,
    ) -> None:
        if kind not in ("retry_after", "blocked", "bad_request", "server", "network"):
            raise ValueError(f"unknown failure kind {kind!r}")
        self._failures.setdefault(method.lower(), []).append(
            _Failure(
                kind,
                retry_after,
                description,
                None if chat_id is None else normalize_chat_id(chat_id),
            )
        )

    def reset(self) -> None:
        self.calls.clear()

    def uploaded_file(self, file_id: str) -> UploadedFile | None:
        return self._files.get(file_id)

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    # ------------------------------------------------------------------ internals
    def _notify(self, call: ApiCall) -> None:
        if self.on_call is not None:
            self.on_call(call)

    def _decode(self, request_data: RequestData | None) -> dict[str, Any]:
        if request_data is None:
            return {}
        params: dict[str, Any] = request_data.parameters
        if request_data.contains_files:
            files: dict[str, UploadedFile] = {}
            for name, (filename, content, mimetype) in request_data.multipart_data.items():
                if not isinstance(content, bytes):  # file handle (read_file_handle=False)
                    content = content.read()
                files[name] = UploadedFile(str(filename), mimetype, content)
            for name, uploaded in files.items():
                if name in params or name.startswith("attached"):
                    continue
                params[name] = uploaded
            params = {key: self._resolve_attach(value, files) for key, value in params.items()}
        return params

    def _resolve_attach(self, value: Any, files: dict[str, UploadedFile]) -> Any:
        if isinstance(value, str):
            if value.startswith("attach://"):
                return files.get(value[9:], value)
            return value
        if isinstance(value, list):
            return [self._resolve_attach(item, files) for item in value]
        if isinstance(value, dict):
            return {key: self._resolve_attach(item, files) for key, item in value.items()}
        return value

    def _pop_failure(self, key: str, params: dict[str, Any]) -> _Failure | None:
        queue = self._failures.get(key)
        if not queue:
            return None
        chat_id = normalize_chat_id(params.get("chat_id"))
        for index, failure in enumerate(queue):
            if failure.chat_id is None or failure.chat_id == chat_id:
                del queue[index]
                return failure
        return None

    @staticmethod
    def _raise_failure(failure: _Failure) -> None:
        kind = failure.kind
        if kind == "retry_after":
            raise ApiError(
                429,
                failure.description or f"Too Many Requests: retry after {failure.retry_after}",
                {"retry_after": failure.retry_after},
            )
        if kind == "blocked":
            raise ApiError(403, failure.description or ERR_BLOCKED)
        if kind == "bad_request":
            raise ApiError(400, failure.description or ERR_CHAT_NOT_FOUND)
        if kind == "server":
            raise ApiError(500, failure.description or "Internal Server Error")
        raise NetworkError(failure.description or "Offline transport: simulated network error")

    def _dispatch(self, key: str, params: dict[str, Any]) -> Any:
        if key.startswith(("send", "edit", "copy", "forward")) and self._blocked:
            chat_id = params.get("chat_id")
            if chat_id is not None and normalize_chat_id(chat_id) in self._blocked:
                raise ApiError(403, ERR_BLOCKED)
        for chat_id in chats_named(params):
            if normalize_chat_id(chat_id) not in self._met:
                raise ApiError(400, ERR_CHAT_NOT_FOUND)

        if key == "sendmessage":
            return self._send(params, "text")
        if key in _FILE_KINDS:
            return self._send(params, _FILE_KINDS[key])
        if key in ("sendlocation", "sendvenue", "senddice", "sendcontact"):
            return self._send(params, key[4:])
        if key == "sendmediagroup":
            return self._send_media_group(params)
        if key in ("editmessagetext", "editmessagecaption", "editmessagereplymarkup"):
            return self._edit(key, params)
        if key == "deletemessage":
            msg = self.message(params.get("chat_id", 0), params.get("message_id", 0))
            if msg is not None:
                msg.deleted = True
            return True
        if key == "deletemessages":
            for message_id in params.get("message_ids", ()):
                msg = self.message(params.get("chat_id", 0), message_id)
                if msg is not None:
                    msg.deleted = True
            return True
        if key == "answercallbackquery":
            return self._answer_callback_query(params)
        if key == "getme":
            return self.bot_user
        if key == "setmycommands":
            cmd_key = self._commands_key(params.get("scope"), params.get("language_code", ""))
            self._commands[cmd_key] = list(params.get("commands", []))
            return True
        if key == "getmycommands":
            cmd_key = self._commands_key(params.get("scope"), params.get("language_code", ""))
            return self._commands.get(cmd_key, [])
        if key == "deletemycommands":
            cmd_key = self._commands_key(params.get("scope"), params.get("language_code", ""))
            self._commands.pop(cmd_key, None)
            return True
        if key == "getwebhookinfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if key == "copymessage":
            chat_id = normalize_chat_id(params.get("chat_id"))
            return {"message_id": self._new_message_id(chat_id)}
        if key == "forwardmessage":
            return self._send(params, "forward")
        if key == "getfile":
            file_id = str(params.get("file_id", ""))
            uploaded = self._files.get(file_id)
            return {
                "file_id": file_id,
                "file_unique_id": f"u{file_id}",
                "file_size": len(uploaded.content) if uploaded else 0,
                "file_path": f"offline-files/{file_id}",
            }
        if key == "getchat":
            return self._full_chat(normalize_chat_id(params.get("chat_id")))
        if key == "getchatmember":
            return {
                "status": "member",
                "user": {"id": params.get("user_id", 0), "is_bot": False, "first_name": "User"},
            }
        # logOut, close, setWebhook, deleteWebhook, setChatMenuButton, sendChatAction,
        # setMyDescription, ... and unknown methods
        return True

    def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        """Telegram takes one answer per callback query; a second one is refused."""
        query_id = str(params.get("callback_query_id", ""))
        if not query_id or query_id in self._answered:
            raise ApiError(400, ERR_QUERY_INVALID)
        self._answered.add(query_id)
        return True

    # --- messages -----------------------------------------------------------------
    def _new_message_id(self, chat_id: int | str) -> int:
        next_id = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = next_id + 1
        return next_id

    def _chat_dict(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "User"}
        if isinstance(chat_id, int):
            kind = "supergroup" if str(chat_id).startswith("-100") else "group"
            return {"id": chat_id, "type": kind, "title": "Group"}
        return {"id": -1000000000001, "type": "channel", "title": str(chat_id)}

    def _full_chat(self, chat_id: int | str) -> dict[str, Any]:
        chat = self._chat_dict(chat_id)
        chat.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return chat

    def _minimal_message(self, chat_id: int | str, message_id: int) -> dict[str, Any]:
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self._chat_dict(chat_id),
            "from": self.bot_user,
            "text": "",
        }

    def _file_ids(self, prefix: str) -> tuple[str, str]:
        number = next(self._file_counter)
        return f"{prefix}offline{number:06d}", f"U{prefix}{number:06d}"

    def _store_file(self, value: Any, prefix: str) -> tuple[UploadedFile, str, str]:
        """Return (UploadedFile, file_id, file_unique_id) for a file parameter value."""
        if isinstance(value, UploadedFile):
            file_id, unique_id = self._file_ids(prefix)
            self._files[file_id] = value
            return value, file_id, unique_id
        ref = str(value)
        known = self._files.get(ref)
        if known is not None:  # re-sending by file_id: Telegram keeps the file_id
            return known, ref, f"U{ref}"
        # a URL or a foreign file_id: nothing uploaded
        name = ref.rsplit("/", 1)[-1] or ref
        _, unique_id = self._file_ids(prefix)
        return UploadedFile(name, "application/octet-stream", b""), ref, unique_id

    def _send(self, params: dict[str, Any], kind: str) -> dict[str, Any]:
        if "chat_id" not in params:
            raise ApiError(400, "Bad Request: chat_id is empty")
        chat_id = normalize_chat_id(params["chat_id"])
        markup = inline_markup(params.get("reply_markup"))
        if markup is not None:
            check_callback_data(markup)

        text = caption = None
        document = photo = None
        if kind == "text":
            text = check_text(params, "text", MAX_TEXT_LENGTH, ERR_TEXT_TOO_LONG)
            if not text or not text.strip():
                raise ApiError(400, ERR_TEXT_EMPTY)
        else:
            caption = check_text(params, "caption", MAX_CAPTION_LENGTH, ERR_CAPTION_TOO_LONG)

        message_id = self._new_message_id(chat_id)
        data: dict[str, Any] = {
            "message_id": message_id,
            "from": self.bot_user,
            "chat": self._chat_dict(chat_id),
            "date": int(time.time()),
        }
        if kind == "text":
            data["text"] = text
        else:
            if caption is not None:
                data["caption"] = caption
            if kind in _FILE_KINDS.values():
                uploaded, file_id, unique_id = self._store_file(params.get(kind, ""), kind[:2])
                size = len(uploaded.content)
                if kind == "photo":
                    photo = uploaded
                    data["photo"] = [
                        {
                            "file_id": f"{file_id}-s",
                            "file_unique_id": f"{unique_id}s",
                            "width": 90,
                            "height": 90,
                            "file_size": max(size // 10, 1),
                        },
                        {
                            "file_id": file_id,
                            "file_unique_id": unique_id,
                            "width": 800,
                            "height": 800,
                            "file_size": size,
                        },
                    ]
                else:
                    media: dict[str, Any] = {"file_id": file_id, "file_unique_id": unique_id}
                    if kind == "document":
                        document = uploaded
                        media.update(
                            file_name=uploaded.filename,
                            mime_type=uploaded.mimetype,
                            file_size=size,
                        )
                    elif kind == "sticker":
                        media.update(
                            type="regular",
                            width=512,
                            height=512,
                            is_animated=False,
                            is_video=False,
                        )
                    elif kind in ("voice", "audio"):
                        media.update(duration=1, mime_type=uploaded.mimetype, file_size=size)
                    elif kind in ("video", "animation"):
                        media.update(width=640, height=360, duration=1, file_size=size)
                    elif kind == "video_note":
                        media.update(length=240, duration=1)
                    data[kind] = media
            elif kind == "location":
                data["location"] = {
                    "latitude": params.get("latitude", 0.0),
                    "longitude": params.get("longitude", 0.0),
                }
            elif kind == "venue":
                data["venue"] = {
                    "location": {
                        "latitude": params.get("latitude", 0.0),
                        "longitude": params.get("longitude", 0.0),
                    },
                    "title": params.get("title", ""),
                    "address": params.get("address", ""),
                }
            elif kind == "contact":
                data["contact"] = {
                    "phone_number": params.get("phone_number", ""),
                    "first_name": params.get("first_name", ""),
                }
            elif kind == "dice":
                data["dice"] = {"emoji": params.get("emoji", "🎲"), "value": 1}
        if markup is not None:
            data["reply_markup"] = markup

        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = {}
        chat[message_id] = ChatMessage(
            message_id=message_id,
            chat_id=chat_id,  # type: ignore[arg-type]
            text=text,
            caption=caption,
            reply_markup=markup,
            document=document,
            photo=photo,
            _raw=data,
        )
        return data

    def _send_media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        results = []
        for item in params.get("media", ()):
            kind = item.get("type", "photo")
            sub = {"chat_id": params.get("chat_id"), kind: item.get("media", "")}
            if item.get("caption") is not None:
                sub["caption"] = item["caption"]
            results.append(self._send(sub, kind if kind in _FILE_KINDS.values() else "document"))
        return results

    def _edit(self, key: str, params: dict[str, Any]) -> Any:
        if params.get("inline_message_id"):
            return True
        msg = self.message(params.get("chat_id", 0), params.get("message_id", 0))
        if msg is None or msg.deleted:
            raise ApiError(400, ERR_EDIT_NOT_FOUND)
        markup = inline_markup(params.get("reply_markup"))
        if markup is not None:
            check_callback_data(markup)
        raw = msg._raw

        if key == "editmessagetext":
            if msg.text is None:
                raise ApiError(400, ERR_NO_TEXT)
            text = check_text(params, "text", MAX_TEXT_LENGTH, ERR_TEXT_TOO_LONG)
            if not text or not text.strip():
                raise ApiError(400, ERR_TEXT_EMPTY)
            if text == msg.text and markup == msg.reply_markup:
                raise ApiError(400, ERR_NOT_MODIFIED)
            msg.text = text
            raw["text"] = text
        elif key == "editmessagecaption":
            if msg.text is not None:
                raise ApiError(400, ERR_NO_CAPTION)
            caption = check_text(params, "caption", MAX_CAPTION_LENGTH, ERR_CAPTION_TOO_LONG)
            if caption == msg.caption and markup == msg.reply_markup:
                raise ApiError(400, ERR_NOT_MODIFIED)
            msg.caption = caption
            if caption is None:
                raw.pop("caption", None)
            else:
                raw["caption"] = caption
        elif markup == msg.reply_markup:  # editMessageReplyMarkup
            raise ApiError(400, ERR_NOT_MODIFIED)

        # As in real Telegram: an edit without reply_markup removes the inline keyboard.
        msg.reply_markup = markup
        if markup is None:
            raw.pop("reply_markup", None)
        else:
            raw["reply_markup"] = markup
        msg.edited = True
        raw["edit_date"] = int(time.time())
        return raw

    # --- commands & files ---------------------------------------------------------
    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        if isinstance(scope, str):
            try:
                scope = json.loads(scope)
            except ValueError:
                scope = None
        if not scope:
            scope = {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    def _download(self, url: str) -> bytes:
        index = url.find(_FILE_URL_MARKER)
        if index >= 0:
            uploaded = self._files.get(url[index + len(_FILE_URL_MARKER) :])
            if uploaded is not None:
                return uploaded.content
        return b"offline file content"
