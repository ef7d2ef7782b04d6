"""Data protection through the real Application (GDPR Art. 15 and 17): /mydata exports every
row that names the person, /deleteme cancels a running exchange but leaves the partner their
record, and after an erasure no personal value is left in any table, in the SQLite file or
its write-ahead log, or in the logs; /privacy names the controller, the retention periods
and the right to complain."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, event, or_, select
from sqlalchemy.pool import Pool
from sqlmodel import SQLModel

from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.pseudonyms import who
from bot.services.account.service import SECTIONS
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import (
    ACTOR_COLUMNS,
    Event,
    EventMatch,
    Exchange,
    ExchangeEvent,
    ExchangeEvidence,
    ImportedProfile,
    LiveCard,
    Phase,
    Profile,
    Proposal,
    ReviewFollowUp,
    StaffInvite,
    User,
)
from tests.conftest import make_settings
from tests.e2e.test_exchange import (
    ADMIN,
    PEDRO,
    SARA,
    approve,
    at,
    exchange_row,
    matched_and_validated,
    people,
)
from tests.e2e.test_matching import RITA, RITA_ANSWERS
from tests.helpers import ANSWERS, all_rows, make_event, make_partnership, register

# Columns that are 64-bit but hold no Telegram user id.
NOT_A_USER = {("inbox", "update_id")}


def user_id_columns() -> set[tuple[str, str]]:
    """Every column that can hold a Telegram user id, from the schema: a foreign key to
    ``user.id``, an actor column, or any other 64-bit integer (Telegram's ids need 64 bits;
    the bot's own ids do not)."""
    found = {(table, column) for table, columns in ACTOR_COLUMNS.items() for column in columns}
    for table in SQLModel.metadata.sorted_tables:
        for column in table.columns:
            to_user = any(fk.column.table.name == "user" for fk in column.foreign_keys)
            if to_user or isinstance(column.type, BigInteger):
                found.add((table.name, column.name))
    return found - NOT_A_USER


# ----------------------------------------------------------------- /mydata (Art. 15)


async def _fill_every_column(bot: BotDriver, anna: FakeUser, rita: FakeUser) -> None:
    """Anna appears in every column that can hold a user id: through the real flows where
    they exist (registration, a validated match, dates with their reminders, goals and agenda,
    an event sign-up), by direct inserts for the rest (staff work, imports, invitations)."""
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, "Propose dates")
    await bot.send(anna, "3.5.2027 5")  # dates_by
    await bot.press(rita, "Confirm dates")  # reminders for both
    await bot.press(anna, "Write goals and agenda")
    await bot.send(anna, "Learn how fibres are recycled at industrial scale.")
    await bot.send(anna, "Day 1: plant tour. Day 2: workshop. Day 3: joint proposal.")
    code = await make_event(bot, await make_partnership(bot, "events", "Events EU"))
    await bot.send(anna, f"/start ev_{code}")  # attends
    # Anna is also staff of a partnership: her decisions and invitations.
    own = await make_partnership(bot, "anna-staff", "Anna's Partnership", staff=(anna,))
    before, after = 1_000, 9_999_999_999  # ids below and above Anna's
    async with services_of(bot.app).db.session() as session:
        for uid in (before, after):
            session.add(User(id=uid, consent="given", state="idle"))
        await session.flush()
        session.add(Profile(user_id=before, reviewed_by=anna.id, review="approved"))
        proposal = Proposal(a_id=before, b_id=anna.id, a_status="shown", b_status="shown")
        session.add(proposal)
        await session.flush()
        session.add(LiveCard(chat_id=anna.id, message_id=4_242, tag=f"proposal:{proposal.id}"))
        other = Exchange(
            visitor_id=before, host_id=anna.id, phase=Phase.CLOSED, direction_by=anna.id
        )
        staff_work = Exchange(
            visitor_id=before,
            host_id=after,
            phase=Phase.PLANNING,
            payment_approved_by=anna.id,  # Anna's staff work: the payment
            paid_by=anna.id,
        )
        session.add_all([other, staff_work])
        await session.flush()
        [mine] = (
            await session.execute(select(Exchange).where(Exchange.visitor_id == anna.id))
        ).scalars()
        session.add(  # evidence Anna handed in for her own exchange
            ExchangeEvidence(
                exchange_id=mine.id,
                user_id=anna.id,
                file_id="file-1",
                file_unique_id="uniq-1",
                name="boarding-pass.pdf",
                mime_type="application/pdf",
                size=1000,
            )
        )
        session.add(
            ExchangeEvent(
                exchange_id=staff_work.id,
                actor_id=anna.id,
                action="match_approved",
                phase=Phase.PLANNING,
            )
        )
        [event] = (await session.execute(select(Event))).scalars()
        session.add(
            Event(
                code="anna-event",
                partnership_id=own,
                created_by=anna.id,
                name="Anna's day",
                starts_on=event.starts_on,
                ends_on=event.ends_on,
                city="Augsburg",
            )
        )
        now = datetime.now(UTC)
        session.add(EventMatch(event_id=event.id, a_id=before, b_id=anna.id))
        # A registration of Anna's the staff follow-up remembers as waiting.
        session.add(ReviewFollowUp(key=f"p:{anna.id}:1", user_id=anna.id, since=now))
        session.add(EventMatch(event_id=event.id, a_id=anna.id, b_id=after, matched_at=now))
        session.add(
            ImportedProfile(
                external_id="imp-1",
                record={"name": "Anna Schmidt"},
                invite_token="tok-imp-1",
                claimed_by=anna.id,
            )
        )
        session.add(
            StaffInvite(
                token="made-by-anna",
                partnership_id=own,
                created_by=anna.id,
                expires_at=now + timedelta(days=7),
                used_by=after,
                used_at=now,
            )
        )
        session.add(
            StaffInvite(
                token="used-by-anna",
                partnership_id=own,
                created_by=ADMIN.id,
                expires_at=now + timedelta(days=7),
                used_by=anna.id,
                used_at=now,
            )
        )

        await session.commit()


