"""Finalisation through the real Application: the visitor's evidence (kept, refused, rejected
and added to), the report and the evidence validated separately, the certificate for both
sides, the final lump sum approved for payment and marked paid, and the staff reminded once
of a payment left unpaid."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from sqlalchemy import func, select

from bot.clock import FixedClock
from bot.context import services_of
from bot.handlers.jobs import dispatch
from bot.transport import telegram_html
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage.models import Evidence, ExchangeEvent, ExchangeEvidence, Phase
from tests.e2e.test_exchange import (
    SARA,
    at,
    exchange_row,
    matched_and_validated,
    people,
    press_newest,
)

MB = 1024 * 1024

WORDS = {
    "en": {
        "prompt": "PDF, JPEG or PNG, up to 10 MB per file, at most 10 files",
        "type": "only PDF, JPEG and PNG files",
        "big": "the limit is 10 MB per file",
        "received": "Received: boarding-pass.pdf",
        "so_far_2": "Your evidence so far (2 files)",
        "many": "You have sent 10 files, the most I can keep",
        "reason": "Travel or accommodation evidence is missing",
        "again": "Your evidence needs another look",
        "report_ok": "The exchange closes once your evidence",
        "closed": "is closed",
        "certificate": "Certificate of participation",
        "dates": "3 – 7 May 2027",
        "approved": "approved the lump sum of €1,100",
        "paid": "was paid on",
        "overview": "Lump sum of €1,100 paid on 8 May 2027.",
        "reminder": "is not marked as paid yet",
        "text_instead": "Please send the evidence as a file or a photo",
    },
    "de": {
        "prompt": "PDF, JPEG oder PNG, bis 10 MB je Datei, höchstens 10 Dateien",
        "type": "nur PDF-, JPEG- und PNG-Dateien",
        "big": "die Grenze liegt bei 10 MB je Datei",
        "received": "Erhalten: boarding-pass.pdf",
        "so_far_2": "Ihre Nachweise bisher (2 Dateien)",
        "many": "Sie haben 10 Dateien gesendet, mehr kann ich nicht aufbewahren",
        "reason": "Nachweis für Reise oder Unterkunft fehlt",
        "again": "Ihre Nachweise müssen noch einmal angesehen werden",
        "report_ok": "Der Austausch wird abgeschlossen, sobald Ihre Nachweise",
        "closed": "ist abgeschlossen",
        "certificate": "Teilnahmebestätigung",
        "dates": "03.–07.05.2027",
        "approved": "die Pauschale von 1.100\u00a0€",
        "paid": "wurde am",
        "overview": "Pauschale von 1.100\u00a0€ am 08.05.2027 bezahlt.",
        "reminder": "ist noch nicht als bezahlt markiert",
        "text_instead": "Bitte senden Sie die Nachweise als Datei oder Foto",
    },
}


def plain(message) -> str:  # type: ignore[no-untyped-def]
    """What the reader sees (the transport stores the HTML)."""
    return telegram_html.parse(message.text or message.caption or "")


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


async def returning(bot: BotDriver, clock: FixedClock, anna: FakeUser, rita: FakeUser) -> int:
    """Walk an exchange to the time after the visit, which took place: the visitor may file
    the report and hand in evidence. Returns the exchange's id."""
    await matched_and_validated(bot, anna, rita)
    await press_newest(bot, SARA, "sv:m:")  # the match is validated
    await press_newest(bot, anna, "x:d:")
    await bot.send(anna, "3.5.2027 5")
    await press_newest(bot, rita, "x:ok:")
    at(clock, datetime(2027, 5, 8, 8, 0, tzinfo=UTC))
    await dispatch(bot.app)  # "did it take place?"
    await press_newest(bot, anna, "x:h:")  # yes
    ex = await exchange_row(bot)
    assert ex.phase == Phase.RETURNING
    return ex.id or 0


async def file_report(bot: BotDriver, anna: FakeUser) -> None:
    await press_newest(bot, anna, "x:rep:")
    await bot.send(anna, "Toured the recycling plant and ran a joint workshop.")
    await bot.send(anna, "We agreed on a pilot with recycled fibres.")
    await bot.send(anna, "A joint Horizon proposal in spring.")
    await press_newest(bot, anna, "x:rs:")  # no attachment
    assert (await exchange_row(bot)).phase == Phase.REPORT_REVIEW


async def evidence_rows(bot: BotDriver) -> list[ExchangeEvidence]:
    async with services_of(bot.app).db.session() as session:
        rows = await session.execute(select(ExchangeEvidence).order_by(ExchangeEvidence.id))
        return list(rows.scalars())


async def audit_count(bot: BotDriver) -> int:
    async with services_of(bot.app).db.session() as session:
        return (await session.execute(select(func.count()).select_from(ExchangeEvent))).scalar_one()


