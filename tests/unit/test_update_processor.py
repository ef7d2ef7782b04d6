"""PerChatUpdateProcessor: concurrent across chats, in order within a chat, no lock leak."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from telegram import Update
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.app import build_application, pool_options
from bot.transport import FakeUser, OfflineRequest, UpdateFactory
from bot.updates import PerChatUpdateProcessor, serial_key
from tests.conftest import make_settings

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[None]]


class Recorder:
    """A handler that sleeps a little and records (chat, seq) at start and at the end."""

    def __init__(self, delay: Callable[[int, int], float]) -> None:
        self.delay = delay
        self.started: list[tuple[int, int]] = []
        self.finished: list[tuple[int, int]] = []
        self.running = 0
        self.max_running = 0
        self.running_per_chat: dict[int, int] = defaultdict(int)
        self.max_running_per_chat = 0

    async def __call__(self, update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat.id
        seq = int(update.effective_message.text)
        self.started.append((chat, seq))
        self.running += 1
        self.running_per_chat[chat] += 1
        self.max_running = max(self.max_running, self.running)
        self.max_running_per_chat = max(self.max_running_per_chat, self.running_per_chat[chat])
        try:
            await asyncio.sleep(self.delay(chat, seq))
        finally:
            self.running -= 1
            self.running_per_chat[chat] -= 1
        self.finished.append((chat, seq))

    def order_of(self, chat: int, events: list[tuple[int, int]]) -> list[int]:
        return [seq for c, seq in events if c == chat]


def _app(processor: object, handler: Handler) -> tuple[Application, OfflineRequest]:
    transport = OfflineRequest()
    app = (
        ApplicationBuilder()
        .token("123456:OFFLINE")
        .request(transport)
        .get_updates_request(transport)
        .concurrent_updates(processor)  # type: ignore[arg-type]
        .build()
    )
    app.add_handler(TypeHandler(Update, handler))
    return app, transport


async def _run_through_queue(app: Application, updates: list[Update]) -> None:
    """Feed the updates through ``update_queue`` as polling would, and wait for all of them."""
    await app.initialize()
    await app.start()
    try:
        for update in updates:
            await app.update_queue.put(update)
        await asyncio.wait_for(app.update_queue.join(), timeout=20)
    finally:
        await app.stop()
        await app.shutdown()


def _interleaved(factory: UpdateFactory, users: list[FakeUser], per_chat: int) -> list[Update]:
    """seq 0 of every user, then seq 1 of every user, ... (the text is the seq)."""
    return [factory.text(user, str(seq)) for seq in range(per_chat) for user in users]


@pytest.fixture
def users() -> list[FakeUser]:
    return [FakeUser(id=5_000_000 + i, first_name=f"U{i}") for i in range(12)]


async def test_same_chat_in_order_different_chats_overlap(users: list[FakeUser]) -> None:
    rng = random.Random(7)
    recorder = Recorder(lambda _chat, _seq: rng.uniform(0.0, 0.02))
    processor = PerChatUpdateProcessor(64)
    app, transport = _app(processor, recorder)
    factory = UpdateFactory(app.bot, transport)
    per_chat = 8
    updates = _interleaved(factory, users, per_chat)
    # a burst of one chat too: all its updates queued back to back
    burst = FakeUser(id=5_999_999, first_name="Burst")
    updates += [factory.text(burst, str(seq)) for seq in range(per_chat)]

    await _run_through_queue(app, updates)

    assert len(recorder.finished) == len(updates)
    for user in [*users, burst]:
        expected = list(range(per_chat))
        assert recorder.order_of(user.id, recorder.started) == expected
        assert recorder.order_of(user.id, recorder.finished) == expected
    assert recorder.max_running_per_chat == 1  # never two updates of one chat at once
    assert recorder.max_running > 1  # different chats did overlap
    assert processor.active_keys == 0  # lock table empty afterwards


async def test_plain_concurrent_updates_would_reorder(users: list[FakeUser]) -> None:
    """The reason for the processor: PTB's plain concurrency lets a chat's updates race."""

    def delay(_chat: int, seq: int) -> float:
        return 0.05 if seq == 0 else 0.0  # the first message takes longer than the second

    plain = Recorder(delay)
    app, transport = _app(64, plain)
    factory = UpdateFactory(app.bot, transport)
    await _run_through_queue(app, _interleaved(factory, users[:3], 2))
    assert plain.order_of(users[0].id, plain.finished) == [1, 0]

    ours = Recorder(delay)
    app, transport = _app(PerChatUpdateProcessor(64), ours)
    factory = UpdateFactory(app.bot, transport)
    await _run_through_queue(app, _interleaved(factory, users[:3], 2))
    for user in users[:3]:
        assert ours.order_of(user.id, ours.finished) == [0, 1]
    assert ours.max_running >= 3


async def test_max_concurrent_updates_is_respected(users: list[FakeUser]) -> None:
    recorder = Recorder(lambda _chat, _seq: 0.01)
    processor = PerChatUpdateProcessor(4)
    app, transport = _app(processor, recorder)
    factory = UpdateFactory(app.bot, transport)
    await _run_through_queue(app, _interleaved(factory, users, 3))
    assert recorder.max_running == 4
    assert len(recorder.finished) == len(users) * 3
    assert processor.active_keys == 0


async def test_process_update_called_concurrently() -> None:
    """Used directly (no Application): same guarantees, and the table shrinks per key."""
    processor = PerChatUpdateProcessor(16)
    transport = OfflineRequest()
    app, _ = _app(processor, Recorder(lambda _c, _s: 0.0))
    factory = UpdateFactory(app.bot, transport)
    done: list[tuple[int, int]] = []
    seen_active: list[int] = []

    async def work(chat: int, seq: int) -> None:
        seen_active.append(processor.active_keys)
        await asyncio.sleep(0.01 if seq % 2 == 0 else 0.0)
        done.append((chat, seq))

    a, b = FakeUser(id=11), FakeUser(id=22)
    jobs = []
    for seq in range(6):
        for user in (a, b):
            jobs.append(processor.process_update(factory.text(user, str(seq)), work(user.id, seq)))
    async with processor:
        await asyncio.gather(*jobs)
    assert [s for c, s in done if c == a.id] == list(range(6))
    assert [s for c, s in done if c == b.id] == list(range(6))
    assert max(seen_active) == 2
    assert processor.active_keys == 0


async def test_failing_and_cancelled_updates_release_their_lock() -> None:
    processor = PerChatUpdateProcessor(8)
    transport = OfflineRequest()
    app, _ = _app(processor, Recorder(lambda _c, _s: 0.0))
    factory = UpdateFactory(app.bot, transport)
    user = FakeUser(id=33)

    async def boom() -> None:
        raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        await processor.process_update(factory.text(user, "0"), boom())
    assert processor.active_keys == 0

    gate = asyncio.Event()
    first = asyncio.create_task(processor.process_update(factory.text(user, "1"), gate.wait()))
    await asyncio.sleep(0)
    waiting = asyncio.create_task(
        processor.process_update(factory.text(user, "2"), asyncio.sleep(0))
    )
    await asyncio.sleep(0.01)
    assert processor.active_keys == 1
    waiting.cancel()  # cancelled while queued behind the first update
    with pytest.raises(asyncio.CancelledError):
        await waiting
    gate.set()
    await first
    assert processor.active_keys == 0

    # the chat is usable again afterwards
    await processor.process_update(factory.text(user, "3"), asyncio.sleep(0))
    assert processor.active_keys == 0


async def test_updates_without_chat_or_user_are_not_serialised() -> None:
    processor = PerChatUpdateProcessor(8)
    update = Update(update_id=1)  # e.g. a poll update: no chat, no user
    assert serial_key(update) is None
    assert serial_key(object()) is None

    running = 0
    peak = 0

    async def work() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.01)
        running -= 1

    await asyncio.gather(*(processor.process_update(update, work()) for _ in range(5)))
    assert peak == 5
    assert processor.active_keys == 0


async def test_key_is_chat_then_user(users: list[FakeUser]) -> None:
    transport = OfflineRequest()
    app, _ = _app(PerChatUpdateProcessor(2), Recorder(lambda _c, _s: 0.0))
    factory = UpdateFactory(app.bot, transport)
    user = users[0]
    assert serial_key(factory.text(user, "hi")) == user.id
    assert serial_key(factory.callback(user, "x:1")) == user.id
    inline = Update.de_json(
        {
            "update_id": 99,
            "inline_query": {"id": "iq1", "from": user.to_dict(), "query": "q", "offset": ""},
        },
        app.bot,
    )
    assert serial_key(inline) == user.id  # no chat: the user (same id as the private chat)


class FloodLog:
    """A ``Flood`` that records what the processor tells it."""

    def __init__(self) -> None:
        self.slow_downs: list[int] = []  # update ids that started an episode
        self.drops: list[list[int]] = []

    async def slow_down(self, update: Update) -> None:
        self.slow_downs.append(update.update_id)

    async def dropped(self, update_ids: list[int]) -> None:
        self.drops.append(list(update_ids))


async def test_a_flooding_chat_keeps_its_first_updates_and_drops_the_rest_once_per_episode(
    users: list[FakeUser],
) -> None:
    flood = FloodLog()
    processor = PerChatUpdateProcessor(8, max_waiting=3, flood=flood)
    handled: list[tuple[int, str]] = []

    async def handler(update: Update, _context: object) -> None:
        handled.append((update.effective_chat.id, update.effective_message.text))
        await asyncio.sleep(0.01)

    app, transport = _app(processor, handler)
    factory = UpdateFactory(app.bot, transport)
    flooder, calm = users[0], users[1]
    first = [factory.text(flooder, f"a{i}") for i in range(10)]
    others = [factory.text(calm, f"b{i}") for i in range(3)]
    second = [factory.text(flooder, f"c{i}") for i in range(6)]
    await app.initialize()
    await app.start()
    try:
        for update in [*first, *others]:
            await app.update_queue.put(update)
        await asyncio.wait_for(app.update_queue.join(), timeout=20)
        assert processor.active_keys == 0  # the episode is over
        for update in second:  # a new flood later: a new episode
            await app.update_queue.put(update)
        await asyncio.wait_for(app.update_queue.join(), timeout=20)
    finally:
        await app.stop()
        await app.shutdown()

    mine = [text for chat, text in handled if chat == flooder.id]
    assert mine == ["a0", "a1", "a2", "c0", "c1", "c2"]  # the first ones, in order
    assert [text for chat, text in handled if chat == calm.id] == ["b0", "b1", "b2"]
    assert flood.slow_downs == [first[3].update_id, second[3].update_id]  # once per episode
    # Reported once each episode has drained, all ids at once.
    assert flood.drops == [
        [u.update_id for u in first[3:]],
        [u.update_id for u in second[3:]],
    ]
    assert processor.active_keys == 0


async def test_a_flood_never_drops_a_block_or_unblock(users: list[FakeUser]) -> None:
    flood = FloodLog()
    processor = PerChatUpdateProcessor(4, max_waiting=1, flood=flood)
    seen: list[str] = []

    async def handler(update: Update, _context: object) -> None:
        seen.append("member" if update.my_chat_member else update.effective_message.text)
        await asyncio.sleep(0.01)

    app, transport = _app(processor, handler)
    factory = UpdateFactory(app.bot, transport)
    user = users[0]
    await app.initialize()  # the bot's own id goes into the chat-member update
    texts = [factory.text(user, "1"), factory.text(user, "2")]
    updates = [*texts, factory.chat_member(user, "kicked")]
    await _run_through_queue(app, updates)
    assert seen == ["1", "member"]
    assert len(flood.slow_downs) == 1 and flood.drops == [[updates[1].update_id]]


def test_flood_limits_must_be_positive() -> None:
    with pytest.raises(ValueError):
        PerChatUpdateProcessor(4, max_waiting=0)


def test_rejects_non_positive_concurrency() -> None:
    with pytest.raises(ValueError):
        PerChatUpdateProcessor(0)


@pytest.fixture(autouse=True)
async def _no_leftover_tasks() -> AsyncIterator[None]:
    yield
    current = asyncio.current_task()
    leftovers = [t for t in asyncio.all_tasks() if t is not current and not t.done()]
    assert not leftovers, leftovers


async def test_the_bot_runs_updates_of_different_chats_concurrently_in_per_chat_order(
    tmp_path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'bot.sqlite3'}"
    app = build_application(make_settings(url), OfflineRequest())
    assert isinstance(app.update_processor, PerChatUpdateProcessor)
    assert app.update_processor.max_concurrent_updates == 32
    one = build_application(make_settings(url, concurrent_updates=1), OfflineRequest())
    assert one.update_processor.max_concurrent_updates == 1
    assert pool_options(make_settings(url)) == {}
    pg = make_settings("postgresql+asyncpg://db/cx", database_pool_size=4, database_max_overflow=8)
    assert pool_options(pg) == {"pool_size": 4, "max_overflow": 8}


async def test_a_flood_still_going_at_shutdown_is_reported(users: list[FakeUser]) -> None:
    flood = FloodLog()
    processor = PerChatUpdateProcessor(4, max_waiting=1, flood=flood)
    transport = OfflineRequest()
    app, _ = _app(processor, Recorder(lambda _c, _s: 0.0))
    factory = UpdateFactory(app.bot, transport)
    gate = asyncio.Event()
    user = users[0]
    running = asyncio.create_task(processor.process_update(factory.text(user, "0"), gate.wait()))
    await asyncio.sleep(0)
    dropped = factory.text(user, "1")
    await processor.process_update(dropped, asyncio.sleep(0))
    assert flood.drops == []  # the episode is not over
    await processor.shutdown()  # e.g. the bot stops during the flood
    assert flood.drops == [[dropped.update_id]]
    gate.set()
    await running