async def _rows_naming(bot: BotDriver, user_id: int) -> dict[str, list[dict]]:
    """From the database: every row that names the user in a column of ``user_id_columns``,
    and the audit trail of the user's exchanges, by table."""
    columns: dict[str, list[str]] = {}
    for table, column in user_id_columns():
        columns.setdefault(table, []).append(column)
    out: dict[str, list[dict]] = {}
    async with services_of(bot.app).db.session() as session:
        for name, cols in columns.items():
            table = SQLModel.metadata.tables[name]
            condition = or_(*(table.c[c] == user_id for c in cols))
            if name == "exchange_event":
                mine = select(Exchange.id).where(
                    or_(Exchange.visitor_id == user_id, Exchange.host_id == user_id)
                )
                condition = or_(condition, table.c.exchange_id.in_(mine))
            result = await session.execute(select(table).where(condition))
            out[name] = [dict(row) for row in result.mappings()]
    return out


async def test_mydata_exports_every_row_that_names_the_person(staffed: BotDriver) -> None:
    bot = staffed
    anna, rita = people("en")
    await _fill_every_column(bot, anna, rita)
    stored = await _rows_naming(bot, anna.id)
    for table, column in sorted(user_id_columns()):  # the fill reaches every column
        assert any(row[column] == anna.id for row in stored[table]), f"{table}.{column} unfilled"

    r = await bot.send(anna, "/mydata")
    data = json.loads(r.last.document.content)

    def exported(table: str) -> list[dict]:
        found = data.get(SECTIONS.get(table, table))
        rows = [found] if isinstance(found, dict) else list(found or [])
        if table == "profile":
            rows += data["profile_reviews"]  # other people's profiles Anna validated
        return rows

    for table, rows in sorted(stored.items()):
        assert len(exported(table)) == len(rows), f"{table}: not every row is exported"
        keys = [c.name for c in SQLModel.metadata.tables[table].primary_key]
        mine = {
            tuple(row[k] for k in keys) for row in exported(table) if all(k in row for k in keys)
        }
        assert mine <= {tuple(row[k] for k in keys) for row in rows}, table

    # The exchange with everything written in it, and its history.
    [ex] = [row for row in data["exchanges"] if row["visitor_id"] == anna.id]
    assert ex["goals"].startswith("Learn how fibres") and ex["agenda"].startswith("Day 1")
    assert ex["dates_by"] == anna.id and ex["host_id"] == rita.id  # both agreed: not hidden
    assert {"created", "match_approved", "dates_agreed"} <= {
        e["action"] for e in data["exchange_history"] if e["exchange_id"] == ex["id"]
    }
    assert {r["kind"] for r in data["reminders"]} >= {"before"}
    assert data["messages_to_you"] and all(r["chat_id"] == anna.id for r in data["messages_to_you"])
    # Other people's ids stay hidden where the chat hides them.
    [pending] = [p for p in data["proposals"] if p["matched_at"] is None]
    assert pending["a_id"] is None and pending["b_id"] == anna.id
    unmatched, matched = sorted(data["event_matches"], key=lambda m: m["matched_at"] or "")
    assert unmatched["a_id"] is None and matched["b_id"] == 9_999_999_999
    staff_steps = [e for e in data["exchange_history"] if e["exchange_id"] == ex["id"]]
    assert {e["actor_id"] for e in staff_steps} == {anna.id, rita.id, None}  # staff: hidden
    [review] = data["profile_reviews"]
    assert review["review"] == "approved" and "user_id" not in review
    invites = {i["token"]: i for i in data["staff_invitations"]}
    assert invites["made-by-anna"]["used_by"] is None
    assert invites["used-by-anna"]["created_by"] is None
    assert data["imported_registrations"][0]["external_id"] == "imp-1"
    assert data["events_created"][0]["name"] == "Anna's day"
    assert data["staff_roles"] and data["events_joined"]


