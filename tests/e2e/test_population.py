"""The matching population inside the running bot: kept up to date one profile at a time,
its terms stored per profile version and read back after a restart, erasures noticed."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.context import services_of
from bot.matching import engine
from bot.services.matchmaking import population as population_module
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import MatchTerms
from tests.conftest import make_settings
from tests.e2e.test_matching import RITA, RITA_ANSWERS
from tests.helpers import register

PEDRO = FakeUser(id=7_310_042_444, first_name="Pedro", username="pedro_es", language_code="es")
PEDRO_ANSWERS = dict(
    RITA_ANSWERS,
    name="Pedro Ruiz",
    organisation="Clúster Textil <Valencia> & Co",
    country="ES",
    city="Valencia",
    offers="Recycled fibres from post-consumer textiles; we run a sorting line.",
    email="pedro@example.es",
)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many texts the population had the engine read (each call: its batch size)."""
    sizes: list[int] = []
    real = engine.extract_terms

    def counting(vocabulary, people):  # type: ignore[no-untyped-def]
        sizes.append(len(people))
        return real(vocabulary, people)

    monkeypatch.setattr(population_module, "extract_terms", counting)
    yield sizes


def index_of(bot: BotDriver) -> engine.MatchIndex | None:
    return services_of(bot.app).matchmaking.population._index


async def stored_terms(bot: BotDriver) -> dict[int, MatchTerms]:
    """The stored terms, once the write-back under way (if any) is done."""
    saving = services_of(bot.app).matchmaking.population.saving
    if saving is not None:
        await saving
    async with services_of(bot.app).db.session() as session:
        rows = (await session.execute(select(MatchTerms))).scalars()
        return {row.user_id: row for row in rows}


async def test_a_registration_adds_one_profile_to_the_index_without_rebuilding_it(
    any_db_bot: BotDriver, anna: FakeUser, reads: list[int]
) -> None:
    bot = any_db_bot
    await register(bot, anna)
    first = index_of(bot)
    assert first is not None and str(anna.id) in first
    await register(bot, RITA, **RITA_ANSWERS)
    await register(bot, PEDRO, **PEDRO_ANSWERS)
    assert index_of(bot) is first  # the same index, grown
    assert {str(anna.id), str(RITA.id), str(PEDRO.id)} <= set(first.position)
    assert sum(reads) == 3  # each profile's texts read once
    r = await bot.send(anna, "/matches")
    assert "👍 Interested" in bot.buttons(anna)[0] and "<Valencia>" not in r.text
    # Their terms are stored, for the next start.
    stored = await stored_terms(bot)
    assert set(stored) == {anna.id, RITA.id, PEDRO.id}
    for user_id, row in stored.items():
        held = first.terms_of(str(user_id))
        assert held is not None and row.offers.split() == sorted(held.offers) != []
        assert row.seeks_words == held.seeks_words != ""


async def test_changing_the_language_does_not_read_the_texts_again(
    bot: BotDriver, anna: FakeUser, reads: list[int]
) -> None:
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    before = sum(reads)
    await bot.send(anna, "/language")
    await bot.press(anna, "Deutsch")
    r = await bot.send(RITA, "/matches")
    assert "Textilwerk Augsburg GmbH" in r.text
    assert sum(reads) == before


async def test_an_edited_offer_is_read_again_and_changes_the_proposal(
    bot: BotDriver, anna: FakeUser, reads: list[int]
) -> None:
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    index = index_of(bot)
    assert index is not None
    old = index.terms_of(str(RITA.id))
    await bot.send(RITA, "/profile")
    await bot.press(RITA, "Edit my profile")
    await bot.press(RITA, "Offers", exact=True)
    await bot.send(RITA, "Hydrogen electrolysers and fuel cells for heavy trucks.")
    await bot.send(anna, "/matches")
    new = index.terms_of(str(RITA.id))
    assert old is not None and new is not None and new.offers != old.offers
    assert index_of(bot) is index


async def test_a_restart_reads_the_stored_terms_instead_of_the_texts(
    sqlite_url: str, clock, anna: FakeUser, reads: list[int]
) -> None:
    first = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        await register(first, anna)
        await register(first, RITA, **RITA_ANSWERS)
        await first.send(anna, "/matches")
    finally:
        await first.stop()
    assert sum(reads) == 2
    second = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        second.transport.meet(anna.id)
        r = await second.send(anna, "/matches")
        assert "Cluster Têxtil Portugal" in r.text
        assert sum(reads) == 2  # nothing read again
        assert second.errors == []
    finally:
        await second.stop()


