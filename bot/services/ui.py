"""What a service hands back to a handler: texts (HTML) and buttons, independent of Telegram."""

from __future__ import annotations

import base64
import html
import re
from dataclasses import dataclass, field
from typing import Any

from bot.i18n import N_, _

# The answer to a button that is not (or no longer) valid: malformed, forged, from an older
# version of the bot, or of a step that is over. Nothing changes.
STALE_BUTTON = N_("This button is not valid any more.")


@dataclass(frozen=True)
class Button:
    """An inline button: label and callback data (at most 64 bytes)."""

    label: str
    data: str


Keyboard = list[list[Button]]


@dataclass
class Document:
    """A file to send: new ``content``, or a file Telegram already has (``file_id``)."""

    filename: str
    content: bytes = b""
    caption: str = ""
    file_id: str | None = None
    photo: bool = False  # send as a picture (charts) rather than as a file


@dataclass
class Reply:
    """One message to show. ``edit`` replaces the message whose button was pressed;
    ``markup_only`` with ``edit`` changes only its buttons; ``message_id`` replaces that
    message of the person's chat instead (another copy of a card). ``tag`` marks a card
    whose buttons answer something (``proposal:42``): where it was sent is remembered, so
    that answering any copy updates them all."""

    text: str = ""
    keyboard: Keyboard | None = None
    edit: bool = False
    markup_only: bool = False
    document: Document | None = None
    tag: str = ""
    message_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The reply as JSON (an outbox row); edits are not stored, they need the message."""
        data: dict[str, Any] = {"text": self.text}
        if self.tag:
            data["tag"] = self.tag
        if self.keyboard:
            data["keyboard"] = [[[b.label, b.data] for b in row] for row in self.keyboard]
        doc = self.document
        if doc is not None:
            data["document"] = {
                "filename": doc.filename,
                "content": base64.b64encode(doc.content).decode("ascii"),
                "caption": doc.caption,
                "file_id": doc.file_id,
                "photo": doc.photo,
            }
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """The reply stored by ``to_json``."""
        rows_ = data.get("keyboard", [])
        keyboard = [[Button(label, value) for label, value in row] for row in rows_]
        document = None
        if "document" in data:
            doc = data["document"]
            document = Document(
                doc["filename"],
                base64.b64decode(doc.get("content") or ""),
                doc.get("caption") or "",
                doc.get("file_id"),
                bool(doc.get("photo")),
            )
        return cls(
            data.get("text", ""), keyboard or None, document=document, tag=data.get("tag", "")
        )


@dataclass(frozen=True)
class Article:
    """A result of inline mode (``@bot words`` in any chat): ``title`` and ``description`` in
    the list, ``text`` (HTML) the message it posts, with one link button under it."""

    id: str
    title: str
    description: str
    text: str
    link_label: str = ""
    link_url: str = ""


@dataclass
class Inline:
    """The answer to an inline query: the results, and a button above them that opens the
    private chat with ``/start <start>``."""

    articles: list[Article] = field(default_factory=list)
    button: str = ""
    start: str = ""
    next_offset: str = ""  # where the next page starts ("": no more)


@dataclass
class Outcome:
    """Everything a handler has to do for one update."""

    replies: list[Reply] = field(default_factory=list)
    inline: Inline | None = None  # the answer to an inline query
    toast: str | None = None
    alert: bool = False
    language: str | None = None  # set when the user's language changed
    completed: bool = False  # the user has just completed their profile
    submitted: bool = False  # a profile now waits for validation by partnership staff
    changed: bool = False  # a change of an approved profile now waits for validation

    def add(self, text: str, keyboard: Keyboard | None = None, **kwargs: object) -> Outcome:
        """Append a reply and return self (for chaining)."""
        self.replies.append(Reply(text=text, keyboard=keyboard, **kwargs))  # type: ignore[arg-type]
        return self


def stale_button() -> Outcome:
    """The normal answer to a button that is not valid (any more)."""
    return Outcome(toast=_(STALE_BUTTON))


def esc(value: object) -> str:
    """Escape user-provided text for HTML messages.

    Text with explicit directional controls (a right-to-left override U+202E, embeddings,
    isolates) is isolated (FSI … PDI), so that they act on that text only: a name with an
    override left open would otherwise reverse the rest of the line it is shown in, such as
    "wants to meet you" after it. A PDI in the text that closes nothing of its own would close
    the isolate early; it does nothing where the text was typed, so it is left out, and what
    the text leaves open is closed before the isolate ends."""
    text = html.escape(str(value), quote=False)
    if text.isascii() or _DIRECTIONAL.search(text) is None:
        return text
    kept, depth = [], 0
    for c in text:
        if c in _ISOLATES:
            depth += 1
        elif c == _PDI:
            if not depth:
                continue
            depth -= 1
        kept.append(c)
    return _FSI + "".join(kept) + _PDI * depth + _PDI


_FSI, _PDI = "\u2068", "\u2069"
_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI, RLI, FSI
_DIRECTIONAL = re.compile("[\u202a-\u202e\u2066-\u2069]")  # embeddings, overrides, isolates


def cut(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, the last of them "…", when it is longer."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def contact_link(user_id: int, name: str, username: str | None) -> str:
    """A tappable mention of a Telegram user (works without a username), plus @username."""
    link = f'<a href="tg://user?id={user_id}">{esc(name)}</a>'
    return link + (f" (@{esc(username)})" if username else "")


def rows(buttons: list[Button], per_row: int) -> Keyboard:
    """Lay buttons out ``per_row`` to a row."""
    return [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]


@dataclass
class Notice:
    """Messages for someone other than the user whose update is being handled."""

    chat_id: int
    replies: list[Reply] = field(default_factory=list)
