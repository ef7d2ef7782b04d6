"""Outgoing messages paced per private chat, so that one chat never pauses everybody's.

Telegram lets a bot send about one message a second to one chat, with short bursts, and
answers a faster pace with flood control (HTTP 429, "retry after N"). PTB's
``AIORateLimiter`` waits such an answer out by holding back *every* request of the bot for
those seconds, since it cannot tell a chat's limit from the bot's. So a single chat that gets
many answers in a row (somebody pasting twenty lines, a flood: ``bot.updates``) used to stall
the answers to everybody else for a second per refused message.

:class:`ChatPacedRateLimiter` keeps PTB's limiter (30 messages a second overall, groups,
retries) and paces the sends to each private chat itself: a token bucket of ``chat_burst``
messages refilled at ``chat_per_second``. A send beyond it waits for its chat's turn, and only
its own handler waits (services commit before anything is sent, so no database work is held
up). Edits, answers to buttons and other calls are not paced, as Telegram does not count them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import AIORateLimiter

__all__ = ["PACED_METHODS", "ChatPacedRateLimiter"]

# Bot API methods that put a new message into a chat (compared lower-cased).
PACED_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "copymessage",
        "forwardmessage",
    }
)
_PRUNE_FROM = 4096  # chats remembered before idle ones (a full bucket) are forgotten


class ChatPacedRateLimiter(AIORateLimiter):
    """PTB's ``AIORateLimiter`` plus a pace per private chat. See the module docstring."""

    def __init__(
        self,
        *,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        max_retries: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(max_retries=max_retries)
        if chat_per_second <= 0 or chat_burst < 1:
            raise ValueError("the pace of a chat must be positive")
        self.chat_per_second = chat_per_second
        self.chat_burst = chat_burst
        self.clock = clock
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._prune_at = _PRUNE_FROM

    def delay(self, chat_id: int) -> float:
        """Reserve the chat's next send; seconds to wait for it (0 within the burst).

        Tokens may go below zero: each reservation waits for the ones before it, so sends to
        one chat keep their order without a lock."""
        now = self.clock()
        tokens, at = self._buckets.get(chat_id, (float(self.chat_burst), now))
        tokens = min(float(self.chat_burst), tokens + (now - at) * self.chat_per_second)
        wait = 0.0 if tokens >= 1 else (1 - tokens) / self.chat_per_second
        self._buckets[chat_id] = (tokens - 1, now)
        if len(self._buckets) > self._prune_at:
            self._prune(now)
            # Many chats busy at once: look again only when their number doubled.
            self._prune_at = max(_PRUNE_FROM, 2 * len(self._buckets))
        return wait

    def _prune(self, now: float) -> None:
        """Forget chats whose bucket has filled up again (nothing reserved, nothing owed)."""
        for chat, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.chat_per_second >= self.chat_burst:
                del self._buckets[chat]

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        chat_id = data.get("chat_id")
        if endpoint.lower() in PACED_METHODS and isinstance(chat_id, int) and chat_id > 0:
            wait = self.delay(chat_id)
            if wait > 0:
                await asyncio.sleep(wait)
        return await super().process_request(
            callback, args, kwargs, endpoint, data, rate_limit_args
        )