@pytest.mark.parametrize("lang", ["en", "de"])
async def test_evidence_report_certificate_and_payment(
    staffed: BotDriver, clock: FixedClock, lang: str
) -> None:
    bot, w = staffed, WORDS[lang]
    anna, rita = people(lang)
    xid = await returning(bot, clock, anna, rita)
    await file_report(bot, anna)
    assert "x:ev:" in str(bot.transport.last_message(anna.id).buttons())  # evidence asked

    # Evidence: a program and a file too big are refused; PDFs and photos are kept.
    r = await press_newest(bot, anna, "x:ev:")
    assert w["prompt"] in plain(r.last)
    r = await bot.send(anna, "here they come")
    assert w["text_instead"] in plain(r.last)
    r = await bot.process(anna, bot.updates.document(anna, "ticket.exe"))
    assert w["type"] in plain(r.last)
    r = await bot.process(anna, bot.updates.document(anna, "notes.docx"))
    assert w["type"] in plain(r.last)
    r = await bot.process(anna, bot.updates.document(anna, "invoice.pdf", file_size=11 * MB))
    assert w["big"] in plain(r.last)
    assert await evidence_rows(bot) == []
    r = await bot.process(anna, bot.updates.document(anna, "boarding-pass.pdf", file_size=MB))
    assert w["received"] in plain(r.last)
    r = await bot.process(anna, bot.updates.photo(anna))
    assert w["so_far_2"] in plain(r.last)
    rows = await evidence_rows(bot)
    assert (rows[0].name, rows[0].mime_type, rows[0].photo) == (
        "boarding-pass.pdf",
        "application/pdf",
        False,
    )
    assert rows[1].mime_type == "image/jpeg" and rows[1].photo and rows[1].file_unique_id
    r = await press_newest(bot, anna, "x:evd:")  # Done: the staff see the report's card
    assert SARA.id in r.others
    card = r.others[SARA.id][-1]
    assert "boarding-pass.pdf" in plain(card)
    ex = await exchange_row(bot)
    assert ex.evidence_status == Evidence.STAFF
    r = await press_newest(bot, anna, "x:evd:")  # the same button again changes nothing
    assert not r.others and (await exchange_row(bot)).evidence_status == Evidence.STAFF

    # Staff get the files by Telegram's ids.
    r = await bot.press_data(SARA, f"sv:f:{xid}", card.message_id)
    files = [m for m in r.sent if m.document or m.photo]
    assert len(files) == 2

    # The evidence is rejected for a listed reason; the visitor adds a file.
    await bot.press_data(SARA, f"sv:e:{xid}:r", card.message_id)
    r = await press_newest(bot, SARA, f"sv:e:{xid}:x:missing")
    text = plain(r.others[anna.id][0])
    assert w["again"] in text and w["reason"] in text
    assert (await exchange_row(bot)).evidence_status == Evidence.REJECTED
    await press_newest(bot, anna, "x:ev:")
    await bot.process(anna, bot.updates.document(anna, "hotel.png", file_size=2 * MB))
    r = await press_newest(bot, anna, "x:evd:")
    assert SARA.id in r.others and "hotel.png" in plain(r.others[SARA.id][-1])

    # The report alone does not close the exchange.
    r = await press_newest(bot, SARA, f"sv:r:{xid}:a")
    assert w["report_ok"] in plain(r.others[anna.id][0])
    ex = await exchange_row(bot)
    assert ex.report_ok and ex.phase == Phase.REPORT_REVIEW

    # The evidence too: closed, both sides get their certificate, the staff the payment.
    r = await press_newest(bot, SARA, f"sv:e:{xid}:a")
    ex = await exchange_row(bot)
    assert ex.phase == Phase.CLOSED and ex.final_lump_sum == 1100
    for side in (anna, rita):
        assert any(w["closed"] in plain(m) for m in r.others[side.id])
        [pdf] = [m for m in r.others[side.id] if m.document]
        assert pdf.document.filename.endswith(".pdf")
        text = pdf_text(pdf.document.content)
        for needle in (
            w["certificate"],
            "Textilwerk Augsburg GmbH",
            "Cluster Têxtil Portugal",
            "Textiles EU",
            "Iberian Clusters",
            w["dates"],
        ):
            assert needle in text, (needle, text)
    payment = bot.transport.last_message(SARA.id)
    assert "Final lump sum: €1,100" in plain(payment)  # Sara reads English

    # Approved for payment: the visitor is told the amount; a second press changes nothing.
    events = await audit_count(bot)
    r = await press_newest(bot, SARA, f"sv:pa:{xid}")
    assert w["approved"] in plain(r.others[anna.id][0])
    assert (await exchange_row(bot)).payment_approved_by == SARA.id
    r = await bot.press_data(SARA, f"sv:pa:{xid}", payment.message_id)
    assert not r.others and await audit_count(bot) == events + 1

    # Marked paid with a reference; hostile text is shown as typed.
    await press_newest(bot, SARA, f"sv:pd:{xid}")
    hostile = "<i>TX-42 & </b>"
    r = await bot.send(SARA, hostile)
    told = plain(r.others[anna.id][0])
    assert w["paid"] in told and hostile in told
    assert hostile in plain(r.last)
    ex = await exchange_row(bot)
    assert ex.payment_reference == hostile and ex.paid_by == SARA.id and ex.paid_at is not None
    r = await bot.send(anna, "/exchange")
    assert w["overview"] in plain(r.sent[0])
    r = await bot.press_data(SARA, f"sv:pd:{xid}", payment.message_id)
    assert not r.others and (await exchange_row(bot)).payment_reference == hostile

    # /stats and the CSV export count it (Sara reads English).
    stats = plain((await bot.send(SARA, "/stats")).sent[0])
    assert "• exchanges closed: 1" in stats
    assert "• lump sums approved for payment: €1,100" in stats
    assert "• lump sums paid: €1,100" in stats
    assert "• Portugal: closed 1, approved €1,100, paid €1,100" in stats
    export = await bot.send(SARA, "/export")
    [csv_file] = [m for m in export.sent if m.document and "exchanges" in m.document.filename]
    [row] = list(csv.DictReader(io.StringIO(csv_file.document.content.decode("utf-8-sig"))))
    assert (row["final_lump_sum"], row["evidence_status"]) == ("1100", "approved")
    assert row["paid_at"] and row["payment_reference"] == hostile


