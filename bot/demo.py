"""``cxbot demo``: scripted personas play a whole exchange through the real Application, from
the partnerships to the outcome six months after the visit; prints the transcript.

The demo runs on a clock that stands still unless moved: each step takes a minute, and the
time jumps ("14 days before the visit", …) move it forward and run the reminder job, as the
JobQueue would in production.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.clock import FixedClock
from bot.config import Settings
from bot.context import services_of
from bot.handlers.events import BACKGROUND
from bot.handlers.jobs import dispatch
from bot.scheme import check_stay, public_holidays
from bot.services.schedule import AFTER, BEFORE, CHECKIN, later_by_months, visit_reminders
from bot.transport.console import indent, plain, render_exchange, render_others
from bot.transport.driver import BotDriver, Exchange
from bot.transport.updates import FakeUser
from storage import repo
from storage.models import as_utc

HOST_COUNTRY = "PT"  # Rita's cluster, where the visit takes place
STEP_MINUTES = 1  # how far the clock moves with every step
_INVITE = re.compile(r"start[= ](st_[A-Za-z0-9_-]+)")
_EVENT = re.compile(r"start[= ](ev_[A-Za-z0-9_-]+)")
# A dozen attendees at the door: (name, organisation, country typed or pressed, offers, seeks,
# Telegram language).
ATTENDEES: tuple[tuple[str, str, str, str, str, str], ...] = (
    ("Mia Hofer", "Smart Textiles Vorarlberg", "Österreich", "Sensoren in Textilien",
     "Recycelte Fasern", "de"),
    ("Luca Bianchi", "Prato Recycling Hub", "Italy", "Recycled wool and fibre sorting",
     "Smart textile sensors", "it"),
    ("Zofia Nowak", "Łódź Fashion Cluster", "Poland", "Sewing automation and robotics",
     "Digital twins for production lines", "pl"),
    ("Jan de Vries", "Twente Tech Centre", "Netherlands", "Digital twins of factories",
     "Robotics for textile handling", "nl"),
    ("Claire Martin", "Lyon Techtera", "France", "Technical textiles for mobility",
     "Partners in lightweight composites", "fr"),
    ("Jonas Weber", "Composite Werk Stade", "Deutschland", "Leichtbau mit Verbundwerkstoffen",
     "Technische Textilien für Fahrzeuge", "de"),
    ("Ana Sousa", "CITEVE Porto", "Portugal", "Textile testing laboratory",
     "Start-ups in circular fashion", "pt"),
    ("Elena Petrova", "Sofia Start-up Hub", "Bulgaria", "Start-ups in circular fashion",
     "Textile testing services", "bg"),
    ("Mikko Laine", "Tampere Bioeconomy", "Finland", "Cellulose-based fibres",
     "Brands that buy sustainable fibres", "fi"),
    ("Sofia García", "Moda Sostenible Valencia", "Spain", "Sustainable fashion brands",
     "Cellulose-based fibres", "es"),
    ("Petra Novak", "Slovenian Wood Cluster", "Slovenia", "Wood-based materials",
     "Cellulose-based fibres", "sl"),
    ("Tomas Berg", "Borås Textile Incubator", "Sweden", "Incubation for textile start-ups",
     "Sewing automation and robotics", "sv"),
)  # fmt: skip


@dataclass
class Step:
    """One thing a persona does: type text, press a button by label, send a non-text or a
    file, or open a staff invitation link that someone else received."""

    kind: str  # "say", "press", "send", "file", "invite", "scan"
    value: str
    note: str = ""


@dataclass
class Heading:
    """A section of the transcript."""

    title: str


@dataclass
class Jump:
    """Move the clock forward to ``when`` (or to the first meeting reminder of an event when
    ``when`` is None) and run the reminder job."""

    title: str
    when: datetime | None
    after_meeting: bool = False  # with ``when`` None: after the event instead


Scene = tuple[FakeUser, list[Step]]
Script = list[Scene | Heading | Jump]


def say(text: str, note: str = "") -> Step:
    """Type a message or command."""
    return Step("say", text, note)


def press(label: str, note: str = "") -> Step:
    """Press the newest button whose label contains ``label``."""
    return Step("press", label, note)


def send(kind: str, note: str = "") -> Step:
    """Send a sticker, photo, voice message…"""
    return Step("send", kind, note)


def send_file(filename: str, note: str = "") -> Step:
    """Send a document."""
    return Step("file", filename, note)


def open_invite(inviter: FakeUser, note: str = "") -> Step:
    """Send ``/start st_…`` with the newest staff invitation in ``inviter``'s chat."""
    return Step("invite", str(inviter.id), note)


