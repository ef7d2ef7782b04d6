"""Factory for incoming :class:`telegram.Update` objects (tests, shell, demo).

The updates are built as Bot API JSON and parsed with ``Update.de_json`` so that they look
exactly like updates PTB receives from Telegram.
"""

from __future__ import annotations

import itertools
import mimetypes
import time
from dataclasses import dataclass
from typing import Any

from telegram import Bot, Update

from bot.transport.offline import OfflineRequest

__all__ = ["FakeUser", "UpdateFactory"]


@dataclass
class FakeUser:
    id: int
    first_name: str = "Test"
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "en"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        if self.language_code is not None:
            data["language_code"] = self.language_code
        return data

    def chat_dict(self) -> dict[str, Any]:
        """The private chat with this user as Bot API JSON."""
        data: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.first_name}
        if self.last_name is not None:
            data["last_name"] = self.last_name
        if self.username is not None:
            data["username"] = self.username
        return data


class UpdateFactory:
    """Builds updates sent by fake users in their private chat with the bot."""

    def __init__(
        self, bot: Bot, transport: OfflineRequest, first_update_id: int | None = None
    ) -> None:
        self.bot = bot
        self.transport = transport
        # Update ids are unique per bot: the inbox drops an id it has seen. Counting from the
        # clock keeps them unique across restarts on the same database (shell, tests).
        first = first_update_id if first_update_id is not None else time.time_ns() // 1000
        self._update_ids = itertools.count(first)
        self._message_ids = itertools.count(1)
        # Callback query ids are unique too: Telegram takes one answer per id.
        self._callback_ids = itertools.count(first)
        self._file_ids = itertools.count(1)
        self._last_text_id: dict[int, int] = {}

    # ------------------------------------------------------------------ building blocks
    def _update(self, **payload: Any) -> Update:
        data = {"update_id": next(self._update_ids), **payload}
        self.transport.meet_in(data)  # whoever writes to the bot can be written to
        return Update.de_json(data, self.bot)

    def _message(self, user: FakeUser, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": user.chat_dict(),
            "from": user.to_dict(),
            **content,
        }

    def _file(self, prefix: str) -> dict[str, str]:
        number = next(self._file_ids)
        return {"file_id": f"{prefix}user{number:06d}", "file_unique_id": f"U{prefix}u{number}"}

    def message(self, user: FakeUser, **content: Any) -> Update:
        """A private message with arbitrary Bot API message fields."""
        return self._update(message=self._message(user, **content))

    # ------------------------------------------------------------------ text
    def text(self, user: FakeUser, text: str) -> Update:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            # entity lengths are in UTF-16 code units
            length = len(command.encode("utf-16-le")) // 2
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        msg = self._message(user, **content)
        self._last_text_id[user.id] = msg["message_id"]
        return self._update(message=msg)

    def command(self, user: FakeUser, command: str, args: str = "") -> Update:
        text = "/" + command.lstrip("/")
        if args:
            text = f"{text} {args}"
        return self.text(user, text)

    def edited_text(self, user: FakeUser, text: str) -> Update:
        """An ``edited_message`` for the user's last text message (or a new id)."""
        message_id = self._last_text_id.get(user.id) or next(self._message_ids)
        now = int(time.time())
        msg = {
            "message_id": message_id,
            "date": now - 1,
            "edit_date": now,
            "chat": user.chat_dict(),
            "from": user.to_dict(),
            "text": text,
        }
        return self._update(edited_message=msg)

    # ------------------------------------------------------------------ inline queries
    def inline_query(self, user: FakeUser, query: str, offset: str = "") -> Update:
        """``@bot query`` typed in any chat: no chat, and Telegram does not count it as
        starting the bot (the sender is not met). ``offset``: the next page, as Telegram asks
        for it with the ``next_offset`` of the answer before."""
        number = next(self._callback_ids)
        inline = {"id": f"iq{number}", "from": user.to_dict(), "query": query, "offset": offset}
        return self._update(inline_query=inline)

    # ------------------------------------------------------------------ callback queries
    def callback(self, user: FakeUser, data: str, message_id: int | None = None) -> Update:
        """A callback query pressed on a bot message.

        ``message_id`` defaults to the last message in the chat that has an inline keyboard.
        """
        if message_id is None:
            for msg in reversed(self.transport.messages(user.id)):
                if msg.reply_markup:
                    message_id = msg.message_id
                    break
        if message_id is None:
            last = self.transport.last_message(user.id)
            message_id = last.message_id if last is not None else 1
        return self.callback_on(user, data, self.transport.message_dict(user.id, message_id))

    def callback_on(self, user: FakeUser, data: str, message: dict[str, Any]) -> Update:
        """A callback query pressed on ``message`` (Bot API JSON), as given."""
        number = next(self._callback_ids)
        query = {
            "id": f"cbq{number}",
            "from": user.to_dict(),
            "chat_instance": f"ci{user.id}",
            "data": data,
            "message": message,
        }
        return self._update(callback_query=query)

    def chat_member(self, user: FakeUser, status: str) -> Update:
        """``my_chat_member``: the user blocked the bot (``kicked``) or started it again
        (``member``)."""
        before = "member" if status == "kicked" else "kicked"
        bot_user = {"id": self.bot.id, "is_bot": True, "first_name": self.bot.first_name}
        change = {
            "chat": user.chat_dict(),
            "from": user.to_dict(),
            "date": int(time.time()),
            "old_chat_member": {"status": before, "user": bot_user, **_until(before)},
            "new_chat_member": {"status": status, "user": bot_user, **_until(status)},
        }
        return self._update(my_chat_member=change)

    # ------------------------------------------------------------------ media & others
    def sticker(self, user: FakeUser) -> Update:
        sticker = {
            **self._file("st"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self.message(user, sticker=sticker)

    def photo(self, user: FakeUser, caption: str | None = None) -> Update:
        small, big = self._file("ph"), self._file("ph")
        photo = [
            {**small, "width": 90, "height": 90, "file_size": 1200},
            {**big, "width": 1280, "height": 960, "file_size": 120000},
        ]
        extra = {"caption": caption} if caption is not None else {}
        return self.message(user, photo=photo, **extra)

    def voice(self, user: FakeUser) -> Update:
        voice = {**self._file("vo"), "duration": 3, "mime_type": "audio/ogg", "file_size": 4000}
        return self.message(user, voice=voice)

    def document(
        self,
        user: FakeUser,
        filename: str = "x.pdf",
        *,
        file_size: int = 1,
        mime_type: str | None = None,
    ) -> Update:
        guessed = mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"
        document = {
            **self._file("do"),
            "file_name": filename,
            "mime_type": mime_type or guessed,
            "file_size": file_size,
        }
        return self.message(user, document=document)

    def location(
        self, user: FakeUser, latitude: float = 52.52, longitude: float = 13.405
    ) -> Update:
        return self.message(user, location={"latitude": latitude, "longitude": longitude})

    def contact(self, user: FakeUser, phone_number: str = "+4915112345678") -> Update:
        contact = {"phone_number": phone_number, "first_name": user.first_name, "user_id": user.id}
        if user.last_name is not None:
            contact["last_name"] = user.last_name
        return self.message(user, contact=contact)


def _until(status: str) -> dict[str, Any]:
    """A banned member needs ``until_date`` (0: for ever)."""
    return {"until_date": 0} if status == "kicked" else {}