async def test_terms_of_another_vocabulary_are_read_again(
    sqlite_url: str, clock, anna: FakeUser, reads: list[int]
) -> None:
    first = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        await register(first, anna)
        await register(first, RITA, **RITA_ANSWERS)
        await first.send(anna, "/matches")
        async with services_of(first.app).db.session() as session:
            row = await session.get(MatchTerms, RITA.id)
            assert row is not None
            row.version, row.offers = "an older vocabulary", "nonsense"
            await session.commit()
    finally:
        await first.stop()
    second = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        second.transport.meet(anna.id)
        r = await second.send(anna, "/matches")
        assert "Cluster Têxtil Portugal" in r.text and "textile recycling" in r.text.lower()
        assert reads[-1] == 1  # only Rita's texts
        index = index_of(second)
        assert index is not None and "nonsense" not in index.terms_of(str(RITA.id)).offers
    finally:
        await second.stop()
    # ... and the fresh terms replaced the stale ones.
    third = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        assert (await stored_terms(third))[RITA.id].offers not in ("", "nonsense")
    finally:
        await third.stop()


async def test_an_erased_participant_leaves_the_index(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    await register(bot, PEDRO, **PEDRO_ANSWERS)
    await bot.send(RITA, "/deleteme")
    await bot.press(RITA, "Yes, erase everything")
    index = index_of(bot)
    r = await bot.send(anna, "/matches")
    assert "Cluster Têxtil Portugal" not in r.text
    assert index is not None and str(RITA.id) not in index and str(PEDRO.id) in index
    assert RITA.id not in await stored_terms(bot)


async def test_a_large_population_is_kept_out_of_the_garbage_collectors_walks(
    bot: BotDriver, anna: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc
    import weakref

    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    monkeypatch.setattr(population_module, "FREEZE_FROM", 2)
    services_of(bot.app).matchmaking.population._index = None  # as after a start
    before = gc.get_freeze_count()
    try:
        r = await bot.send(anna, "/matches")
        assert "Cluster Têxtil Portugal" in r.text
        index = index_of(bot)
        assert gc.get_freeze_count() > before and index is not None
        assert not gc.is_tracked(index) or index not in gc.get_objects(generation=2)
        # When the bot stops, the frozen index is put back and freed: a process that starts
        # the bot again does not hold two.
        gone = weakref.ref(index)
        del index
        services_of(bot.app).matchmaking.population.close()
        gc.collect()
        assert gc.get_freeze_count() == 0 and gone() is None
    finally:
        gc.unfreeze()


async def test_a_large_population_is_ranked_off_the_event_loop(
    bot: BotDriver, anna: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    loop_thread = threading.get_ident()
    ranked_in: list[int] = []
    real = engine.MatchIndex.propose

    def recording(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        ranked_in.append(threading.get_ident())
        return real(self, *args, **kwargs)

    monkeypatch.setattr(engine.MatchIndex, "propose", recording)
    monkeypatch.setattr(population_module, "OFF_LOOP_FROM", 1)
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)  # the newcomer is pushed to Anna
    assert "Cluster Têxtil Portugal" in bot.transport.messages(anna.id)[-1].text
    r = await bot.send(anna, "/matches")
    assert "Cluster Têxtil Portugal" in r.text
    assert ranked_in and loop_thread not in ranked_in  # every ranking ran in a worker thread


async def test_terms_that_cannot_be_stored_cost_a_warning_not_an_answer(
    bot: BotDriver,
    anna: FakeUser,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from storage import repo_population

    async def broken(session, *, rows):  # type: ignore[no-untyped-def]
        raise RuntimeError(f"disk full while writing {rows[0]['offers_words']}")

    monkeypatch.setattr(repo_population, "save_terms", broken)
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    r = await bot.send(anna, "/matches")
    assert "Cluster Têxtil Portugal" in r.text
    assert await stored_terms(bot) == {}
    assert "could not store the matching terms (RuntimeError)" in caplog.text
    assert "twins" not in caplog.text  # no profile words in the log


async def test_a_large_population_is_loaded_right_after_a_start(
    sqlite_url: str, clock, anna: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.handlers.events import BACKGROUND

    first = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        await register(first, anna)
        await register(first, RITA, **RITA_ANSWERS)
    finally:
        await first.stop()
    monkeypatch.setattr(population_module, "PRELOAD_FROM", 2)
    again = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        await asyncio.gather(*list(again.app.bot_data.get(BACKGROUND, ())))
        index = index_of(again)
        assert index is not None and {str(anna.id), str(RITA.id)} <= set(index.position)
        r = await again.send(anna, "/matches")  # served from the index loaded in advance
        assert "Cluster Têxtil Portugal" in r.text and index_of(again) is index
    finally:
        await again.stop()
    # Below the threshold nothing is loaded before it is needed.
    monkeypatch.setattr(population_module, "PRELOAD_FROM", 3)
    small = await BotDriver.start(make_settings(sqlite_url), clock=clock)
    try:
        await asyncio.gather(*list(small.app.bot_data.get(BACKGROUND, ())))
        assert index_of(small) is None
    finally:
        await small.stop()
