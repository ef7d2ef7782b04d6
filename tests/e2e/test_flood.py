"""One chat's flood does not slow down everybody else (issue 12): the real Application with its
update queue and the per-chat processor running, as polling feeds it."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict

from sqlalchemy import func, select
from telegram import Update
from telegram.ext import TypeHandler

from bot.app import RATE_LIMIT_RETRIES
from bot.clock import FixedClock
from bot.context import services_of
from bot.ratelimit import TelegramRateLimiter
from bot.services.onboarding import callbacks as registration
from bot.transport.driver import BotDriver
from bot.transport.limits import TelegramLimits
from bot.transport.updates import FakeUser
from storage.models import InboxUpdate
from tests.conftest import make_settings

SLOW_DOWN = {
    "en": "You are sending messages faster than I can answer",
    "de": "Sie senden Nachrichten schneller, als ich antworten kann",
}
PEOPLE = 4
CHAT_PER_SECOND = 4.0
STEP_TIMEOUT = 30  # seconds; before the cap a step waited for the whole flood (minutes)
BUTTONS = {"consent": "yes", "role": "visitor", "org_type": "sme"}
STEPS = ("/start", "consent", "role", "org_type", "Anna Schmidt", "Textilwerk Augsburg GmbH")


class Running:
    """The bot running as in production, and when each update was done with."""

    def __init__(self, driver: BotDriver) -> None:
        self.driver = driver
        self.app = driver.app
        self.done: dict[int, asyncio.Event] = defaultdict(asyncio.Event)
        # After every handler of group 0: the update was handled, its answers are out.
        self.app.add_handler(TypeHandler(Update, self._handled), group=99)

    async def _handled(self, update: Update, _context: object) -> None:
        self.done[update.update_id].set()

    async def put(self, update: Update) -> None:
        await self.app.update_queue.put(update)

    async def step(self, user: FakeUser, step: str) -> float:
        """One registration step of a person who waits for each answer; seconds to it."""
        updates = self.driver.updates
        if step in BUTTONS:
            update = updates.callback(user, self.button(user, step, BUTTONS[step]))
        else:
            update = updates.text(user, step)
        started = time.perf_counter()
        await self.put(update)
        await asyncio.wait_for(self.done[update.update_id].wait(), STEP_TIMEOUT)
        return time.perf_counter() - started

    def button(self, user: FakeUser, step: str, value: str) -> str:
        """Data of the newest registration button for ``step``/``value``."""
        for message in reversed(self.driver.transport.messages(user.id)):
            for row in message.buttons():
                for _label, data in row:
                    press = registration.parse(data)
                    if press is not None and (press.step, press.value) == (step, value):
                        return data
        raise LookupError(f"no button {step}={value} for user {user.id}")

    async def register(self, user: FakeUser) -> list[float]:
        return [await self.step(user, step) for step in STEPS]


async def run(url: str, clock: FixedClock, flood: int, lang: str = "de") -> dict[str, object]:
    """``PEOPLE`` people register step by step while one chat sends ``flood`` messages at
    once; their reaction times, and what the flooding chat saw."""
    # Telegram's limits, as in production: a chat gets about one message a second (a faster
    # pace here, to keep the test short), so a flooding chat's answers take long and its
    # updates pile up. The bot's limiter paces each chat a little below that.
    transport = TelegramLimits(chat_per_second=CHAT_PER_SECOND, chat_burst=3)
    limiter = TelegramRateLimiter(
        chat_per_second=CHAT_PER_SECOND * 0.9, chat_burst=3, max_retries=RATE_LIMIT_RETRIES
    )
    driver = await BotDriver.start(
        make_settings(url), clock=clock, transport=transport, rate_limit=limiter
    )
    running = Running(driver)
    flooder = FakeUser(id=9_000_001, first_name="Flo", language_code=lang)
    people = [FakeUser(id=9_100_000 + i, first_name=f"P{i}") for i in range(PEOPLE)]
    await driver.app.start()
    try:
        await running.step(flooder, "/start")

        async def flood_it() -> None:
            for i in range(flood):
                await running.put(driver.updates.text(flooder, f"Hallo {i}"))

        results = await asyncio.gather(flood_it(), *(running.register(person) for person in people))
        await asyncio.wait_for(driver.app.update_queue.join(), 120)
        for _ in range(50):  # the processor reports the dropped updates as the backlog drains
            if driver.app.update_processor.active_keys == 0:
                break
            await asyncio.sleep(0.05)
        latencies = [t for steps in results[1:] for t in steps]
        async with services_of(driver.app).db.session() as session:
            unhandled = (
                await session.execute(
                    select(func.count())
                    .select_from(InboxUpdate)
                    .where(InboxUpdate.handled_at.is_(None))  # type: ignore[union-attr]
                )
            ).scalar_one()
        texts = [m.text or "" for m in driver.transport.messages(flooder.id)]
        return {
            "latencies": latencies,
            "slow_downs": sum(SLOW_DOWN[lang] in t for t in texts),
            "handled": sum(1 for event in running.done.values() if event.is_set()),
            "unhandled": unhandled,
            "errors": list(driver.errors),
            "429s": transport.rejected_429,
        }
    finally:
        await driver.app.stop()
        await driver.stop()


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


async def test_one_chats_flood_does_not_slow_down_the_others(tmp_path, clock: FixedClock) -> None:
    flood = 600
    calm = await run(f"sqlite+aiosqlite:///{tmp_path / 'calm.sqlite3'}", clock, flood=0)
    flooded = await run(f"sqlite+aiosqlite:///{tmp_path / 'flood.sqlite3'}", clock, flood=flood)
    before, during = calm["latencies"], flooded["latencies"]
    assert len(before) == len(during) == PEOPLE * len(STEPS)  # type: ignore[arg-type]
    assert p95(during) <= 2 * p95(before), (p95(before), p95(during))  # type: ignore[arg-type]
    assert statistics.median(during) <= 2 * statistics.median(before)  # type: ignore[arg-type]
    assert calm["slow_downs"] == 0
    assert flooded["slow_downs"] == 1  # one friendly message for the whole episode
    # Only what could wait was handled; the rest was dropped, and no dropped update is left
    # unhandled in the inbox (a restart would run it).
    handled_flood = flooded["handled"] - len(during) - 1  # type: ignore[operator, arg-type]
    assert 20 <= handled_flood < flood / 4, handled_flood
    assert flooded["unhandled"] == 0
    assert flooded["errors"] == [] and flooded["429s"] == 0