def test_the_schema_check_sees_every_user_column() -> None:
    """The derivation above is what makes the export test fail for a new table: it must
    find the columns that hold user ids (the three kinds), and nothing else."""
    found = user_id_columns()
    assert ("outbox", "chat_id") in found and ("staff_invite", "created_by") in found
    assert ("exchange_event", "actor_id") in found and ("reminder", "user_id") in found
    assert ("inbox", "update_id") not in found and ("exchange", "id") not in found


# ----------------------------------------------------------------- /deleteme with an exchange

WORDS = {
    "en": {
        "running": "You have 1 running exchange",
        "visit": "your visit to <b>Cluster Têxtil Portugal</b>",
        "cancelled_q": "it is cancelled",
        "erased": "All your data has been erased",
        "partner": "the visitor has left ClusterXchange",
        "left": "a participant who left",
        "phase": "Phase: cancelled",
    },
    "de": {
        "running": "Sie haben 1 laufenden Austausch",
        "visit": "Ihr Besuch bei <b>Cluster Têxtil Portugal</b>",
        "cancelled_q": "wird er abgesagt",
        "erased": "Alle Ihre Daten wurden gelöscht",
        "partner": "Der Besucher ist aus ClusterXchange ausgetreten",
        "left": "[ausgetretene Person]",
        "phase": "Phase: abgesagt",
    },
}


def _erase_button(bot: BotDriver, user: FakeUser) -> tuple:
    """The newest "Yes, erase everything" button (any language)."""
    for message in reversed(bot.transport.messages(user.id)):
        for row in message.buttons():
            for _label, data in row:
                if data.startswith("del:yes"):
                    return message, data
    raise LookupError("no erasure button")


