"""Staff search their partnership's participants (/participants, and /search for staff without
a profile) through the real Application: words in either language, the criteria of /search
plus the state of each registration, paging, a participant's whole profile, and who may see
whom."""

from __future__ import annotations

import logging
import threading

import pytest

from bot.context import services_of
from bot.transport.driver import BotDriver, Exchange
from bot.transport.offline import ChatMessage
from bot.transport.updates import FakeUser
from tests.conftest import make_settings
from tests.e2e.test_matching import RITA
from tests.e2e.test_search import plain, results, set_profile
from tests.e2e.test_search import press as press_in
from tests.e2e.test_staff_reports import (
    ADMIN,
    ANNA_NAME,
    OTTO,
    OTTO_ORG,
    SABINE,
    scenario,
)
from tests.helpers import register

# German-speaking staff of the same partnership.
STAFF = "ss:"  # staff search's buttons
KLAUS = FakeUser(id=7_310_051_001, first_name="Klaus", username="klaus_te", language_code="de")


def listing(bot: BotDriver, user: FakeUser) -> ChatMessage:
    """The newest message with staff search buttons."""
    return results(bot, user, STAFF)


async def press(bot: BotDriver, user: FakeUser, label: str) -> Exchange:
    """Press a button of the newest list by (part of) its label."""
    return await press_in(bot, user, label, STAFF)


async def test_staff_list_everyone_with_their_state_and_contact(
    any_db_bot: BotDriver, anna: FakeUser
) -> None:
    bot = any_db_bot  # also on PostgreSQL when configured
    await scenario(bot, anna)
    r = await bot.send(SABINE, "/participants")
    page = plain(r.last)
    # Anna and Rita validated, Luca rejected, Eva waiting; Marta never finished; Otto is
    # another partnership's.
    assert "4 participants, by organisation. Page 1 of 1." in page
    assert "Cluster Têxtil Portugal · ✅ Validated" in page
    assert "Cluster Edilizia Lombardia · ↩️ Rejected" in page
    assert "Weberei Weber GmbH · ⏳ Waiting for validation" in page
    assert "Marta" not in page and OTTO_ORG not in page
    # The contact details staff hold: name, e-mail, Telegram.
    assert "👤 Rita Sousa (@rita_pt) · rita@example.pt" in page
    assert f"👤 {ANNA_NAME} (@anna_sme)" in page
    assert "🧭 Host · 📍 Porto, Portugal" in page and "📅 1 Apr – 30 Sept 2027" in page
    # By organisation, in the reader's alphabetical order.
    order = [page.index(n) for n in ("Edilizia", "Têxtil", "HYPERLINK", "Weberei")]
    assert order == sorted(order)


async def test_german_words_find_english_offers_and_criteria_narrow(
    bot: BotDriver, anna: FakeUser
) -> None:
    pid, _other = await scenario(bot, anna)
    await make_partnership_staff(bot, pid, KLAUS)
    r = await bot.send(KLAUS, "/participants Recycling von Textilien")
    page = plain(r.last)
    assert "Ihre Teilnehmenden: Recycling von Textilien" in page
    assert (
        "Cluster Têxtil Portugal" in page and "4 Teilnehmende, die besten Treffer zuerst." in page
    )
    assert "1. Cluster Têxtil Portugal · ✅ Freigegeben" in page
    assert "Passt zu Ihrer Suche: Textilrecycling und recycelte Fasern\n" in page
    assert "Weberei Weber GmbH · ⏳ Wartet auf Prüfung" in page
    # Anna seeks recycled fibres: found too, after Rita who offers them.
    assert page.index("Cluster Têxtil Portugal") < page.index("Textilwerk Augsburg")
    r = await press(bot, KLAUS, "Land")
    assert any("Portugal" in label for label in listing(bot, KLAUS).button_texts())
    r = await press(bot, KLAUS, "Portugal")
    narrowed = plain(r.edited[0])
    assert "1 Person, die besten Treffer zuerst." in narrowed
    assert "Kriterien: Portugal" in narrowed and "Textilwerk" not in narrowed


async def test_state_criterion_and_whole_profile(bot: BotDriver, anna: FakeUser) -> None:
    await scenario(bot, anna)
    await bot.send(SABINE, "/participants")
    await press(bot, SABINE, "State")
    labels = listing(bot, SABINE).button_texts()
    assert any("Waiting for validation" in label for label in labels)
    assert not any("Paused" in label for label in labels)  # nobody is paused
    r = await press(bot, SABINE, "Waiting for validation")
    page = plain(r.edited[0])
    assert "1 participant, by organisation." in page and "Weberei Weber GmbH" in page
    r = await press(bot, SABINE, "1. Weberei")
    profile = plain(r.last)
    assert "Eva Weber" in profile and "eva@example.de" in profile
    assert "State: ⏳ Waiting for validation" in profile
    assert "/pending shows it" in profile
    # A rejected one shows the reason.
    await press(bot, SABINE, "Waiting for validation")
    r = await press(bot, SABINE, "Rejected")
    r = await press(bot, SABINE, "1. Cluster Edilizia")
    assert "Reason:" in plain(r.last)


