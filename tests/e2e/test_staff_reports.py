"""/stats and /export for partnership staff through the real Application: counts by state,
phase, country and ecosystem, the PNG chart, the CSV files, and who may see them."""

from __future__ import annotations

import csv
import html
import io
import logging
import re
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from bot.context import services_of
from bot.pseudonyms import who
from bot.services.csvfile import safe_cell
from bot.transport.driver import BotDriver
from bot.transport.offline import ChatMessage
from bot.transport.updates import FakeUser
from storage.models import Exchange, Phase, Profile, User
from tests.conftest import make_settings
from tests.e2e.test_matching import RITA, RITA_ANSWERS
from tests.helpers import make_partnership, register

PNG = b"\x89PNG\r\n\x1a\n"
BOM = b"\xef\xbb\xbf"

SABINE = FakeUser(id=7_310_050_001, first_name="Sabine", username="sabine_te", language_code="en")
LUCA = FakeUser(id=7_310_050_002, first_name="Luca", language_code="it")
EVA = FakeUser(id=7_310_050_003, first_name="Eva", language_code="de")
MARTA = FakeUser(id=7_310_050_004, first_name="Marta", language_code="en")
OTTO = FakeUser(id=7_310_050_005, first_name="Otto", language_code="pl")
OTHER_HOST_ID = 7_310_050_006  # a host of the other partnership (a bare user row)
ADMIN = FakeUser(id=7_310_050_099, first_name="Ada", language_code="en")

ANNA_NAME = "Änne Müßig-Jürgens"
ANNA_ORG = "=HYPERLINK(“x”) Textilwerk Augsburg"  # a formula a spreadsheet would run
OTTO_ORG = "Agrarhof Polska"


async def scenario(bot: BotDriver, anna: FakeUser) -> tuple[int, int]:
    """Textiles Europe (staff: Sabine) with five participants in every registration state and
    two exchanges; Agri Europe with Otto and an exchange of its own."""
    pid = await make_partnership(bot, "textiles-eu", "Textiles Europe", staff=(SABINE,))
    other = await make_partnership(bot, "agri-eu", "Agri Europe", ecosystems=("agri-food",))
    await register(bot, anna, partnership=pid, name=ANNA_NAME, organisation=ANNA_ORG)
    await register(bot, RITA, partnership=pid, **RITA_ANSWERS)
    await register(
        bot,
        LUCA,
        partnership=pid,
        role="host",
        name="Luca Bianchi",
        organisation="Cluster Edilizia Lombardia",
        country="IT",
        city="Milano",
        ecosystems=["2"],  # construction
        email="luca@example.it",
    )
    await register(
        bot,
        EVA,
        partnership=pid,
        name="Eva Weber",
        organisation="Weberei Weber GmbH",
        city="München",
        ecosystems=["12"],  # textiles
        email="eva@example.de",
    )
    await register(
        bot, MARTA, partnership=pid, confirm=False, country="AT", city="Graz", name="Marta Huber"
    )
    await register(
        bot,
        OTTO,
        partnership=other,
        name="Otto Nowak",
        organisation=OTTO_ORG,
        country="PL",
        city="Kraków",
        ecosystems=["1"],  # agri-food
        email="otto@example.pl",
    )
    for user in (anna, RITA):
        r = await bot.press_data(SABINE, f"sv:p:{user.id}:a")
        assert r.toasts == ["Approved"]
    r = await bot.press_data(SABINE, f"sv:p:{LUCA.id}:x:eligible")
    assert r.toasts == ["Rejected"]
    # Anna (visitor) and Rita (host) agree: an exchange waiting for validation.
    await bot.send(anna, "/matches")
    await bot.press(anna, "Interested")
    r = await bot.press(RITA, "Interested")
    assert "It's a match" in r.text
    # Otto visited Rita (closed), and visited someone of his own partnership (not Sabine's).
    async with services_of(bot.app).db.session() as session:
        session.add(User(id=OTHER_HOST_ID, state="idle"))
        await session.flush()
        session.add(
            Exchange(
                visitor_id=OTTO.id,
                host_id=RITA.id,
                visitor_partnership_id=other,
                host_partnership_id=pid,
                phase=Phase.CLOSED,
                start_date=date(2026, 9, 7),
                end_date=date(2026, 9, 11),
                working_days=5,
                lump_sum=1100,
                cq_status="validated",
                happened="yes",
                host_rating=5,
                outcome_visitor="project",
                outcome_host="contacts",
                closed_at=datetime(2026, 10, 2, 9, 30, tzinfo=UTC),
            )
        )
        session.add(
            Exchange(
                visitor_id=OTTO.id,
                host_id=OTHER_HOST_ID,
                visitor_partnership_id=other,
                host_partnership_id=other,
                phase=Phase.VISITING,
            )
        )
        await session.commit()
    return pid, other


