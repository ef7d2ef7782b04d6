"""Telegram's flood limits on top of the offline Bot API, for load tests and benchmarks.

:class:`TelegramLimits` is an :class:`~bot.transport.offline.OfflineRequest` that refuses
message *sends* beyond the limits Telegram documents for bots
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):

* **globally** at most ``global_per_second`` (default 30) sends in any sliding one-second
  window (the window is ``(now - 1 s, now]``);
* **per chat** about ``chat_per_second`` (default 1) sends per second sustained, with short
  bursts allowed: a token bucket of ``chat_burst`` (default 3) tokens refilled at
  ``chat_per_second``.

Counted methods: sendMessage, sendPhoto, sendDocument, sendMediaGroup (one send per call),
copyMessage and forwardMessage. Edits, answerCallbackQuery and everything else are free.

A send over a limit fails as Telegram's does: HTTP 429 with
``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
"parameters": {"retry_after": N}}`` (N whole seconds, at least 1), which PTB raises as
:class:`telegram.error.RetryAfter`. The message is *not* delivered and consumes no capacity.
The failure goes through ``OfflineRequest``'s own failure mechanism (``_raise_failure``), so
it is recorded in ``calls`` with its error like an injected ``fail_next("retry_after")``.
Failures injected with ``fail_next`` still come first.

Telegram's real limits are less exact (it tolerates some overshoot and sometimes answers 429
earlier); this model is deliberately strict and deterministic. The clock is injectable
(``clock=``, default :func:`time.monotonic`) so tests can advance time by hand.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from bot.transport.offline import OfflineRequest, _Failure
from bot.transport.rules import normalize_chat_id

__all__ = ["LIMITED_METHODS", "TelegramLimits"]

# lower-cased Bot API method names whose calls count as a sent message
LIMITED_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "copymessage",
        "forwardmessage",
    }
)
_PRUNE_EVERY = 1024  # sends between sweeps of full (idle) per-chat buckets
_WINDOW = 1.0


class TelegramLimits(OfflineRequest):
    """An offline Bot API with Telegram's flood limits on sends. See the module docstring."""

    __slots__ = (
        "_buckets",
        "_since_prune",
        "_window",
        "chat_burst",
        "chat_per_second",
        "clock",
        "global_per_second",
        "peak_global_rate",
        "rejected_429",
        "rejected_429_chat",
        "rejected_429_global",
        "sent",
    )

    def __init__(
        self,
        bot_user: dict | None = None,
        *,
        global_per_second: int = 30,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(bot_user)
        if global_per_second < 1 or chat_per_second <= 0 or chat_burst < 1:
            raise ValueError("limits must be positive")
        self.global_per_second = global_per_second
        self.chat_per_second = chat_per_second
        self.chat_burst = chat_burst
        self.clock = clock
        self.sent = 0  # sends delivered
        self.rejected_429 = 0  # sends refused with 429 by this model
        self.rejected_429_global = 0  # ... of which because of the global limit
        self.rejected_429_chat = 0  # ... of which because of the per-chat limit
        self.peak_global_rate = 0  # most sends delivered within any one-second window
        self._window: deque[float] = deque()  # times of the sends in the last second
        self._buckets: dict[int | str, tuple[float, float]] = {}  # chat -> (tokens, at)
        self._since_prune = 0

    # ------------------------------------------------------------------ model
    def _tokens(self, chat_id: int | str, now: float) -> float:
        tokens, at = self._buckets.get(chat_id, (float(self.chat_burst), now))
        return min(float(self.chat_burst), tokens + (now - at) * self.chat_per_second)

    def _expire(self, now: float) -> None:
        window = self._window
        while window and window[0] <= now - _WINDOW:
            window.popleft()

    def retry_after(self, chat_id: Any) -> int:
        """Seconds a send to ``chat_id`` would be told to wait now (0: it would pass)."""
        now = self.clock()
        self._expire(now)
        wait = 0.0
        if len(self._window) >= self.global_per_second:
            # the oldest send that has to leave the window for one more to fit
            oldest = self._window[len(self._window) - self.global_per_second]
            wait = oldest + _WINDOW - now
        if chat_id is not None:
            tokens = self._tokens(normalize_chat_id(chat_id), now)
            if tokens < 1.0:
                wait = max(wait, (1.0 - tokens) / self.chat_per_second)
        return max(1, math.ceil(wait - 1e-9)) if wait > 0 else 0

    def _record_send(self, chat_id: int | str | None) -> None:
        now = self.clock()
        self._expire(now)
        self._window.append(now)
        self.peak_global_rate = max(self.peak_global_rate, len(self._window))
        self.sent += 1
        if chat_id is not None:
            self._buckets[chat_id] = (self._tokens(chat_id, now) - 1.0, now)
        self._since_prune += 1
        if self._since_prune >= _PRUNE_EVERY:
            self._since_prune = 0
            full = float(self.chat_burst)
            for key in [k for k in self._buckets if self._tokens(k, now) >= full]:
                del self._buckets[key]

    # ------------------------------------------------------------------ OfflineRequest hook
    def _dispatch(self, key: str, params: dict[str, Any]) -> Any:
        if key not in LIMITED_METHODS:
            return super()._dispatch(key, params)
        raw_chat = params.get("chat_id")
        chat_id = None if raw_chat is None else normalize_chat_id(raw_chat)
        now = self.clock()
        self._expire(now)
        global_full = len(self._window) >= self.global_per_second
        wait = self.retry_after(chat_id)
        if wait:
            self.rejected_429 += 1
            if global_full:
                self.rejected_429_global += 1
            else:
                self.rejected_429_chat += 1
            self._raise_failure(_Failure("retry_after", wait, None, chat_id))
        result = super()._dispatch(key, params)  # raises (nothing counted) if the send fails
        self._record_send(chat_id)
        return result
