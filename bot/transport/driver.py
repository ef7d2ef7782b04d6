"""Drive the real Application offline: one object for tests, the shell, the demo and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import Application, CallbackContext

from bot.clock import Clock
from bot.config import Settings
from bot.services.onboarding import callbacks as registration
from bot.transport.offline import ApiCall, ChatMessage, OfflineRequest
from bot.transport.updates import FakeUser, UpdateFactory


@dataclass
class Exchange:
    """What one update made the bot do in the user's chat."""

    sent: list[ChatMessage] = field(default_factory=list)
    edited: list[ChatMessage] = field(default_factory=list)
    toasts: list[str] = field(default_factory=list)
    calls: list[ApiCall] = field(default_factory=list)
    others: dict[int, list[ChatMessage]] = field(default_factory=dict)  # sent to other chats

    @property
    def texts(self) -> list[str]:
        """Texts (or captions) of the messages sent, in order."""
        return [m.text or m.caption or "" for m in self.sent]

    @property
    def text(self) -> str:
        """All sent texts joined, for ``in`` assertions."""
        return "\n".join(self.texts)

    @property
    def last(self) -> ChatMessage:
        """The last message sent."""
        return self.sent[-1]


class BotDriver:
    """A running offline bot and a way to talk to it as any number of users."""

    def __init__(self, app: Application, transport: OfflineRequest) -> None:
        self.app = app
        self.transport = transport
        self.updates = UpdateFactory(app.bot, transport)
        self.errors: list[BaseException] = []  # every exception a handler raised
        app.add_error_handler(self._record_error)

    async def _record_error(self, _update: object, context: CallbackContext) -> None:
        if context.error is not None:
            self.errors.append(context.error)

    @classmethod
    async def start(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        transport: OfflineRequest | None = None,
        **kwargs: object,
    ) -> BotDriver:
        """Build the application on an offline transport and run its start-up."""
        from bot.app import build_application

        transport = transport or OfflineRequest()
        app = build_application(settings, transport, clock=clock, **kwargs)  # type: ignore[arg-type]
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        driver = cls(app, transport)
        await driver.drain()
        return driver

    async def drain(self) -> int:
        """Handle what waits in the update queue (updates a crash left unhandled, queued at
        start-up), as the running application's update fetcher would; returns how many."""
        queue = self.app.update_queue
        count = 0
        while not queue.empty():
            await self.app.process_update(queue.get_nowait())
            count += 1
        return count

    async def stop(self) -> None:
        """Shut the application down (closes the database)."""
        await self.app.shutdown()
        if self.app.post_shutdown:
            await self.app.post_shutdown(self.app)

    async def process(self, user: FakeUser, update: Update) -> Exchange:
        """Feed one update and collect what the bot did in that user's chat."""
        before = len(self.transport.calls)
        shown = {m.message_id for m in self.transport.messages(user.id)}
        counts = {c: len(self.transport.messages(c)) for c in self.transport.chat_ids()}
        await self.app.process_update(update)
        result = Exchange(
            sent=[m for m in self.transport.messages(user.id) if m.message_id not in shown]
        )
        for chat in self.transport.chat_ids():
            if chat != user.id and isinstance(chat, int):
                new = self.transport.messages(chat)[counts.get(chat, 0) :]
                if new:
                    result.others[chat] = new
        for call in self.transport.calls[before:]:
            result.calls.append(call)
            if call.error:
                continue
            if call.method == "answerCallbackQuery":
                text = call.params.get("text")
                if text:
                    result.toasts.append(text)
                continue
            chat_id = call.params.get("chat_id")
            if chat_id != user.id:
                continue
            if call.method.startswith("editMessage"):
                msg = self.transport.message(user.id, call.params.get("message_id"))
                if msg:
                    result.edited.append(msg)
        return result

    async def send(self, user: FakeUser, text: str) -> Exchange:
        """The user types ``text`` (commands included)."""
        return await self.process(user, self.updates.text(user, text))

    async def press(self, user: FakeUser, label: str, *, exact: bool = False) -> Exchange:
        """Press the newest button whose label is (or contains) ``label``."""
        message, data = self.find_button(user, label, exact=exact)
        return await self.process(user, self.updates.callback(user, data, message.message_id))

    async def choose(self, user: FakeUser, step: str, value: str) -> Exchange:
        """Press the newest registration button for ``step``/``value`` in any language."""
        for message in reversed(self.transport.messages(user.id)):
            for row in message.buttons():
                for _text, data in row:
                    press = registration.parse(data)
                    if press is not None and (press.step, press.value) == (step, value):
                        return await self.process(
                            user, self.updates.callback(user, data, message.message_id)
                        )
        raise LookupError(f"no button {step}={value} in the chat of user {user.id}")

    async def press_data(
        self, user: FakeUser, data: str, message_id: int | None = None
    ) -> Exchange:
        """Send raw callback data, as a forged or stale button would."""
        return await self.process(user, self.updates.callback(user, data, message_id))

    def find_button(
        self, user: FakeUser, label: str, *, exact: bool = False
    ) -> tuple[ChatMessage, str]:
        """The newest message and button matching ``label``."""
        want = label.casefold()
        for message in reversed(self.transport.messages(user.id)):
            for row in message.buttons():
                for text, data in row:
                    got = text.casefold()
                    if got == want or (not exact and want in got):
                        return message, data
        raise LookupError(f"no button {label!r} in the chat of user {user.id}")

    def buttons(self, user: FakeUser) -> list[str]:
        """Labels of the newest message that has buttons."""
        for message in reversed(self.transport.messages(user.id)):
            if message.reply_markup:
                return message.button_texts()
        return []