def documents(messages: list[ChatMessage]) -> dict[str, bytes]:
    """The files among the messages, by file name."""
    return {m.document.filename: m.document.content for m in messages if m.document is not None}


def parse_csv(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(BOM), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(content[len(BOM) :].decode("utf-8"), newline="")))


async def profiles(bot: BotDriver) -> dict[int, Profile]:
    async with services_of(bot.app).db.session() as session:
        return {p.user_id: p for p in (await session.execute(select(Profile))).scalars()}


async def exchanges(bot: BotDriver) -> list[Exchange]:
    async with services_of(bot.app).db.session() as session:
        return list((await session.execute(select(Exchange).order_by(Exchange.id))).scalars())


def plain(message: ChatMessage) -> str:
    """A message's text (or caption) without its HTML markup."""
    return html.unescape(re.sub(r"<[^>]+>", "", message.text or message.caption or ""))


def line_with(text: str, start: str) -> str:
    """The line of ``text`` that starts with ``start``."""
    found = [line for line in text.splitlines() if line.startswith(start)]
    assert len(found) == 1, (start, text)
    return found[0]


@pytest.mark.pg
async def test_stats_counts_and_chart(any_db_bot: BotDriver, anna: FakeUser) -> None:
    bot = any_db_bot
    await scenario(bot, anna)
    r = await bot.send(SABINE, "/stats")
    assert len(r.sent) == 2
    text = plain(r.sent[0])
    assert "Figures for Textiles Europe on 21 Nov 2026" in text
    assert "Agri Europe" not in text and "Poland" not in text and "Agri-food" not in text
    assert "Participants: 5" in text
    assert line_with(text, "• waiting for validation") == "• waiting for validation: 1"
    assert line_with(text, "• validated") == "• validated: 2"
    assert line_with(text, "• rejected") == "• rejected: 1"
    assert line_with(text, "• registration not finished") == "• registration not finished: 1"
    assert "Exchanges: 2" in text
    assert "• matching: waiting for validation: 1" in text
    assert "• closed: 1" in text
    assert "visiting" not in text  # Otto's other exchange is not Textiles Europe's
    # Completed registrations only (Marta in Austria has not finished), most first.
    countries = text.split("By country (completed registrations):")[1].split("\n\n")[0]
    assert countries.strip().splitlines() == ["• Germany: 2", "• Italy: 1", "• Portugal: 1"]
    ecosystems = text.split("By ecosystem (completed registrations):")[1]
    assert ecosystems.strip().splitlines() == ["• Textiles: 3", "• Construction: 1", "• Digital: 1"]
    chart = r.sent[1]
    assert chart.photo is not None and chart.document is None
    assert chart.photo.content.startswith(PNG)
    assert plain(chart) == "Exchanges by phase: Textiles Europe"
    [call] = bot.transport.calls_to("sendPhoto")
    assert call.params["chat_id"] == SABINE.id


