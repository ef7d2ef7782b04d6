"""What people send during an exchange, through the real Application: visit dates counted in
the working days of the host's region (Corpus Christi in Munich, not in Berlin), and the
closing report's document (no programs or scripts, at most 20 MB, a clean file name)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.clock import FixedClock
from bot.services.exchanges.access import REPORT_DOC
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Phase
from tests.e2e.test_exchange import (
    SARA,
    WORDS,
    at,
    exchange_row,
    matched_and_validated,
    people,
)
from tests.e2e.test_matching import RITA_ANSWERS
from tests.helpers import register, state

HOLIDAY_WORDS = {
    "en": {
        "propose": "Propose dates",
        "other": "Propose other dates",
        "none": "not counted",
        "Munich": ("Public holidays (Bavaria, Germany) not counted: 27 May 2027 (Corpus Christi)"),
        "prompt": {"Munich": "Public holidays (Bavaria, Germany)", "Berlin": "(Berlin, Germany)"},
        "days": {4: "4 working days", 5: "5 working days"},
    },
    "de": {
        "propose": "Termine vorschlagen",
        "other": "Andere Termine vorschlagen",
        "none": "Nicht mitgezählte",
        "Munich": "Nicht mitgezählte Feiertage (Bayern, Deutschland): 27.05.2027 (Fronleichnam)",
        "prompt": {"Munich": "Feiertage (Bayern, Deutschland)", "Berlin": "(Berlin, Deutschland)"},
        "days": {4: "4 Arbeitstage", 5: "5 Arbeitstage"},
    },
}


async def host_and_visitor(bot: BotDriver, lang: str, city: str) -> tuple[FakeUser, FakeUser]:
    """A host in ``city`` (Germany) and a visitor in Graz (Austria), matched, no partnership."""
    host = FakeUser(id=7_500_000_001, first_name="Hanna", language_code=lang)
    visitor = FakeUser(id=7_500_000_002, first_name="Rita", language_code=lang)
    await register(bot, host, role="host", org_type="cluster", city=city)
    await register(
        bot,
        visitor,
        **{
            **RITA_ANSWERS,
            "role": "visitor",
            "country": "AT",
            "city": "Graz",
            "languages": ["en", "de"],
        },
    )
    await bot.press(host, "👍")
    await bot.press(visitor, "👍")
    return host, visitor


@pytest.mark.parametrize("lang", ["en", "de"])
@pytest.mark.parametrize(("city", "days"), [("München", 4), ("Berlin", 5)])
async def test_a_visit_counts_the_working_days_of_the_hosts_region(
    bot: BotDriver, lang: str, city: str, days: int
) -> None:
    w = HOLIDAY_WORDS[lang]
    host, visitor = await host_and_visitor(bot, lang, city)
    where = "Munich" if city == "München" else "Berlin"
    prompt = await bot.press(visitor, w["propose"])
    # Mon 24 – Fri 28 May 2027; Thursday 27 May is Corpus Christi, a holiday in Bavaria only.
    r = await bot.send(visitor, "24.5.2027 – 28.5.2027")
    ex = await exchange_row(bot)
    assert (ex.start_date, ex.end_date, ex.working_days) == (
        date(2027, 5, 24),
        date(2027, 5, 28),
        days,
    )
    assert w["prompt"][where] in prompt.text  # the question says where holidays count
    assert w["days"][days] in r.text and w["days"][days] in r.others[host.id][0].text
    if where == "Munich":
        assert w["Munich"] in r.text and w["Munich"] in r.others[host.id][0].text
    else:
        assert w["none"] not in r.text  # no holiday named
    # Five working days from that Monday end a day later in Munich.
    await bot.press(host, w["other"])
    r = await bot.send(host, "24 May 2027 + 5")
    ex = await exchange_row(bot)
    assert ex.end_date == (date(2027, 5, 31) if where == "Munich" else date(2027, 5, 28))
    assert ex.working_days == 5


async def test_a_city_with_holidays_of_its_own(bot: BotDriver) -> None:
    # Augsburg keeps its Peace Festival on 8 August: a Monday in 2028.
    _host, visitor = await host_and_visitor(bot, "en", "Augsburg")
    await bot.press(visitor, "Propose dates")
    r = await bot.send(visitor, "7.8.2028 – 11.8.2028")
    assert (await exchange_row(bot)).working_days == 4
    assert "Public holidays (Augsburg, Germany) not counted: 8 Aug 2028" in r.text


# ------------------------------------------------------------------ the report's document


async def at_the_document_question(
    bot: BotDriver, clock: FixedClock, lang: str = "en"
) -> tuple[FakeUser, FakeUser]:
    """An exchange whose visitor (Anna) is asked for the report's optional document."""
    w = WORDS[lang]
    anna, rita = people(lang)
    await matched_and_validated(bot, anna, rita)
    await bot.press(SARA, "Approve")
    await bot.press(anna, w["propose"])
    await bot.send(anna, "2027-05-03 - 2027-05-07")
    await bot.press(rita, w["confirm"])
    at(clock, datetime(2027, 5, 7, 12, 0, tzinfo=UTC))
    await bot.send(anna, "/exchange")
    await bot.press(anna, w["yes"])
    await bot.press(anna, w["report"])
    await bot.send(anna, "Toured the recycling plant and ran a joint workshop.")
    await bot.send(anna, "We agreed on a pilot with recycled fibres.")
    await bot.send(anna, "A joint Horizon proposal in spring.")
    return anna, rita