async def test_the_eleventh_file_is_refused_and_nothing_is_lost(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot, w = staffed, WORDS["en"]
    anna, rita = people("en")
    await returning(bot, clock, anna, rita)
    await press_newest(bot, anna, "x:ev:")  # before the report: allowed
    hostile = "<i>R&D </b>invoice.pdf"
    r = await bot.process(anna, bot.updates.document(anna, hostile))
    assert hostile in plain(r.last)  # shown as sent
    for n in range(1, 10):
        await bot.process(anna, bot.updates.document(anna, f"invoice-{n}.pdf"))
    r = await bot.process(anna, bot.updates.document(anna, "one-too-many.pdf"))
    assert w["many"] in plain(r.last)
    assert len(await evidence_rows(bot)) == 10
    r = await bot.send(anna, "/cancel")
    assert len(await evidence_rows(bot)) == 10  # kept
    await press_newest(bot, anna, "x:ev:")
    r = await press_newest(bot, anna, "x:evd:")
    assert not r.others  # the report is not filed yet: the staff see both together
    await file_report(bot, anna)
    card = bot.transport.last_message(SARA.id)
    assert "invoice-9.pdf" in plain(card) and hostile in plain(card)
    ex = await exchange_row(bot)
    r = await bot.press_data(SARA, f"sv:f:{ex.id}", card.message_id)
    assert len(r.sent) == 10 and hostile in plain(r.sent[0])  # the caption, escaped


async def test_the_staff_are_reminded_once_of_an_unpaid_lump_sum(
    staffed: BotDriver, clock: FixedClock
) -> None:
    bot, w = staffed, WORDS["en"]
    anna, rita = people("en")
    xid = await returning(bot, clock, anna, rita)
    await press_newest(bot, anna, "x:ev:")
    await bot.process(anna, bot.updates.document(anna, "boarding-pass.pdf"))
    await press_newest(bot, anna, "x:evd:")
    await file_report(bot, anna)
    await press_newest(bot, SARA, f"sv:r:{xid}:a")
    await press_newest(bot, SARA, f"sv:e:{xid}:a")
    await press_newest(bot, SARA, f"sv:pa:{xid}")
    assert (await exchange_row(bot)).payment_approved_at is not None
    r = await bot.send(SARA, "/pending")  # the unpaid lump sum waits for the staff
    assert "Lump sum to pay" in r.text and f"sv:pd:{xid}" in str(r.last.buttons())

    clock.advance(timedelta(days=9))
    await dispatch(bot.app)
    assert w["reminder"] not in plain(bot.transport.last_message(SARA.id))
    clock.advance(timedelta(days=1, hours=1))
    await dispatch(bot.app)
    reminder = bot.transport.last_message(SARA.id)
    assert w["reminder"] in plain(reminder) and f"sv:pd:{xid}" in str(reminder.buttons())
    count = len(bot.transport.messages(SARA.id))
    clock.advance(timedelta(days=3))
    await dispatch(bot.app)
    assert len(bot.transport.messages(SARA.id)) == count  # once
    ex = await exchange_row(bot)
    assert ex.payment_reminded_at is not None and ex.paid_at is None