def _file_and_log(path: Path) -> bytes:
    """The raw bytes of a SQLite database and its write-ahead log."""
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_erasure_cancels_a_running_exchange_and_leaves_the_partner_their_record(
    staffed: BotDriver, clock: FixedClock, lang: str
) -> None:
    bot, w = staffed, WORDS[lang]
    anna, rita = people(lang)
    # A confirmation from before the exchange existed is not enough: the question comes
    # again, with the warning.
    await bot.send(anna, "/deleteme")
    old_yes = _erase_button(bot, anna)
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, "Propose dates" if lang == "en" else "Termine vorschlagen")
    await bot.send(anna, "3.5.2027 5")
    await bot.press(rita, "Confirm dates" if lang == "en" else "Termine bestätigen")
    r = await bot.press_data(anna, old_yes[1], old_yes[0].message_id)
    assert w["running"] in r.edited[0].text and (await exchange_row(bot)).phase == Phase.VISITING

    r = await bot.send(anna, "/deleteme")
    assert w["running"] in r.text and w["visit"] in r.text and w["cancelled_q"] in r.text
    message, data = _erase_button(bot, anna)
    r = await bot.press_data(anna, data, message.message_id)
    assert w["erased"] in r.edited[0].text
    # The partner and the staff of both partnerships are told, each in their language.
    assert w["partner"] in r.others[rita.id][0].text
    assert "Textilwerk" not in r.others[rita.id][0].text
    assert "the visitor left ClusterXchange" in r.others[SARA.id][0].text  # Sara reads English
    assert "Der Besucher ist aus ClusterXchange" in r.others[PEDRO.id][0].text  # Pedro German
    assert anna.id not in r.others

    ex = await exchange_row(bot)
    assert ex.phase == Phase.CANCELLED and ex.visitor_id < 0 and ex.host_id == rita.id
    async with services_of(bot.app).db.session() as session:
        trail = (
            (
                await session.execute(
                    select(ExchangeEvent)
                    .where(ExchangeEvent.exchange_id == ex.id)
                    .order_by(ExchangeEvent.id)
                )
            )
            .scalars()
            .all()
        )
    assert (trail[-1].action, trail[-1].actor_id) == ("visitor_left", None)  # by the bot
    assert anna.id not in {e.actor_id for e in trail}

    # The partner's /exchange still shows it, with the visitor pseudonymised.
    r = await bot.send(rita, "/exchange")
    assert w["left"] in r.text and w["phase"] in r.text and "Textilwerk" not in r.text
    # Staff: History, /pending, /stats and /export work with the pseudonymised side.
    r = await bot.press(SARA, "History")
    assert "a participant who left" in r.text and "the visitor left ClusterXchange" in r.text
    assert "Textilwerk" not in r.text and "Anna" not in r.text
    r = await bot.send(SARA, "/pending")
    assert "Nothing waits" in r.text
    r = await bot.send(SARA, "/stats")
    assert "cancelled: 1" in r.text
    r = await bot.send(SARA, "/export")
    [exchanges] = [m.document for m in r.sent if m.document and "exchanges" in m.document.filename]
    [row] = list(csv.DictReader(io.StringIO(exchanges.content.decode("utf-8-sig"))))
    assert row["visitor_organisation"] == "a participant who left" and row["visitor_id"] == ""
    assert row["host_organisation"] == "Cluster Têxtil Portugal" and row["phase"] == "cancelled"
    # The visit's reminders are not sent any more.
    at(clock, datetime(2027, 4, 19, 7, 0, tzinfo=UTC))
    await dispatch(bot.app)
    assert "starts in 14 days" not in (bot.transport.last_message(rita.id).text or "")
    # The erased visitor can start again from scratch.
    r = await bot.send(anna, "/mydata")
    assert "I have no data about you" in r.text or "keine Daten" in r.text