async def test_outsiders_may_not_and_other_partnerships_stay_hidden(
    bot: BotDriver, anna: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    await scenario(bot, anna)
    with caplog.at_level(logging.WARNING):
        r = await bot.send(anna, "/participants")
    assert "This command is for partnership staff only." in r.text
    assert "refused staff command 'participants'" in caplog.text
    # A staff button forged by a participant changes nothing.
    await bot.send(SABINE, "/participants")
    message = listing(bot, SABINE)
    [open_first] = [
        data for row in message.buttons() for text, data in row if text.startswith("📄 1.")
    ]
    r = await bot.press_data(anna, open_first, message.message_id)
    assert r.toasts == ["Only staff of the partnership concerned can do this."]
    # Sabine cannot open a participant of Agri Europe, even with its token.
    token = services_of(bot.app).links.organisation(OTTO.id)
    r = await bot.press_data(SABINE, f"ss:o:{token}", message.message_id)
    assert r.toasts == ["This profile is not available now."] and not r.sent


async def test_super_admin_sees_every_partnership_and_chooses_one(
    sqlite_url: str, clock, anna: FakeUser
) -> None:
    driver = await BotDriver.start(make_settings(sqlite_url, admin_ids=[ADMIN.id]), clock=clock)
    try:
        await scenario(driver, anna)
        r = await driver.send(ADMIN, "/search")  # no profile of her own: her participants
        page = plain(r.last)
        assert "5 participants" in page and OTTO_ORG in page
        assert "🤝 Agri Europe" in page
        await press(driver, ADMIN, "Partnership")
        r = await press(driver, ADMIN, "Agri Europe")
        narrowed = plain(r.edited[0])
        assert "1 participant" in narrowed and OTTO_ORG in narrowed
        assert "Criteria: Agri Europe" in narrowed
    finally:
        await driver.stop()
    assert driver.errors == []


async def test_stale_and_hostile(bot: BotDriver, anna: FakeUser) -> None:
    await scenario(bot, anna)
    r = await bot.send(SABINE, "/participants <>&")
    assert "only numbers or symbols" in r.text
    r = await bot.send(SABINE, "/participants </i> Weberei")
    page = plain(r.last)
    assert "Ihre" not in page and "&lt;/i&gt; Weberei" not in page
    assert "</i> Weberei" in page and "Weberei Weber GmbH" in page
    message = listing(bot, SABINE)
    [state] = [data for row in message.buttons() for text, data in row if "State" in text]
    await bot.press_data(SABINE, state, message.message_id)
    r = await bot.press_data(SABINE, state, message.message_id)  # the same button twice
    assert r.toasts == ["This list is not current any more. Send /participants to search again."]


async def make_partnership_staff(bot: BotDriver, partnership_id: int, member: FakeUser) -> None:
    """Another staff member of an existing partnership, who has opened the bot."""
    from storage.models import Staff, User

    bot.transport.meet(member.id)
    async with services_of(bot.app).db.session() as session:
        if await session.get(User, member.id) is None:
            session.add(User(id=member.id, state="idle", client_language=member.language_code))
            await session.flush()
        session.add(Staff(partnership_id=partnership_id, user_id=member.id))
        await session.commit()


async def test_changes_pauses_and_pages(bot: BotDriver, anna: FakeUser) -> None:
    pid, _other = await scenario(bot, anna)
    for n, city in ((1, "Bremen"), (2, "Kiel")):
        user = FakeUser(id=7_310_051_100 + n, first_name=f"P{n}", language_code="en")
        await register(bot, user, partnership=pid, organisation=f"Zeta {city}", city=city)
    await bot.send(anna, "/pause")
    # Rita changes what she offers: the change waits; others still see the validated one.
    await set_profile(bot, RITA.id, pending_changes={"offers": "Hydrogen buses"})
    r = await bot.send(SABINE, "/participants")
    page = plain(r.last)
    assert "6 participants, by organisation. Page 1 of 2." in page
    assert "Cluster Têxtil Portugal · ✏️ A change waits for validation" in page
    assert "Textilwerk Augsburg · ⏸ Paused" in page
    assert "Zeta Kiel" not in page
    r = await press(bot, SABINE, "▶")
    page = plain(r.edited[0])
    assert "Page 2 of 2" in page and "6. Zeta Kiel" in page
    # A criterion starts again from the first page.
    await press(bot, SABINE, "State")
    r = await press(bot, SABINE, "Paused")
    page = plain(r.edited[0])
    assert "1 participant, by organisation. Page 1 of 1." in page and "Textilwerk" in page
    assert "Criteria: Paused" in page


async def test_a_staff_member_with_a_profile_keeps_search_for_partners(
    bot: BotDriver, anna: FakeUser
) -> None:
    pid, _other = await scenario(bot, anna)
    await make_partnership_staff(bot, pid, anna)  # Anna also works for the partnership
    r = await bot.send(anna, "/search recycled fibres")
    assert "🔎 Search: recycled fibres" in plain(r.last)  # partners for her, as before
    r = await bot.send(anna, "/participants recycled fibres")
    assert "👥 Your participants: recycled fibres" in plain(r.last)
    # Both lists stay usable side by side: each keeps its own buttons and version.
    r = await press(bot, anna, "State")
    assert r.edited and not r.toasts


async def test_a_large_scope_gives_the_same_list_from_a_worker_thread(
    bot: BotDriver, anna: FakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.services.search import staff

    await scenario(bot, anna)
    inline = plain((await bot.send(SABINE, "/participants recycled fibres")).last)
    threads: list[str] = []
    find_many = staff.StaffSearch._find_many

    def spy(self: staff.StaffSearch, *work: object) -> staff.Found:
        threads.append(threading.current_thread().name)
        return find_many(self, *work)

    monkeypatch.setattr(staff, "OFF_LOOP_MEMBERS", 0)
    monkeypatch.setattr(staff.StaffSearch, "_find_many", spy)
    threaded = plain((await bot.send(SABINE, "/participants recycled fibres")).last)
    assert threads and threads[0] != threading.main_thread().name
    assert threaded == inline and "4 participants, the best fit first." in threaded