async def test_stats_without_exchanges_still_draws_a_chart(bot: BotDriver, anna: FakeUser) -> None:
    pid = await make_partnership(bot, "textiles-eu", "Textiles Europe", staff=(SABINE,))
    await register(bot, anna, partnership=pid)
    r = await bot.send(SABINE, "/stats")
    text = plain(r.sent[0])
    assert "Participants: 1" in text and "• waiting for validation: 1" in text
    assert "Exchanges: 0" in text and "No exchanges yet." in text
    assert "• Germany: 1" in text
    assert r.sent[1].photo is not None and r.sent[1].photo.content.startswith(PNG)


@pytest.mark.pg
async def test_export_csv_matches_the_database(any_db_bot: BotDriver, anna: FakeUser) -> None:
    bot = any_db_bot
    await scenario(bot, anna)
    r = await bot.send(SABINE, "/export")
    assert len(bot.transport.calls_to("sendDocument")) == 2
    assert [plain(m) for m in r.sent] == [
        "Participants of Textiles Europe: 5",
        "Exchanges of Textiles Europe: 2",
    ]
    files = documents(r.sent)
    assert set(files) == {"participants-textiles-eu.csv", "exchanges-textiles-eu.csv"}

    stored = await profiles(bot)
    people = parse_csv(files["participants-textiles-eu.csv"])
    assert [int(row["user_id"]) for row in people] == [anna.id, RITA.id, LUCA.id, EVA.id, MARTA.id]
    assert OTTO_ORG not in files["participants-textiles-eu.csv"].decode("utf-8-sig")
    by_id = {int(row["user_id"]): row for row in people}
    annas = by_id[anna.id]
    assert annas["name"] == ANNA_NAME == stored[anna.id].name
    assert stored[anna.id].organisation == ANNA_ORG
    assert annas["organisation"] == "'" + ANNA_ORG  # no formula
    assert annas["ecosystems"] == "digital;textiles"
    assert annas["languages"] == ";".join(stored[anna.id].languages) and "de" in annas["languages"]
    assert (annas["available_from"], annas["available_to"]) == ("2027-03-01", "2027-06-30")
    assert annas["review_status"] == "approved"
    for user_id, row in by_id.items():
        p = stored[user_id]
        assert row["country"] == p.country and row["city"] == p.city
        assert row["role"] == p.role and row["org_type"] == p.org_type
        assert row["email"] == (p.email or "")
        assert row["completed_at"] == safe_cell(p.completed_at)
    assert by_id[LUCA.id]["review_status"] == "rejected"
    assert by_id[EVA.id]["review_status"] == "pending"
    assert by_id[EVA.id]["city"] == "München"
    assert by_id[MARTA.id]["review_status"] == "incomplete"
    assert by_id[MARTA.id]["completed_at"] == ""
    assert by_id[RITA.id]["organisation"] == "Cluster Têxtil Portugal"

    match, closed, foreign = await exchanges(bot)
    rows = parse_csv(files["exchanges-textiles-eu.csv"])
    assert [int(row["id"]) for row in rows] == [match.id, closed.id]
    first, second = rows
    assert first["phase"] == "approval" and first["visitor_id"] == str(anna.id)
    assert first["visitor_organisation"] == "'" + ANNA_ORG
    assert (first["host_id"], first["host_country"]) == (str(RITA.id), "PT")
    assert second == {
        "id": str(closed.id),
        "phase": "closed",
        "visitor_id": str(OTTO.id),
        "visitor_organisation": OTTO_ORG,  # the other side of Rita's exchange
        "visitor_country": "PL",
        "host_id": str(RITA.id),
        "host_organisation": "Cluster Têxtil Portugal",
        "host_country": "PT",
        "start_date": "2026-09-07",
        "end_date": "2026-09-11",
        "working_days": "5",
        "lump_sum_estimate": "1100",
        "goals_agenda_status": "validated",
        "happened": "yes",
        "host_rating": "5",
        "outcome_visitor": "project",
        "outcome_host": "contacts",
        "created_at": safe_cell(closed.created_at),
        "closed_at": "2026-10-02T09:30:00+00:00",
        "report_validated": "False",
        "evidence_status": "none",
        "final_lump_sum": "",
        "payment_approved_at": "",
        "paid_at": "",
        "payment_reference": "",
    }
    assert foreign.id not in {int(row["id"]) for row in rows}


