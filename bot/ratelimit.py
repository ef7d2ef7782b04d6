"""Telegram's flood limits, kept on our side: new messages within a strict budget, per chat
and overall; everything else (edits, answers to buttons) straight through.

Telegram lets a bot send about 30 new messages a second in all, about one a second to one
private chat (with short bursts) and 20 a minute to one group, and answers a faster pace
with flood control (HTTP 429, "retry after N"). It does not count edits or answers to
buttons against that budget.

PTB's ``AIORateLimiter`` measured badly against that (issue 13, the 500-attendee door rush):
it puts every request that names a chat into the 30/s bucket, edits included, its leaky
bucket lets bursts overshoot the one-second window, and one 429 holds back *every* request of
the bot. 3,500 limited calls for 2,500 messages and ~190 refusals, each pausing all sends.

:class:`TelegramRateLimiter` instead:

* paces each private chat with a token bucket (``chat_burst`` messages, refilled at
  ``chat_per_second``), and each group or channel with a sliding window
  (``group_per_minute`` a minute);
* then gives the send a slot in a **strict sliding window** of ``per_second`` sends per
  ``window`` (plus a small ``margin`` for the way to Telegram): the n-th send never starts
  less than ``window + margin`` after the (n - per_second)-th. Slots are handed out first
  come, first served, so nobody starves and nothing waits longer than the budget requires;
* with ``shared`` (several instances of the bot on one PostgreSQL database: their sends
  count against one budget at Telegram), takes that slot from the budget they share
  (``storage.send_budget``) instead of its own window; if the database does not answer, it
  falls back to its own window and says so once in the log;
* lets every other method pass at once (edits, callback answers, ``getMe`` ...);
* on a 429 all the same (another process sharing the token, Telegram's own fuzziness) holds
  back only the chat that was refused for the seconds Telegram asked, then retries up to
  ``max_retries`` times. Other chats go on.

Only the waiting handler waits: services commit before anything is sent, so no database
work is held up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from datetime import timedelta
from typing import Any, Protocol

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

__all__ = [
    "MARGIN",
    "PER_SECOND",
    "SEND_METHODS",
    "WINDOW",
    "SharedBudget",
    "TelegramRateLimiter",
    "retry_seconds",
]

log = logging.getLogger(__name__)


class SharedBudget(Protocol):
    """Send slots shared with other instances of the bot (``storage.send_budget``)."""

    async def reserve(self) -> float:
        """Take the next slot; seconds until the send may start."""
        ...

    async def start(self) -> float:
        """Stamp the send's real start (0.0), or seconds to wait before asking again."""
        ...


# Bot API methods that put a new message into a chat (compared lower-cased).
SEND_METHODS = frozenset(
    {
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendmediagroup",
        "sendlocation",
        "sendvenue",
        "sendcontact",
        "sendvideo",
        "sendaudio",
        "sendvoice",
        "sendanimation",
        "sendsticker",
        "sendpoll",
        "senddice",
        "copymessage",
        "copymessages",
        "forwardmessage",
        "forwardmessages",
    }
)
# Telegram's budget for a bot's new messages: PER_SECOND in any WINDOW seconds, kept with a
# little MARGIN for the way from here to Telegram.
PER_SECOND, WINDOW, MARGIN = 30, 1.0, 0.02
_PRUNE_FROM = 4096  # chats remembered before idle ones are forgotten
_GROUP_WINDOW = 60.0