@pytest.mark.parametrize(
    ("filename", "mime"),
    [
        ("agenda.exe", None),
        ("Agenda.PDF.EXE", None),
        ("install.msi", None),
        ("run.sh", None),
        ("macro.docm", None),
        ("page.html", None),
        ("innocent.pdf", "application/x-msdownload"),  # the type gives it away
        ("attend\u202efdp.exe", "application/pdf"),  # shows as "attendexe.pdf"
        ("script", "text/x-python"),
    ],
)
async def test_programs_and_scripts_are_refused(
    staffed: BotDriver, clock: FixedClock, filename: str, mime: str | None
) -> None:
    bot = staffed
    anna, _rita = await at_the_document_question(bot, clock)
    r = await bot.process(anna, bot.updates.document(anna, filename, mime_type=mime))
    assert "I can't accept programs or scripts" in r.text and "Skip" in bot.buttons(anna)
    assert SARA.id not in r.others
    ex = await exchange_row(bot)
    assert ex.phase == Phase.RETURNING and ex.report_file_id is None
    assert await state(bot, anna.id) == REPORT_DOC
    # A PDF afterwards is taken.
    r = await bot.process(anna, bot.updates.document(anna, "attendance.pdf"))
    assert "closing report is filed" in r.text
    assert (await exchange_row(bot)).report_file_name == "attendance.pdf"


async def test_a_file_over_the_limit_is_refused_with_the_limit(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot = staffed
    anna, _rita = await at_the_document_question(bot, clock)
    big = bot.updates.document(anna, "photos.pdf", file_size=25 * 1024 * 1024)
    r = await bot.process(anna, big)
    assert "That file is 25 MB; the limit is 20 MB" in r.text
    assert (await exchange_row(bot)).report_file_id is None
    question = bot.transport.messages(anna.id)[-2].text or ""
    assert "optionally, send a document of up to 20 MB" in question  # the limit is named
    r = await bot.process(anna, bot.updates.document(anna, "photos.pdf", file_size=20 * 1024**2))
    assert "closing report is filed" in r.text


async def test_control_and_bidi_characters_leave_the_file_name(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot = staffed
    anna, _rita = await at_the_document_question(bot, clock)
    # Control and format characters go; the real type is PDF here. (A document sent on by its
    # file_id keeps Telegram's own name; its real extension was checked on the clean name.)
    name = "\u202eattend\u200bance\x07\n.pdf"
    r = await bot.process(anna, bot.updates.document(anna, name, mime_type="application/pdf"))
    assert "closing report is filed" in r.text
    assert (await exchange_row(bot)).report_file_name == "attendance.pdf"
    shown = " ".join(m.text or m.caption or "" for m in r.others[SARA.id])
    assert "📎 attendance.pdf" in shown
    assert not any(ch in shown for ch in "\u202e\u200b\x07")


async def test_the_german_refusals(staffed: BotDriver, clock: FixedClock) -> None:
    bot = staffed
    anna, _rita = await at_the_document_question(bot, clock, "de")
    r = await bot.process(anna, bot.updates.document(anna, "tool.exe"))
    assert "Programme und Skripte kann ich nicht annehmen (tool.exe)" in r.text
    r = await bot.process(anna, bot.updates.document(anna, "x.pdf", file_size=21 * 1024**2))
    assert "Die Datei ist 21 MB groß; erlaubt sind höchstens 20 MB" in r.text
    assert any("Dokument bis 20 MB" in (m.text or "") for m in bot.transport.messages(anna.id))