async def test_non_staff_are_refused_and_logged(
    bot: BotDriver, anna: FakeUser, caplog: pytest.LogCaptureFixture
) -> None:
    pid = await make_partnership(bot, "textiles-eu", "Textiles Europe", staff=(SABINE,))
    await register(bot, anna, partnership=pid)  # a participant of the partnership, not staff
    for command in ("stats", "export"):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            r = await bot.send(anna, f"/{command}")
        assert r.texts == ["This command is for partnership staff only."]
        assert [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING] == [
            f"refused staff command '{command}' by {who(anna.id)}"  # a pseudonym, not the id
        ]
    assert bot.transport.calls_to("sendPhoto") == []
    assert bot.transport.calls_to("sendDocument") == []


async def test_staff_of_another_partnership_see_only_theirs(bot: BotDriver, anna: FakeUser) -> None:
    await scenario(bot, anna)
    agri_staff = FakeUser(id=7_310_050_010, first_name="Piotr", language_code="en")
    async with services_of(bot.app).db.session() as session:
        from storage.models import Partnership, Staff

        [agri] = (
            await session.execute(select(Partnership).where(Partnership.slug == "agri-eu"))
        ).scalars()
        session.add(User(id=agri_staff.id, state="idle"))
        await session.flush()
        session.add(Staff(partnership_id=agri.id, user_id=agri_staff.id))
        await session.commit()
    r = await bot.send(agri_staff, "/stats")
    text = plain(r.sent[0])
    assert "Figures for Agri Europe" in text and "Textiles Europe" not in text
    assert "Participants: 1" in text and "• Poland: 1" in text and "Germany" not in text
    assert "Exchanges: 2" in text and "• closed: 1" in text and "• visiting: 1" in text
    r = await bot.send(agri_staff, "/export")
    files = documents(r.sent)
    people = parse_csv(files["participants-agri-eu.csv"])
    assert [row["user_id"] for row in people] == [str(OTTO.id)]
    assert ANNA_NAME not in files["participants-agri-eu.csv"].decode("utf-8-sig")
    assert len(parse_csv(files["exchanges-agri-eu.csv"])) == 2


async def test_super_admin_gets_every_partnership(sqlite_url: str, clock, anna: FakeUser) -> None:
    driver = await BotDriver.start(make_settings(sqlite_url, admin_ids=[ADMIN.id]), clock=clock)
    try:
        await scenario(driver, anna)
        r = await driver.send(ADMIN, "/stats")
        # By name: Agri Europe, then Textiles Europe; a text and a chart each.
        assert [m.photo is not None for m in r.sent] == [False, True, False, True]
        assert "Figures for Agri Europe" in plain(r.sent[0])
        assert "Figures for Textiles Europe" in plain(r.sent[2])
        r = await driver.send(ADMIN, "/export")
        assert list(documents(r.sent)) == [
            "participants-agri-eu.csv",
            "exchanges-agri-eu.csv",
            "participants-textiles-eu.csv",
            "exchanges-textiles-eu.csv",
        ]
    finally:
        await driver.stop()
    assert driver.errors == []


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+2", "'=1+2"),
        ("+49 89 123", "'+49 89 123"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("Müller", "Müller"),
        (-2, "-2"),  # numbers are numbers
        (None, ""),
        (date(2027, 3, 1), "2027-03-01"),
    ],
)
def test_cells_are_guarded(value: object, cell: str) -> None:
    assert safe_cell(value) == cell
