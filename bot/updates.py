"""Concurrent update processing that never reorders one person's conversation.

Why: at a brokerage event the door opens and a few hundred people scan the event's QR code
within minutes. Processed one after another (PTB's default), every sign-up waits for the
database work of everybody who scanned before; the queue, and the time to the first answer,
grows with the crowd. PTB's plain ``concurrent_updates(N)`` (its ``SimpleUpdateProcessor``)
handles updates in parallel, but it also lets two quick updates *of the same person* race:
somebody who types an answer and immediately presses a button (or sends two messages in a
row) may have the second one handled before, or interleaved with, the first. The
conversation's state machine then sees the steps in the wrong order, answers the wrong
question or overwrites a field.

:class:`PerChatUpdateProcessor` gives both: updates of *different* chats run concurrently (at
most ``max_concurrent_updates`` at a time, as with PTB's processor), while the updates of one
chat run strictly one after another, in the order in which they arrived.

How the order is kept. PTB's update fetcher takes the updates from ``update_queue`` in order
and starts one task per update, in that order; each task first passes the processor's bounded
semaphore (``BaseUpdateProcessor.process_update``, first come first served in asyncio) and then
calls :meth:`PerChatUpdateProcessor.do_process_update`, which queues it on the ``asyncio.Lock``
of its key (FIFO as well). So the updates of one key enter their handlers in arrival order.
The key is the chat (``update.effective_chat.id``), else the user (``effective_user.id``);
updates with neither (polls, for instance) are not serialised.

The lock table holds only *active* keys: a key's lock is created when an update of it arrives
and removed as soon as no update of that key is running or waiting, so the table does not
grow with the number of people who ever wrote to the bot.

Caveat: an update waiting for its chat's lock already holds one of the
``max_concurrent_updates`` slots (PTB takes the slot before calling ``do_process_update``). A
single chat with many queued updates therefore lowers the parallelism available to the others
for a while; it cannot dead-lock, because the update holding the chat's lock always holds a
slot too.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.services.inbox import Inbox

__all__ = ["InboxQueue", "PerChatUpdateProcessor", "serial_key"]
_LOG = logging.getLogger(__name__)


def serial_key(update: object) -> int | None:
    """The key whose updates must not overlap: the chat, else the user, else ``None``.

    Plain ids: a private chat's id is its user's id, so a user's updates without a chat (inline
    queries, for instance) queue behind their private chat; group ids are negative.
    """
    if not isinstance(update, Update):
        return None
    chat = update.effective_chat
    if chat is not None:
        return chat.id
    user = update.effective_user
    if user is not None:
        return user.id
    return None


class _Slot:
    """The lock of one active key and how many of its updates are running or waiting."""

    __slots__ = ("lock", "pending")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.pending = 0


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Concurrent across chats, sequential (in arrival order) within a chat.

    Use it as ``ApplicationBuilder().concurrent_updates(PerChatUpdateProcessor(64))``. See the
    module docstring for why and how.
    """

    __slots__ = ("_slots",)

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._slots: dict[int, _Slot] = {}

    @property
    def active_keys(self) -> int:
        """How many chats/users currently have an update running or waiting."""
        return len(self._slots)

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = serial_key(update)
        if key is None:
            await coroutine
            return
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = _Slot()
        slot.pending += 1
        started = False
        try:
            async with slot.lock:
                started = True
                await coroutine
        finally:
            slot.pending -= 1
            if not started and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting: no "never awaited" warning
            if slot.pending == 0 and self._slots.get(key) is slot:
                del self._slots[key]

    async def initialize(self) -> None:
        """Nothing to allocate: locks are made on demand."""

    async def shutdown(self) -> None:
        """Forget the lock table (it is empty once every update has been processed)."""
        self._slots.clear()


class InboxQueue(asyncio.Queue):
    """The application's update queue, recording each update in the durable inbox first.

    PTB's updater puts the updates of one ``getUpdates`` call here one by one and confirms
    them to Telegram only with its next call, and the webhook server answers Telegram only
    after ``put`` returned; so an update is in the database before Telegram forgets it. An
    update whose id is known already (Telegram delivered it again) is dropped here. If the
    database cannot be reached the update is still queued: handling it matters more than
    recording it.
    """

    def __init__(self, inbox: Inbox) -> None:
        super().__init__()
        self.inbox = inbox

    async def put(self, item: Any) -> None:
        """Record, then queue (anything that is not an update is queued as is)."""
        if isinstance(item, Update):
            try:
                payload = json.loads(item.to_json())
                if not await self.inbox.record(item.update_id, payload):
                    _LOG.info("dropped update %s: delivered before", item.update_id)
                    return
            except Exception:
                _LOG.exception("could not record update %s in the inbox", item.update_id)
        await super().put(item)

    async def put_recovered(self, update: Update) -> None:
        """Queue an update that was recorded before a restart, without recording it again."""
        await super().put(update)