async def test_a_closed_exchange_stays_with_the_host_when_the_visitor_leaves(
    staffed: BotDriver,
) -> None:
    """Only running exchanges are cancelled; a finished one stays as it was, pseudonymised,
    and nobody is told."""
    bot = staffed
    anna, rita = people("en")
    await matched_and_validated(bot, anna, rita)
    ex = await exchange_row(bot)
    async with services_of(bot.app).db.session() as session:
        row = await session.get(Exchange, ex.id)
        assert row is not None
        row.phase, row.goals, row.outcome_visitor = Phase.CLOSED, "Learn a lot", "project"
        row.outcome_host = "contact"
        await session.commit()
    r = await bot.send(anna, "/deleteme")
    assert "running exchange" not in r.text
    r = await bot.press(anna, "erase")
    assert r.others == {}
    ex = await exchange_row(bot)
    assert ex.phase == Phase.CLOSED and ex.visitor_id < 0
    assert (ex.goals, ex.outcome_visitor, ex.outcome_host) == (None, None, "contact")
    r = await bot.send(rita, "/exchange")
    assert "a participant who left" in r.text and "Phase: closed" in r.text


# ----------------------------------------------------------------- nothing personal remains

ZOFIA = FakeUser(id=7_310_077_001, first_name="Zofia", username="xyloquell_zq", language_code="en")
DISTINCT = {
    "name": "Zofia Quellbrunn",
    "organisation": "Xyloquell Fasertechnik GmbH",
    "email": "zofia@xyloquell.example",
    "offers": ANSWERS["offers"] + "; Xyloquell fibre sorting",
    "seeks": ANSWERS["seeks"] + " for Xyloquell pilots",
    "motivation": "Xyloquell wants to learn how Portuguese clusters recycle textiles.",
}
WRITTEN = (
    "Goals of Xyloquell: learn fibre recycling at scale.",
    "Agenda of Xyloquell: day 1 plant tour, day 2 workshop.",
    "Xyloquell toured the recycling plant with the host.",
    "Xyloquell agreed on a pilot with recycled fibres.",
    "Xyloquell and the host write a Horizon proposal.",
)


def _needles(user: FakeUser) -> list[str]:
    return [str(user.id), user.username or "", *DISTINCT.values(), *WRITTEN]


async def _zofia_in_everything(bot: BotDriver, clock: FixedClock) -> FakeUser:
    """Zofia registers (visitor), is matched and validated, plans the visit, writes goals,
    agenda and the closing report (waiting for validation: still running), signs up for an
    event and is staff of a partnership."""
    _anna, rita = people("en")
    textiles = await make_partnership(bot, "textiles-eu", "Textiles EU", staff=(SARA,))
    iberia = await make_partnership(
        bot, "iberia", "Iberian Clusters", ecosystems=("digital",), staff=(PEDRO,)
    )
    await register(bot, ZOFIA, partnership=textiles, **DISTINCT)
    await register(bot, rita, partnership=iberia, **{**RITA_ANSWERS, "languages": ["en", "de"]})
    await approve(bot, SARA)
    await approve(bot, PEDRO)
    await bot.press(ZOFIA, "👍")
    await bot.press(rita, "👍")
    await bot.press(SARA, "Approve")
    await bot.press(ZOFIA, "Propose dates")
    await bot.send(ZOFIA, "3.5.2027 5")
    await bot.press(rita, "Confirm dates")
    await bot.press(ZOFIA, "Write goals and agenda")
    await bot.send(ZOFIA, WRITTEN[0])
    await bot.send(ZOFIA, WRITTEN[1])
    await bot.press(rita, "I agree")
    at(clock, datetime(2027, 5, 8, 8, 0, tzinfo=UTC))
    await dispatch(bot.app)
    await bot.press(ZOFIA, "Yes, it took place")
    await bot.press(ZOFIA, "Write the closing report")
    for text in WRITTEN[2:]:
        await bot.send(ZOFIA, text)
    await bot.press(ZOFIA, "Skip")
    assert (await exchange_row(bot)).phase == Phase.REPORT_REVIEW
    code = await make_event(bot, textiles)
    await bot.send(ZOFIA, f"/start ev_{code}")
    await make_partnership(bot, "xq-staff", "Xyloquell Staff", staff=(ZOFIA,))
    flat = repr(await all_rows(bot))
    assert all(needle in flat for needle in _needles(ZOFIA)), "the test data is not stored"
    return rita