def scan(staff: FakeUser, note: str = "") -> Step:
    """Scan the event's QR code: ``/start ev_…`` from the newest event link in ``staff``'s
    chat."""
    return Step("scan", str(staff.id), note)


ADA = FakeUser(id=900, first_name="Ada", username="ada_admin", language_code="en")
SARA = FakeUser(id=901, first_name="Sara", username="sara_textiles", language_code="en")
PEDRO = FakeUser(id=902, first_name="Pedro", username="pedro_clusters", language_code="de")


def _ahead(delta: timedelta) -> str:
    if delta % timedelta(days=1):
        return f"{delta.total_seconds() / 3600:g} hours"
    return f"{delta.days} days" if delta.days != 1 else "1 day"


def _de(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def visit_week(first: date) -> tuple[date, date]:
    """A Monday-to-Friday week without public holidays in the host country, after ``first``."""
    monday = first + timedelta(days=14)
    monday += timedelta(days=(7 - monday.weekday()) % 7)
    while check_stay(monday, monday + timedelta(days=4), HOST_COUNTRY).working_days != 5:
        monday += timedelta(days=7)
    return monday, monday + timedelta(days=4)


def holiday_stay(first: date, last: date, week: tuple[date, date]) -> tuple[date, date]:
    """Three weekdays around a public holiday in the host country (too short: the holiday is
    not counted), or two days of the visit week when there is no holiday in the window."""
    for day in public_holidays(HOST_COUNTRY, first, last):
        if day.weekday() < 5:
            start = day if day.weekday() <= 2 else day - timedelta(days=2)
            return start, start + timedelta(days=2)
    return week[0], week[0] + timedelta(days=1)


def personas(clock: FixedClock, settings: Settings | None = None) -> Script:
    """The scripted people and time jumps, with dates relative to today."""
    settings = settings or Settings()
    today = clock.today()
    start = (today + timedelta(days=75)).replace(day=1)
    end = start + timedelta(days=120)
    visit_start, visit_end = visit_week(start)
    short_start, short_end = holiday_stay(start, end, (visit_start, visit_end))
    # When the reminder job has something to send: the first reminder before the visit (14
    # days unless configured otherwise), the check-in, "did it happen?" and the outcome.
    due: dict[str, tuple[datetime, timedelta | None]] = {}
    for kind, when, offset in visit_reminders(
        visit_start, visit_end, settings.reminder_offsets, clock.tz
    ):
        due.setdefault(kind, (when, offset))
    first_before, ahead = due.get(BEFORE, (None, None))
    months = settings.outcome_after_months
    anna = FakeUser(id=101, first_name="Anna", username="anna_textil", language_code="en")
    jonas = FakeUser(id=202, first_name="Jonas", username="jonas_linz", language_code="de-AT")
    lucie = FakeUser(id=303, first_name="Lucie", language_code="fr")
    rita = FakeUser(id=404, first_name="Rita", username="rita_porto", language_code="pt")
    return [
        Heading("Partnerships and their staff"),
        (
            ADA,
            [
                say("/newpartnership", "Ada is a super-admin"),
                say("Textiles EU"),
                press("textiles-eu", "the suggested short name"),
                say("European cluster partnership for circular and smart textiles."),
                press("Textiles"),
                press("Done"),
                press("Invite staff"),
            ],
        ),
        (SARA, [open_invite(ADA, "the link Ada sent her")]),
        (
            ADA,
            [
                say("/newpartnership"),
                say("Alps & Atlantic Clusters"),
                press("alps-atlantic-clusters"),
                say("Host clusters from the Alps to the Atlantic coast."),
                press("Textiles"),
                press("Mobility"),
                press("Done"),
                press("Invite staff"),
            ],
        ),
        (PEDRO, [open_invite(ADA, "his Telegram speaks German")]),
        Heading("Registration"),
        (
            anna,
            [
                say("/start"),
                press("I agree"),
                press("Visitor"),
                press("SME or start-up"),
                send("sticker", "a sticker where text is expected"),
                say("Anna Schmidt"),
                say("Textilwerk Augsburg GmbH"),
                say("Germnay", "a typo in the country"),
                say("Augsburg"),
                press("Digital"),
                press("Textiles"),
                press("Done"),
                press("Textiles EU", "her partnership validates her"),
                say("Digital twins for textile machines, 3D printing of spare parts."),
                say("Partners in circular economy and recycled fibres."),
                press("English"),
                press("German"),
                press("Done"),
                say("2020-01-01", "a date in the past"),
                say(start.isoformat()),
                say(_de(end)),
                say("Learn how other clusters recycle textiles and start a joint project."),
                say("anna@example.org"),
                press("Confirm"),
                say("/profile"),
                press("Edit my profile"),
                press("Seeks"),
                say("Partners in circular economy, recycled fibres and smart textiles."),
                say("/pause"),
                say("/resume"),
            ],
        ),
        (SARA, [press("Approve", "matching starts for Anna")]),
        (
            jonas,
            [
                say("/start"),
                press("Einverstanden"),
                press("Gastgeber"),
                press("Clusterorganisation"),
                say("Jonas Gruber"),
                say("Mechatronik-Cluster Oberösterreich"),
                say("Österreich"),
                say("Linz"),
                press("Elektronik"),
                press("Mobilität"),
                press("Fertig"),
                press("Alps & Atlantic Clusters"),
                say("Prüfstände, Reinraum und Kontakte zu Zulieferern in der Automobilindustrie."),
                say("Partner für Wasserstoffantriebe und digitale Zwillinge."),
                press("Deutsch"),
                press("Englisch"),
                press("Fertig"),
                say(_de(start)),
                say((start - timedelta(days=10)).isoformat(), "an end before the start"),
                say(end.isoformat()),
                say("Wir möchten KMU aus anderen Ländern zeigen, wie unser Cluster arbeitet."),
                say("jonas@@cluster", "an invalid e-mail address"),
                press("Überspringen"),
                press("Bestätigen"),
                say("/language"),
                press("English"),
                say("/mydata"),
            ],
        ),
        (PEDRO, [press("Freigeben", "Pedro approves in German")]),
        (
            rita,
            [
                say("/start"),
                press("I agree"),
                press("Host: we want"),
                press("Cluster organisation"),
                say("Rita Sousa"),
                say("Cluster Têxtil Portugal"),
                say("Portugal"),
                say("Porto"),
                press("Textiles"),
                press("Done"),
                press("Alps & Atlantic Clusters"),
                say("Wir zeigen Textilrecycling und Recyclingfasern aus Alttextilien."),
                say("Partners for digital twins of weaving machines."),
                press("English"),
                press("Portuguese"),
                press("Done"),
                say(start.isoformat()),
                say(end.isoformat()),
                say("A joint circular textiles project with partners abroad."),
                say("rita@example.pt"),
                press("Confirm"),
            ],
        ),
        (PEDRO, [press("Freigeben")]),
        Heading("Matching"),
        (
            jonas,
            [
                say("/search 3D-Druck", "his own search, across languages"),
                press("Map", "where the results are"),
            ],
        ),
        (
            anna,
            [
                say("/matches", "Jonas was proposed to Anna when he was validated"),
                press("Next"),
                press("Interested", "Rita's cluster, explained in English"),
            ],
        ),
        (rita, [press("Interested", "both want to meet: contacts are exchanged")]),
        (jonas, [say("/language"), press("Deutsch"), say("/matches", "the card in German")]),
        (jonas, [press("Passt nicht"), press("Termine passen nicht")]),
        (lucie, [say("/start"), press("No, thanks"), say("/deleteme"), press("Yes, erase")]),
        Heading("Exchange building"),
        (SARA, [press("Approve", "the visitor's partnership validates the match")]),
        (
            anna,
            [
                press("Propose dates"),
                say(f"{_de(short_start)} - {_de(short_end)}", "too short"),
                say(f"{visit_start.isoformat()} – {visit_end.isoformat()}"),
            ],
        ),
        (rita, [press("Confirm dates", "both get a calendar file")]),
        (
            anna,
            [
                press("Write goals and agenda"),
                say("Learn how fibres are recycled at industrial scale; plan a joint pilot."),
                say("Day 1: plant tour. Day 2: workshop. Day 3: joint proposal. Day 4-5: lab."),
            ],
        ),
        (rita, [press("I agree", "both partnerships validate now")]),
        (SARA, [press("Approve")]),
        (PEDRO, [press("Freigeben", "the Commitment to Quality is complete")]),
        *(
            [Jump(f"{_ahead(ahead)} before the visit", first_before)]
            if first_before is not None and ahead is not None
            else []
        ),
        Jump("The first day of the visit", due[CHECKIN][0]),
        Jump("The day after the visit", due[AFTER][0]),
        (anna, [press("Yes, it took place")]),
        (rita, [press("⭐⭐⭐⭐⭐", "the host's feedback")]),
        (
            anna,
            [
                press("Write the closing report"),
                say("Toured the recycling plant and ran a joint workshop on digital twins."),
                say("We agreed on a pilot line for recycled fibres."),
                say("A joint Horizon Europe proposal in spring."),
                send_file("attendance.pdf", "the signed attendance sheet"),
                press("Add evidence"),
                send_file("boarding-pass.pdf", "evidence of the stay"),
                send_file("hotel-invoice.pdf"),
                press("Done", "the partnership checks report and evidence"),
            ],
        ),
        (
            SARA,
            [
                press("Approve report"),
                press("Approve evidence", "closed: both get a certificate of participation"),
                press("Approve for payment", "the final lump sum, with its reasons"),
                press("Mark as paid"),
                say("SEPA 2027-05-0042"),
            ],
        ),
        Jump(f"{months} months after the visit", later_by_months(visit_end, months, clock.tz)),
        (anna, [press("Joint project")]),
        (rita, [press("We are in contact")]),
        Heading("For the partnership staff"),
        (
            SARA,
            [
                press("History", "the audit trail of the exchange"),
                say("/stats"),
                say("/participants Textilrecycling", "her participants by topic, with their state"),
            ],
        ),
        *event_script(),
    ]


def event_script() -> Script:
    """A brokerage event today: created in chat, a dozen attendees scan the code, meet."""
    people = [
        FakeUser(id=1_000 + i, first_name=name.split()[0], language_code=lang)
        for i, (name, *_rest, lang) in enumerate(ATTENDEES)
    ]
    signups: Script = []
    for person, (name, org, country, offers, seeks, _lang) in zip(people, ATTENDEES, strict=True):
        signups.append(
            (
                person,
                [
                    scan(SARA, "the QR code at the door"),
                    press("Einverstanden" if _lang == "de" else "I agree"),
                    say(f"{name}, {org}"),
                    say(country),
                    say(offers),
                    say(seeks),
                ],
            )
        )
    mia, luca, zofia, jan = people[:4]
    return [
        Heading("An event: QR sign-up at the door and meetings on the spot"),
        (
            SARA,
            [
                say("/newevent"),
                say("Circular Textiles Brokerage Day"),
                say("{today}", "the event is today"),
                say("Augsburg"),
                say("Twelve clusters, one hall: meet the partners for your next project."),
                say("Stand B12, Hall 3"),
                press("09:00", "meetings of 20 minutes from 9 to 5"),
            ],
        ),
        *signups,
        (mia, [press("👍"), press("👍")]),
        (luca, [press("👍")]),
        (zofia, [press("👍")]),
        (jan, [press("👍")]),
        Jump("Ten minutes before the first meeting", None),
        (
            SARA,
            [
                say("/event", "live figures"),
                press("📣"),
                say("Coffee and cake at Stand B12!"),
                press("📣", "paced, with a progress message"),
            ],
        ),
        Jump("After the event", None, after_meeting=True),
        (mia, [press("✅"), press("🤝", "Mia and Luca are in different countries")]),
        (SARA, [say("/event"), press("📥", "attendees and meetings as CSV"), press("📈")]),
    ]


def _event_command(driver: BotDriver, staff_id: int) -> str:
    for message in reversed(driver.transport.messages(staff_id)):
        found = _EVENT.search(message.text or "")
        if found:
            return f"/start {found.group(1)}"
    raise LookupError(f"no event link in the chat of user {staff_id}")


def _invite_command(driver: BotDriver, inviter_id: int) -> str:
    for message in reversed(driver.transport.messages(inviter_id)):
        found = _INVITE.search(message.text or "")
        if found:
            return f"/start {found.group(1)}"
    raise LookupError(f"no staff invitation in the chat of user {inviter_id}")


async def _step(
    driver: BotDriver, user: FakeUser, step: Step, out: Callable[[str], None]
) -> Exchange:
    note = f"   ({step.note})" if step.note else ""
    if step.kind == "invite":
        step = Step("say", _invite_command(driver, int(step.value)), step.note)
    if step.kind == "scan":
        step = Step("say", _event_command(driver, int(step.value)), step.note)
    if step.kind == "say" and step.value == "{today}":
        today = services_of(driver.app).clock.today()
        step = Step("say", _de(today), step.note)
    if step.kind == "say":
        out(indent(step.value, f"👤 {user.first_name}: ") + note)
        return await driver.send(user, step.value)
    if step.kind == "press":
        out(f"👆 {user.first_name} presses “{step.value}”{note}")
        result = await driver.press(user, step.value)
        running = list(driver.app.bot_data.get(BACKGROUND, ()))
        if running:  # a broadcast: wait for it and show its final progress message
            await asyncio.gather(*running)
            last = driver.transport.last_message(user.id)
            if last is not None and last.text:
                out(indent(plain(last.text), "🤖 "))
        return result
    if step.kind == "file":
        out(f"👤 {user.first_name} sends the file {step.value}{note}")
        return await driver.process(user, driver.updates.document(user, step.value))
    out(f"👤 {user.first_name} sends a {step.value}{note}")
    return await driver.process(user, getattr(driver.updates, step.value)(user))


async def _jump(
    driver: BotDriver, clock: FixedClock, jump: Jump, names: dict[int, str]
) -> tuple[str, str]:
    """Move the clock, run the reminder job; the heading line and what was sent."""
    when = jump.when or await _event_reminder_time(driver, jump.after_meeting)
    if when > clock.now():
        clock.advance(when - clock.now())
    local = clock.now().astimezone(clock.tz)
    before = {c: len(driver.transport.messages(c)) for c in driver.transport.chat_ids()}
    sent = await dispatch(driver.app)
    result = Exchange()
    for chat in driver.transport.chat_ids():
        new = driver.transport.messages(chat)[before.get(chat, 0) :]
        if new and isinstance(chat, int):
            result.others[chat] = new
    head = f"🕰 {local:%a %d %b %Y, %H:%M}: the reminder job sends {sent} message(s)"
    return head, render_others(result, names)


async def _event_reminder_time(driver: BotDriver, after: bool) -> datetime:
    """When the first meeting reminder (or "did you meet?") of the demo's event is due."""
    kind = "met" if after else "meeting"
    async with services_of(driver.app).db.session() as session:
        due = await repo.first_due(session, kind=kind)
    if due is None:
        raise LookupError(f"no {kind} reminder was scheduled")
    return as_utc(due)


async def play(settings: Settings, out: Callable[[str], None] = print) -> int:
    """Run every persona through the bot and print the transcript; returns an exit code."""
    clock = FixedClock(datetime.now(UTC), settings.tz)
    settings = settings.model_copy(update={"admin_ids": frozenset({*settings.admin_ids, ADA.id})})
    with tempfile.TemporaryDirectory(prefix="cxbot-demo-") as tmp:
        if settings.database_url == Settings.model_fields["database_url"].default:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'demo.sqlite3'}"
            settings = settings.model_copy(update={"database_url": url})
        driver = await BotDriver.start(settings, clock=clock)
        try:
            script = personas(clock, settings)
            names = {part[0].id: part[0].first_name for part in script if isinstance(part, tuple)}
            for part in script:
                if isinstance(part, Heading):
                    out(f"\n\n── {part.title} ──")
                    continue
                if isinstance(part, Jump):
                    head, sent = await _jump(driver, clock, part, names)
                    out(f"\n\n── {part.title} ──\n{head}")
                    if sent:
                        out(sent)
                    continue
                user, steps = part
                out(f"\n══════ {user.first_name} (Telegram language: {user.language_code}) ══════")
                for step in steps:
                    clock.advance(timedelta(minutes=STEP_MINUTES))
                    try:
                        result = await _step(driver, user, step, out)
                    except LookupError as exc:  # a button or link the script expected is missing
                        out(f"\nThe demo stopped: {exc}")
                        return 1
                    text, _buttons = render_exchange(result)
                    if text:
                        out(text)
                    others = render_others(result, names)
                    if others:
                        out(others)
            if driver.errors:
                out(f"\n{len(driver.errors)} handler error(s): {driver.errors[0]!r}")
                return 1
            out("\nDemo finished: every persona got an answer to every step.")
            return 0
        finally:
            await driver.stop()