class TelegramRateLimiter(BaseRateLimiter[int]):
    """Sends within Telegram's budget, per chat and overall. See the module docstring."""

    def __init__(
        self,
        *,
        per_second: int = PER_SECOND,
        window: float = WINDOW,
        margin: float = MARGIN,
        chat_per_second: float = 1.0,
        chat_burst: int = 3,
        group_per_minute: int = 20,
        max_retries: int = 0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        shared: SharedBudget | None = None,
    ) -> None:
        if per_second < 1 or window <= 0 or margin < 0:
            raise ValueError("the overall budget must be positive")
        if chat_per_second <= 0 or chat_burst < 1 or group_per_minute < 1:
            raise ValueError("the pace of a chat must be positive")
        self.per_second = per_second
        self.spacing = window + margin  # between a send and the per_second-th after it
        self.chat_per_second = chat_per_second
        self.chat_burst = chat_burst
        self.group_per_minute = group_per_minute
        self.max_retries = max_retries
        self.clock = clock
        self.sleep = sleep
        self.shared = shared
        self._shared_failed = False
        self._slots: deque[float] = deque(maxlen=per_second)  # the last sends' reserved starts
        self._started: deque[float] = deque(maxlen=per_second)  # ... and their real starts
        self._buckets: dict[int, tuple[float, float]] = {}  # private chat -> (tokens, at)
        self._groups: dict[int | str, deque[float]] = {}  # group -> its last sends' times
        self._held: dict[int | str, float] = {}  # chat -> no send before (after a 429)
        self._prune_at = _PRUNE_FROM
        # figures for benchmarks and operators
        self.sends = 0  # new messages that went through the limiter
        self.limited = 0  # ... of which waited for their chat or for a slot
        self.waited = 0.0  # seconds they waited in all
        self.refused = 0  # 429s seen all the same

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    # ------------------------------------------------------------------ reservations
    def delay(self, chat_id: int | str) -> float:
        """Reserve the chat's next send; seconds until its turn (0 within the burst).

        A reservation may lie in the future: each waits for the ones before it, so sends to
        one chat keep their order without a lock."""
        now = self.clock()
        if len(self._buckets) + len(self._groups) > self._prune_at:
            self._prune(now)
            # Many chats busy at once: look again only when their number doubled.
            self._prune_at = max(_PRUNE_FROM, 2 * (len(self._buckets) + len(self._groups)))
        at = max(now, self._held.get(chat_id, now))  # after a 429: not before Telegram said
        if isinstance(chat_id, int) and chat_id > 0:
            tokens, then = self._buckets.get(chat_id, (float(self.chat_burst), at))
            at = max(at, then)
            tokens = min(float(self.chat_burst), tokens + (at - then) * self.chat_per_second)
            self._buckets[chat_id] = (tokens - 1, at)
            if tokens < 1:
                return at - now + (1 - tokens) / self.chat_per_second
            return at - now
        sent = self._groups.setdefault(chat_id, deque(maxlen=self.group_per_minute))
        if len(sent) == self.group_per_minute:
            at = max(at, sent[0] + _GROUP_WINDOW)
        sent.append(at)
        return at - now

    async def _slot(self) -> float:
        """The send's slot: from the budget shared with other instances, else our own."""
        wait = await self._shared("reserve")
        return self.slot() if wait is None else wait

    async def _shared(self, step: str) -> float | None:
        """A step of the budget shared with other instances (None: there is none, or the
        database did not answer; then the instance paces alone and says so once)."""
        if self.shared is None:
            return None
        try:
            wait = await getattr(self.shared, step)()
        except Exception as error:
            if not self._shared_failed:
                log.warning(
                    "the shared send budget is unavailable (%s): pacing alone",
                    type(error).__name__,
                )
            self._shared_failed = True
            return None
        self._shared_failed = False
        return wait

    def slot(self) -> float:
        """Reserve the next send in the overall window; seconds until it may start."""
        now = self.clock()
        slots = self._slots
        at = now
        if len(slots) == self.per_second:
            at = max(now, slots[0] + self.spacing)
        slots.append(at)
        return at - now

    async def _start(self) -> bool:
        """Stamp the send's real start, waiting if the window of real starts is full.

        Slots are reserved for when a send *should* start; a busy event loop wakes a sleeper
        late, and a late one next to a punctual one would put more than ``per_second`` sends
        into one window at Telegram. Checking and stamping the real start has no ``await``
        in between, so the stamped starts never break the window. With a shared budget the
        database checks and stamps, for all instances. True if it had to wait."""
        waited = False
        # Only after the shared reservation succeeded: a database that just failed is not
        # asked again for the same send.
        while not self._shared_failed and (wait := await self._shared("start")) is not None:
            if wait <= 0:
                return waited
            waited = True
            await self.sleep(wait)
        started = self._started
        while len(started) == self.per_second:
            wait = started[0] + self.spacing - self.clock()
            if wait <= 0:
                break
            waited = True
            await self.sleep(wait)
        started.append(self.clock())
        return waited

    def _prune(self, now: float) -> None:
        """Forget chats with nothing reserved or owed (a full bucket, an empty window)."""
        for chat, (tokens, at) in list(self._buckets.items()):
            if tokens + (now - at) * self.chat_per_second >= self.chat_burst:
                del self._buckets[chat]
        for group, sent in list(self._groups.items()):
            if not sent or sent[-1] <= now - _GROUP_WINDOW:
                del self._groups[group]
        for chat, until in list(self._held.items()):
            if until <= now:
                del self._held[chat]

    # ------------------------------------------------------------------ PTB's hook
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """Wait for the chat's turn and a slot for a new message; anything else at once."""
        chat_id = _chat(data.get("chat_id"))
        if endpoint.lower() not in SEND_METHODS or chat_id is None:
            return await callback(*args, **kwargs)
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        self.sends += 1
        for attempt in range(retries + 1):
            began = self.clock()
            turn = self.delay(chat_id)
            if turn > 0:
                await self.sleep(turn)
            slot = await self._slot()
            if slot > 0:
                await self.sleep(slot)
            if await self._start() or turn > 0 or slot > 0:
                self.limited += attempt == 0
                self.waited += self.clock() - began
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.refused += 1
                if attempt == retries:
                    raise
                pause = retry_seconds(exc) + 0.1
                self._held[chat_id] = self.clock() + pause
                log.info("flood control: a chat waits %.1f s (retry %d)", pause, attempt + 1)
        raise AssertionError("unreachable")  # pragma: no cover


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait, in seconds (PTB 22 gives an int or a timedelta, and
    warns about the change on every read of the int)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(value)


def _chat(value: Any) -> int | str | None:
    """A chat id as Telegram counts it: an int, or a channel's @username."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    with contextlib.suppress(ValueError, TypeError):
        return int(value)
    return str(value)