@pytest.fixture
def secure_delete_off_by_default() -> Iterator[None]:
    """Connections start with ``secure_delete`` off, as on most SQLite builds (Debian's
    turns it on at compile time): the bot must turn it on itself."""

    def off(dbapi_connection: Any, _record: Any) -> None:
        if "sqlite" in type(dbapi_connection).__module__:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA secure_delete=OFF")
            cursor.close()

    event.listen(Pool, "connect", off)  # class-level listeners run before the engine's own
    yield
    event.remove(Pool, "connect", off)


async def test_after_erasure_no_personal_value_remains_in_any_table_or_file(
    secure_delete_off_by_default: None, staffed: BotDriver, clock: FixedClock
) -> None:
    bot = staffed
    rita = await _zofia_in_everything(bot, clock)
    await bot.send(ZOFIA, "/deleteme")
    r = await bot.press(ZOFIA, "Yes, erase everything")
    assert "All your data has been erased" in r.edited[0].text

    flat = repr(await all_rows(bot))
    for needle in _needles(ZOFIA):
        assert needle not in flat, needle
    assert "Cluster Têxtil Portugal" in flat and "Rita Sousa" in flat  # the partner stays

    url = services_of(bot.app).settings.database_url
    if url.startswith("sqlite"):
        raw = _file_and_log(Path(url.split(":///", 1)[1]))
        for needle in _needles(ZOFIA)[1:]:  # the id is stored as an integer, not as text
            assert needle.encode("utf-8") not in raw, needle
        assert ZOFIA.id.to_bytes(6, "big") not in raw  # nor as SQLite stores it (6 bytes)
    r = await bot.send(rita, "/exchange")
    assert "a participant who left" in r.text and "Xyloquell" not in r.text


async def test_logs_carry_pseudonyms_not_ids_or_names(
    staffed: BotDriver, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    """Registration, a match, staff decisions and an erasure: no log record holds a Telegram
    id, a name or a username (the bot's own loggers at every level, the rest at INFO)."""
    bot = staffed
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="bot")
    rita = await _zofia_in_everything(bot, clock)
    await bot.press_data(FakeUser(id=5_099, first_name="Olga"), "sv:m:1:a")  # refused, logged
    await bot.send(ZOFIA, "/deleteme")
    await bot.press(ZOFIA, "Yes, erase everything")
    lines = [rec.getMessage() for rec in caplog.records]
    text = "\n".join(lines)
    for person in (ZOFIA, rita, SARA, PEDRO):
        for needle in (str(person.id), person.first_name, person.username):
            if needle:
                assert needle not in text, needle
    for needle in (*DISTINCT.values(), "Rita Sousa", "Cluster Têxtil Portugal", "5099"):
        assert needle not in text, needle
    # People are still traceable in the logs, by their pseudonym.
    assert any(who(ZOFIA.id) in line for line in lines)  # the erasure
    assert any(who(SARA.id) in line for line in lines)  # a staff decision


def test_pseudonyms_are_stable_and_keyed() -> None:
    from bot import pseudonyms

    settings = make_settings("sqlite+aiosqlite:///unused.db", log_secret="s3cret")
    try:
        pseudonyms.configure(settings.pseudonym_key())
        first = who(7_310_042_111)
        pseudonyms.configure(settings.pseudonym_key())  # a restart
        assert who(7_310_042_111) == first and re.fullmatch(r"u-[0-9a-f]{12}", first)
        assert who(7_310_042_112) != first and "7310042111" not in first
        pseudonyms.configure("another secret")
        assert who(7_310_042_111) != first
    finally:
        pseudonyms.configure(make_settings("sqlite+aiosqlite:///unused.db").pseudonym_key())


# ----------------------------------------------------------------- /privacy


@pytest.fixture
async def controller_bot(sqlite_url: str, clock: FixedClock) -> AsyncIterator[BotDriver]:
    settings = make_settings(
        sqlite_url,
        controller_name="Cluster Partnership <Textiles> e.V.",
        controller_contact="privacy@textiles.example",
    )
    driver = await BotDriver.start(settings, clock=clock)
    yield driver
    await driver.stop()
    assert driver.errors == []


PRIVACY = {
    "en": (
        "The controller of your data is Cluster Partnership &lt;Textiles&gt; e.V., "
        "privacy@textiles.example.",
        "deleted after 2 days",
        "deleted after 1 day",
        "until you send /deleteme",
        "lodge a complaint with a data protection supervisory authority",
        "GDPR Art. 77",
    ),
    "de": (
        "Verantwortlich für Ihre Daten ist Cluster Partnership &lt;Textiles&gt; e.V., "
        "privacy@textiles.example.",
        "nach 2 Tagen",
        "nach 1 Tag",
        "bis Sie /deleteme senden",
        "bei einer Datenschutz-Aufsichtsbehörde zu beschweren",
        "Art. 77 DSGVO",
    ),
}


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_privacy_names_controller_retention_and_the_right_to_complain(
    controller_bot: BotDriver, lang: str
) -> None:
    user = FakeUser(id=7_310_042_444, first_name="Lea", language_code=lang)
    r = await controller_bot.send(user, "/privacy")
    for phrase in PRIVACY[lang]:
        assert phrase in r.text, phrase
    # Paragraphs are separated by one blank line before each heading, nowhere else.
    assert r.text == r.text.strip() and "\n\n\n" not in r.text
    assert re.findall(r"\n\n(?!<b>)", r.text) == []
    assert all(line.strip() for line in r.text.split("\n\n"))


async def test_privacy_without_a_configured_controller_says_whom_to_ask(
    bot: BotDriver, anna: FakeUser
) -> None:
    r = await bot.send(anna, "/privacy")
    assert "has not named the controller" in r.text and "Art. 77" in r.text


async def test_a_waiting_message_that_names_the_erased_person_is_not_sent(
    any_db_bot: BotDriver, clock: FixedClock, anna: FakeUser
) -> None:
    """Rita's Telegram is busy (flood control) when the match happens, so her introduction,
    with Anna's name and contact, waits for a retry; Anna erases her data meanwhile. The
    introduction is not sent any more, and its text is gone."""
    bot = any_db_bot
    await register(bot, anna)
    await register(bot, RITA, **RITA_ANSWERS)
    await bot.send(RITA, "/matches")
    await bot.press(RITA, "Interested")
    bot.transport.fail_next("sendMessage", "retry_after", chat_id=RITA.id, retry_after=30)
    r = await bot.press(anna, "Interested")
    assert "It's a match" in r.text and RITA.id not in r.others  # Rita's waits
    await bot.send(anna, "/deleteme")
    r = await bot.press(anna, "Yes, erase everything")
    assert "the visitor has left" in r.others[RITA.id][0].text
    flat = repr(await all_rows(bot))
    for needle in (str(anna.id), "Anna Schmidt", "anna@example.org", "Textilwerk Augsburg"):
        assert needle not in flat, needle
    clock.advance(timedelta(hours=1))
    await dispatch(bot.app)
    texts = [m.text or "" for m in bot.transport.messages(RITA.id)]
    assert not any("Anna Schmidt" in text or "It's a match" in text for text in texts)
