#!/usr/bin/env python
"""500 attendees at the door: an event's quick sign-up under a burst, with Telegram's limits.

Run from the repository root::

    .venv/bin/python bench/event_burst.py [--attendees N] [--think 0.5-2] [--concurrency 32]
        [--door 3] [--seed 1] [--no-wait] [--processor perchat|plain|sequential]
        [--database-url URL] [--tracemalloc] [--global-limit 30 | --no-limits]
        [--json] [--json-out FILE]

A staff member's event is created directly in the database. Then N attendees (default 500)
arrive within ``--door`` seconds and sign up through the event's deep link, each as an asyncio
task that behaves like a person: it sends one update (into ``app.update_queue``, as polling
would), waits until the bot has handled it and answered, thinks for a random ``--think``
seconds and sends the next step. The bot is the real Application from ``build_application`` on
:class:`bot.transport.limits.TelegramLimits` (the offline Bot API with Telegram's flood limits:
30 sends/s overall, about 1/s per chat with bursts of 3), with cxbot's ``TelegramRateLimiter`` and
:class:`bot.updates.PerChatUpdateProcessor`, on a fresh SQLite file (or ``--database-url``).

Checked afterwards: every update got a reaction, every reply was the expected next question
(nothing reordered), and every attendee is stored with name, organisation, country, offers and
seeks as an attendee of the event. See bench/README.md for what is reported.

This is a measurement, not a test: the exit code is always 0; the last line is ``ZERO LOST``
or ``LOST n``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import platform
import random
import re
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import telegram  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    SimpleUpdateProcessor,
    filters,
)

from bot.clock import FixedClock  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.context import services_of  # noqa: E402
from bot.transport.driver import BotDriver  # noqa: E402
from bot.transport.limits import TelegramLimits  # noqa: E402
from bot.transport.offline import ApiCall, OfflineRequest  # noqa: E402
from bot.transport.updates import FakeUser, UpdateFactory  # noqa: E402
from bot.updates import PerChatUpdateProcessor  # noqa: E402
from tests.helpers import (  # noqa: E402
    make_event,
    make_partnership,
    make_settings,
    reset_postgres,
)

NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
ECHO_TOKEN = "123456:OFFLINE"
FIRST_ATTENDEE = 820_000_000
PROBE_ID = 819_999_999
STAFF_ID = 819_000_001
SEND_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "sendmediagroup", "copymessage", "forwardmessage"}
)
EDIT_METHODS = frozenset({"editmessagetext", "editmessagecaption", "editmessagereplymarkup"})

# --------------------------------------------------------------------------- the flow
# What each step sends, and how the bot's answer to it is recognised. Callback data of the
# quick sign-up: q:<version>:<step>:<value>; event proposal cards: ev:i:<id> / ev:n:<id>.
STAGES = ("consent", "q1", "q2", "q3", "q4", "done")
CONSENT_YES = ":q_consent:yes"  # q:<version>:q_consent:yes
COUNTRY = ":q_country:"  # q:<version>:q_country:<ISO2>
_QUESTION_RE = re.compile(r"(?<![\d/])([1-4])\s*/\s*4(?![\d/])")


# the error handler's apology (bot/handlers/common.py on_error), English and German
ERROR_TEXTS = ("Sorry, something went wrong on my side", "Entschuldigung, bei mir ist etwas")
# ... and its message when the step was saved but an answer did not reach Telegram ("send
# /start to continue")
UNDELIVERED_TEXTS = ("Sorry, Telegram is very busy", "Entschuldigung, Telegram ist gerade")


def stage_of(text: str, buttons: list[str]) -> str | None:
    """Which question a message of the bot asks (None: not one of the sign-up's questions;
    "error": the apology of the bot's error handler)."""
    if text.startswith(ERROR_TEXTS):
        return "error"
    if text.startswith(UNDELIVERED_TEXTS):
        return "undelivered"
    if any(d.startswith("q:") and d.endswith(CONSENT_YES) for d in buttons):
        return "consent"
    numbers = _QUESTION_RE.findall(text)  # an answered question edited to show the next one
    if numbers:
        return f"q{numbers[-1]}"
    if any(d.startswith("q:") and COUNTRY in d for d in buttons):
        return "q2"
    if any(d.startswith("ev:") for d in buttons):
        return "done"
    return None


def outcome_of(record: Record) -> str:
    """How the bot answered one update: "ok" (the expected next question), "error" (the error
    handler's apology), "undelivered" (saved, but an answer did not reach Telegram), "none"
    (no message at all) or "other" (something else)."""
    if not record.reactions:
        return "none"
    sent = [r for r in record.reactions if r.sent]
    if any(r.stage == "error" for r in sent):
        return "error"
    if any(r.stage == "undelivered" for r in sent):
        return "undelivered"
    expected = STAGES[record.step]
    if expected == "done":  # a confirmation (and proposal cards), no further question
        ok = bool(sent) and all(r.stage in (None, "done") for r in sent)
    else:  # a new message, or the pressed one edited to show the next question
        ok = any(r.stage == expected for r in record.reactions)
    return "ok" if ok else "other"


# --------------------------------------------------------------------------- profiles

FIRST_NAMES = (
    "Anna",
    "Jonas",
    "Marta",
    "Luca",
    "Sofia",
    "Pieter",
    "Ines",
    "Mateusz",
    "Eva",
    "Tomas",
    "Elena",
    "Nikos",
    "Clara",
    "Jan",
    "Lea",
    "Miguel",
    "Aoife",
    "Kristjan",
    "Zofia",
    "Henrik",
)
LAST_NAMES = (
    "Schmidt",
    "Novak",
    "Rossi",
    "Dubois",
    "Kowalska",
    "Jansen",
    "Silva",
    "Horvat",
    "Papadopoulos",
    "Berg",
    "Murphy",
    "Lindqvist",
    "Tamm",
    "Costa",
    "Weber",
    "Garcia",
    "Fischer",
    "Ozols",
)
ORG_STEMS = (
    "Textilwerk",
    "AgriSense",
    "HydroGen",
    "Nordic Fibre",
    "Danube Robotics",
    "Alpine Timber",
    "Baltic Marine",
    "Iberia Foods",
    "Lusitania Cork",
    "Pannonia Bio",
    "Rhein Mobility",
    "Adriatic Solar",
    "Carpathia Metals",
    "Flanders Circular",
    "Vltava Glass",
    "Po Valley Agro",
)
ORG_SUFFIXES = ("GmbH", "Ltd", "S.r.l.", "SAS", "B.V.", "sp. z o.o.", "s.r.o.", "Oy", "AB")
COUNTRIES = (
    "DE",
    "AT",
    "FR",
    "IT",
    "ES",
    "PT",
    "PL",
    "CZ",
    "NL",
    "BE",
    "SE",
    "FI",
    "DK",
    "IE",
    "EE",
    "LV",
    "LT",
    "SI",
    "HR",
    "GR",
    "RO",
    "BG",
    "HU",
    "SK",
)
OFFERS = (
    "Digital twins of textile machines and predictive maintenance",
    "Recycled polyester fibres from post-consumer garments",
    "Green hydrogen electrolysers for small industrial sites",
    "Low-cost soil moisture sensors for precision farming",
    "3D printing of spare parts in metal and polymer",
    "Cork-based insulation panels for buildings",
    "Machine vision for quality control in food processing",
    "Battery recycling and second-life storage systems",
    "Bio-based packaging from agricultural residues",
    "Offshore wind maintenance drones",
    "Cold chain monitoring with IoT tags for fresh produce",
    "Timber frame construction with prefabricated modules",
    "AI planning tools for regional public transport",
    "Water reuse systems for textile dyeing",
    "Training in lean manufacturing for SMEs",
    "Smart glass coatings that save heating energy",
)
SEEKS = (
    "Partners for a pilot with recycled fibres in technical textiles",
    "Hydrogen storage know-how and fuelling station operators",
    "Agri-food cooperatives that want to test sensors in the field",
    "Investors and accelerators for circular economy start-ups",
    "Digital twin experts to model our production line",
    "Buyers of bio-based packaging in retail",
    "Research institutes working on battery chemistry",
    "Clusters in mobility to join an EU project on autonomous shuttles",
    "Manufacturers who need predictive maintenance",
    "Construction companies interested in timber and cork",
    "Food processors who want automated quality inspection",
    "Offshore energy companies needing inspection services",
    "Regions that test on-demand public transport",
    "Dye houses that want to cut water use",
    "Suppliers of sustainable raw materials for packaging",
    "Partners to share a pilot plant for green chemistry",
)


@dataclass
class Person:
    user: FakeUser
    name: str
    organisation: str
    country: str
    offers: str
    seeks: str


def make_people(count: int, rng: random.Random) -> list[Person]:
    people = []
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        org = f"{rng.choice(ORG_STEMS)} {rng.choice(ORG_SUFFIXES)}"
        language = "de" if rng.random() < 0.25 else "en"
        user = FakeUser(
            id=FIRST_ATTENDEE + i,
            first_name=first,
            last_name=last,
            username=f"att{i}",
            language_code=language,
        )
        offers = " and ".join(rng.sample(OFFERS, rng.choice((1, 1, 2))))
        seeks = " and ".join(rng.sample(SEEKS, rng.choice((1, 1, 2))))
        people.append(
            Person(user, f"{first} {last}", org, COUNTRIES[i % len(COUNTRIES)], offers, seeks)
        )
    return people


@dataclass
class Step:
    kind: str  # "text" or "button"
    value: str  # the text, or the callback data suffix (":consent:yes")
    stage: str  # the stage the bot's reply must be


def script_of(person: Person, code: str) -> list[Step]:
    return [
        Step("text", f"/start ev_{code}", "consent"),
        Step("button", CONSENT_YES, "q1"),
        Step("text", f"{person.name}, {person.organisation}", "q2"),
        Step("button", f"{COUNTRY}{person.country}", "q3"),
        Step("text", person.offers, "q4"),
        Step("text", person.seeks, "done"),
    ]


# --------------------------------------------------------------------------- instrumentation


@dataclass
class Reaction:
    """A message the bot sent or edited in the attendee's chat."""

    method: str
    message_id: int | None
    text: str
    buttons: list[str]
    sent: bool  # a new message (not an edit)

    @property
    def stage(self) -> str | None:
        return stage_of(self.text, self.buttons)


@dataclass
class Record:
    """One update of one attendee."""

    chat: int
    step: int
    put_at: float = 0.0
    started_at: float = 0.0
    finished_at: float = 0.0
    handler_s: float = 0.0
    reactions: list[Reaction] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class Tracker:
    """Sees every update start and end (from the processor) and every Bot API call."""

    def __init__(self, transport: OfflineRequest) -> None:
        self.transport = transport
        self.records: dict[int, Record] = {}
        self.current: dict[int, Record] = {}  # chat -> the update being handled
        self.chat_log: dict[int, list[Reaction]] = {}  # every send/edit per chat, in order
        self.queries: dict[str, int] = {}  # callback query id -> chat
        self.api_errors: list[ApiCall] = []
        self.running = 0
        self.max_running = 0
        transport.on_call = self.on_call

    def on_call(self, call: ApiCall) -> None:
        key = call.method.lower()
        if call.error:
            if not call.error.startswith("Too Many Requests"):
                self.api_errors.append(call)
            return
        if key not in SEND_METHODS and key not in EDIT_METHODS:
            return
        chat = call.params.get("chat_id")
        if not isinstance(chat, int):
            return
        if key in SEND_METHODS:
            last = self.transport.last_message(chat)
            message_id = last.message_id if last is not None else None
        else:
            message_id = call.params.get("message_id")
        markup = call.params.get("reply_markup") or {}
        buttons = [
            button.get("callback_data") or ""
            for row in (markup.get("inline_keyboard", ()) if isinstance(markup, dict) else ())
            for button in row
        ]
        text = str(call.params.get("text") or call.params.get("caption") or "")
        reaction = Reaction(call.method, message_id, text, buttons, key in SEND_METHODS)
        self.chat_log.setdefault(chat, []).append(reaction)
        record = self.current.get(chat)
        if record is not None:
            record.reactions.append(reaction)

    def wrap(self, update: object, coroutine: Awaitable[Any]) -> Awaitable[Any]:
        record = self.records.get(update.update_id) if isinstance(update, Update) else None
        if record is None:
            return coroutine

        async def timed() -> None:
            record.started_at = time.perf_counter()
            self.current[record.chat] = record
            self.running += 1
            self.max_running = max(self.max_running, self.running)
            try:
                await coroutine
            finally:
                self.running -= 1
                record.finished_at = time.perf_counter()
                record.handler_s = record.finished_at - record.started_at
                if self.current.get(record.chat) is record:
                    del self.current[record.chat]
                record.done.set()

        return timed()


class TrackedPerChat(PerChatUpdateProcessor):
    """The bot's processor, with the benchmark's bookkeeping around each update."""

    __slots__ = ("tracker",)

    def __init__(self, max_concurrent_updates: int, tracker: Tracker) -> None:
        super().__init__(max_concurrent_updates)
        self.tracker = tracker

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await super().do_process_update(update, self.tracker.wrap(update, coroutine))


class TrackedSimple(SimpleUpdateProcessor):
    """PTB's plain processor (no per-chat order), for comparison."""

    __slots__ = ("tracker",)

    def __init__(self, max_concurrent_updates: int, tracker: Tracker) -> None:
        super().__init__(max_concurrent_updates)
        self.tracker = tracker

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await self.tracker.wrap(update, coroutine)


def make_processor(kind: str, concurrency: int, tracker: Tracker) -> BaseUpdateProcessor:
    if kind == "perchat":
        return TrackedPerChat(concurrency, tracker)
    if kind == "plain":
        return TrackedSimple(concurrency, tracker)
    return TrackedSimple(1, tracker)  # sequential: PTB's default, one update at a time


# --------------------------------------------------------------------------- the event


async def create_event(driver: BotDriver) -> str:
    """The staff member's event, stored directly through the services; returns its code."""
    staff = FakeUser(id=STAFF_ID, first_name="Organiser", username="organiser")
    partnership = await make_partnership(
        driver, "circular-textiles", "Circular Textiles Partnership", staff=(staff,)
    )
    # today, from 09:00 to 17:00 with 20-minute meeting slots (make_event's defaults)
    code = await make_event(driver, partnership, name="Cluster Matchmaking Days", city="Brussels")
    return str(code)


# --------------------------------------------------------------------------- attendees


class Burst:
    """The running bot and the attendees' side of the conversation."""

    def __init__(self, driver: BotDriver, tracker: Tracker, code: str, args: Any) -> None:
        self.driver = driver
        self.app = driver.app
        self.factory: UpdateFactory = driver.updates
        self.tracker = tracker
        self.code = code
        self.args = args
        self.updates_sent = 0
        self.first_put: float | None = None
        self.completed: dict[int, float] = {}  # attendee -> time the last update was handled
        self.retries = 0  # steps sent again after the bot's apology ("please try again")
        self.resumed = 0  # /start sent after "an answer did not reach you"
        self.aborted: dict[int, str] = {}  # attendee -> why
        self.probe: dict[int, tuple[str, dict[str, Any]]] = {}  # step -> (data, message)

    def find_button(self, chat: int, suffix: str) -> tuple[int, str] | None:
        """The newest button of the chat whose data starts with q: and ends with ``suffix``."""
        for message in reversed(self.tracker.transport.messages(chat)):
            for row in message.buttons():
                for _text, data in row:
                    if data.startswith("q:") and data.endswith(suffix):
                        return message.message_id, data
        return None

    def build(self, person: Person, step_no: int, step: Step) -> Update | None:
        user = person.user
        if step.kind == "text":
            return self.factory.text(user, step.value)
        found = self.find_button(user.id, step.value)
        if found is None:
            return None
        message_id, data = found
        return self.factory.callback(user, data, message_id)

    def build_blind(self, person: Person, step_no: int, step: Step) -> Update:
        """--no-wait: the update built before the bot has answered anything (probe data)."""
        user = person.user
        if step.kind == "text":
            return self.factory.text(user, step.value)
        data, message = self.probe[step_no]
        prefix = data[: data.rindex(":", 0, data.rindex(":"))]  # q:<v>:<step>
        data = prefix + step.value
        return self.factory.callback_on(user, data, {**message, "chat": user.chat_dict()})

    async def put(self, person: Person, step_no: int, update: Update) -> Record:
        record = Record(chat=person.user.id, step=step_no)
        self.tracker.records[update.update_id] = record
        record.put_at = time.perf_counter()
        if self.first_put is None:
            self.first_put = record.put_at
        self.updates_sent += 1
        await self.app.update_queue.put(update)
        return record

    async def attend(self, person: Person, start_at: float, rng: random.Random) -> None:
        """One person: wait for the door, then each step after the bot has answered."""
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        script = script_of(person, self.code)
        lo, hi = self.args.think
        for step_no, step in enumerate(script):
            for attempt in range(self.args.retries + 1):
                update = self.build(person, step_no, step)
                if update is None:
                    self.aborted[person.user.id] = f"no button {step.value} at step {step_no + 1}"
                    return
                record = await self.put(person, step_no, update)
                try:
                    await asyncio.wait_for(record.done.wait(), self.args.step_timeout)
                except TimeoutError:
                    self.aborted[person.user.id] = f"no answer within {self.args.step_timeout} s"
                    return
                outcome = outcome_of(record)
                if outcome != "error" or attempt == self.args.retries:
                    break
                # "Sorry, something went wrong ... please try again": a person tries again
                self.retries += 1
                await asyncio.sleep(rng.uniform(lo, hi))
            if outcome == "none":
                self.aborted[person.user.id] = f"no reaction to step {step_no + 1}"
                return
            if outcome == "undelivered" and step_no < len(script) - 1:
                # "... did not reach you. What you sent is saved: send /start to continue."
                # /start shows the question that was lost: judged as this step's answer.
                self.resumed += 1
                await asyncio.sleep(rng.uniform(lo, hi))
                record = await self.put(person, step_no, self.factory.text(person.user, "/start"))
                try:
                    await asyncio.wait_for(record.done.wait(), self.args.step_timeout)
                except TimeoutError:
                    self.aborted[person.user.id] = "no answer to /start in time"
                    return
            if step_no < len(script) - 1:
                await asyncio.sleep(rng.uniform(lo, hi))
        self.completed[person.user.id] = record.finished_at

    async def attend_blind(self, person: Person, start_at: float) -> None:
        """--no-wait: the whole script at once, then wait for the bot to handle all of it."""
        await asyncio.sleep(max(0.0, start_at - time.perf_counter()))
        script = script_of(person, self.code)
        updates = [self.build_blind(person, n, step) for n, step in enumerate(script)]
        records = [await self.put(person, n, update) for n, update in enumerate(updates)]
        deadline = self.args.step_timeout * len(records)
        try:
            await asyncio.wait_for(asyncio.gather(*(r.done.wait() for r in records)), deadline)
        except TimeoutError:
            self.aborted[person.user.id] = f"not all handled within {deadline} s"
            return
        self.completed[person.user.id] = max(r.finished_at for r in records)

    async def record_probe(self, person: Person) -> None:
        """--no-wait: one probe attendee signs up first, with waits, to learn the buttons."""
        script = script_of(person, self.code)
        for step_no, step in enumerate(script):
            if step.kind == "button":
                found = self.find_button(person.user.id, step.value)
                if found is None:
                    raise RuntimeError(f"probe: no button {step.value} at step {step_no + 1}")
                message_id, data = found
                message = self.tracker.transport.message_dict(person.user.id, message_id)
                self.probe[step_no] = (data, message)
            update = self.build(person, step_no, step)
            assert update is not None
            await self.app.process_update(update)


# --------------------------------------------------------------------------- checks


@dataclass
class Verdict:
    no_reaction: int = 0  # updates the bot handled without sending or editing anything
    unanswered: int = 0  # updates never handled (timed out)
    error_replies: int = 0  # updates answered with the error handler's apology
    undelivered: int = 0  # updates whose step was saved but an answer did not arrive
    wrong_reply: int = 0  # updates answered with something else than the expected question
    reordered: list[int] = field(default_factory=list)  # chats whose flow went out of order
    after_error: list[int] = field(default_factory=list)  # ... only after an error
    incomplete: list[int] = field(default_factory=list)  # attendees not (correctly) signed up
    db_missing: list[int] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return self.no_reaction + self.unanswered + len(self.incomplete)

    def example(self, text: str) -> None:
        if len(self.examples) < 10:
            self.examples.append(text)


async def verify(burst: Burst, people: list[Person]) -> Verdict:
    """Every update answered, the questions in order, every attendee stored correctly."""
    verdict = Verdict()
    tracker = burst.tracker
    by_chat: dict[int, list[Record]] = {}
    for record in tracker.records.values():
        by_chat.setdefault(record.chat, []).append(record)
    for person in people:
        chat = person.user.id
        records = sorted(by_chat.get(chat, []), key=lambda r: r.put_at)
        had_error = deviated = False
        last = "none"
        for record in records:
            if not record.done.is_set():
                verdict.unanswered += 1
                last = "none"
                continue
            last = outcome_of(record)
            if last == "none":
                verdict.no_reaction += 1
            elif last == "error":
                verdict.error_replies += 1
                had_error = True
            elif last == "undelivered":
                verdict.undelivered += 1
                had_error = True
            elif last == "other":
                verdict.wrong_reply += 1
                if not deviated:
                    deviated = True
                    (verdict.after_error if had_error else verdict.reordered).append(chat)
                    got = [(r.method, r.stage, r.text[:50]) for r in record.reactions]
                    verdict.example(f"{chat} step {record.step + 1}: {got}")
        # the questions as they appeared in the chat, in order (errors aside)
        shown = [r.stage for r in tracker.chat_log.get(chat, []) if r.stage]
        questions = [s for s in shown if s not in ("done", "error", "undelivered")]
        dedup = [s for i, s in enumerate(questions) if i == 0 or questions[i - 1] != s]
        if dedup != list(STAGES[: len(dedup)]) and not deviated:
            deviated = True
            (verdict.after_error if had_error else verdict.reordered).append(chat)
            verdict.example(f"{chat} questions in the chat: {dedup}")
        last_step = records[-1].step if records else -1
        finished = last == "ok" or last == "undelivered"  # signed up; the card was lost
        if chat not in burst.completed or not finished or last_step != len(STAGES) - 1:
            verdict.incomplete.append(chat)

    # every attendee stored, with the answers given, as an attendee of the event
    from storage import repo_events

    services = services_of(burst.app)
    async with services.db.session() as session:
        event = await repo_events.event_by_code(session, code=burst.code)
        rows = await repo_events.attendees(session, event_id=event.id) if event is not None else []
    stored = {user.id: profile for _attendee, user, profile in rows}
    for person in people:
        profile = stored.get(person.user.id)
        if profile is None:
            wrong = ["not an attendee"]
        else:
            expected = {
                "name": person.name,
                "organisation": person.organisation,
                "country": person.country,
                "offers": person.offers,
                "seeks": person.seeks,
            }
            wrong = [
                f"{key}={getattr(profile, key)!r}"
                for key, value in expected.items()
                if (getattr(profile, key) or "").strip() != value
            ]
        if wrong:
            verdict.db_missing.append(person.user.id)
            verdict.example(f"{person.user.id} in the database: {', '.join(wrong)}")
            if person.user.id not in verdict.incomplete:
                verdict.incomplete.append(person.user.id)
    return verdict


# --------------------------------------------------------------------------- echo floor


async def echo_floor(count: int) -> dict[str, float]:
    """The same number of updates (texts and button presses in the sign-up's proportion)
    through a bare PTB echo bot on plain OfflineRequest, one after another."""
    transport = OfflineRequest()
    app = (
        ApplicationBuilder()
        .token(ECHO_TOKEN)
        .request(transport)
        .get_updates_request(transport)
        .build()
    )

    async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(update.message.text)

    async def answer(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.callback_query.answer()

    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(answer))
    factory = UpdateFactory(app.bot, transport)
    people = make_people(max(1, count // len(STAGES) + 1), random.Random(99))
    updates: list[Update] = []
    for person in people:
        for step in script_of(person, "ECHO"):
            if step.kind == "text":
                updates.append(factory.text(person.user, step.value))
            else:
                updates.append(factory.callback(person.user, f"q:1{step.value}", 1))
    updates = updates[:count]
    async with app:
        for update in updates[:50]:  # warm-up (not timed)
            await app.process_update(update)
        gc.collect()
        total = 0.0
        cpu0 = time.thread_time()
        for update in updates:
            t0 = time.perf_counter()
            await app.process_update(update)
            total += time.perf_counter() - t0
        cpu = time.thread_time() - cpu0
    return {
        "updates": len(updates),
        "us_per_update": round(total / len(updates) * 1e6, 1),
        "cpu_us_per_update": round(cpu / len(updates) * 1e6, 1),
    }


# --------------------------------------------------------------------------- the run


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(args.seed)
    people = make_people(args.attendees, rng)
    with tempfile.TemporaryDirectory(prefix="cxbot-event-burst-") as tmpdir:
        if args.database_url:
            url = args.database_url
            await reset_postgres(url)
        else:
            url = f"sqlite+aiosqlite:///{Path(tmpdir) / 'event_burst.sqlite3'}"
        if args.no_limits:  # no flood limits and no rate limiter: the bot's own capacity
            transport = TelegramLimits(
                global_per_second=10**9, chat_per_second=1e9, chat_burst=10**9
            )
        else:
            transport = TelegramLimits(global_per_second=args.global_limit)
        tracker = Tracker(transport)
        processor = make_processor(args.processor, args.concurrency, tracker)
        t_start = time.perf_counter()
        driver = await BotDriver.start(
            make_settings(url),
            clock=FixedClock(NOW),
            transport=transport,
            rate_limit=not args.no_limits,
            concurrent_updates=processor,
        )
        startup_s = time.perf_counter() - t_start
        try:
            code = await create_event(driver)
            burst = Burst(driver, tracker, code, args)
            if args.no_wait:
                probe = make_people(1, random.Random(-1))[0]
                probe.user.id = PROBE_ID
                await burst.record_probe(probe)
            await driver.app.start()
            gc.collect()
            if args.tracemalloc:
                tracemalloc.start()
            errors_before = len(driver.errors)
            cpu0, pcpu0 = time.thread_time(), time.process_time()
            t0 = time.perf_counter()
            starts = sorted(rng.uniform(0, args.door) for _ in people)
            tasks = []
            for person, offset in zip(people, starts, strict=True):
                if args.no_wait:
                    coro = burst.attend_blind(person, t0 + offset)
                else:
                    coro = burst.attend(person, t0 + offset, random.Random(rng.random()))
                tasks.append(asyncio.create_task(coro))
            await asyncio.gather(*tasks)
            t_end = time.perf_counter()
            cpu = time.thread_time() - cpu0
            pcpu = time.process_time() - pcpu0
            traced_peak = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
            if args.tracemalloc:
                tracemalloc.stop()
            await driver.app.stop()
            verdict = await verify(burst, people)
            handler_errors = [type(e).__name__ for e in driver.errors[errors_before:]]
        finally:
            if driver.app.running:
                await driver.app.stop()
            await driver.stop()

    records = [r for r in tracker.records.values() if r.done.is_set()]
    handled = len(records)
    handler = [r.handler_s for r in records]
    latency = [r.finished_at - r.put_at for r in records]
    queued = [r.started_at - r.put_at for r in records]
    first = burst.first_put or t0
    last_done = max(burst.completed.values(), default=t_end)
    floor = await echo_floor(burst.updates_sent or 1)
    result: dict[str, Any] = {
        "attendees": args.attendees,
        "mode": "no-wait" if args.no_wait else "wait",
        "processor": args.processor,
        "telegram_limits": None if args.no_limits else args.global_limit,
        "concurrency": args.concurrency if args.processor != "sequential" else 1,
        "think_s": list(args.think),
        "door_s": args.door,
        "database": "postgresql" if url.startswith("postgresql") else "sqlite",
        "startup_s": round(startup_s, 2),
        "updates_sent": burst.updates_sent,
        "updates_handled": handled,
        "wall_s": round(last_done - first, 2),
        "attendees_completed": len(burst.completed),
        "lost": verdict.lost,
        "updates_without_reaction": verdict.no_reaction,
        "updates_unanswered": verdict.unanswered,
        "attendees_incomplete": len(verdict.incomplete),
        "conversations_reordered": len(verdict.reordered),
        "conversations_off_track_after_an_error": len(verdict.after_error),
        "replies_not_expected": verdict.wrong_reply,
        "error_replies": verdict.error_replies,
        "retries_after_error": burst.retries,
        "undelivered_replies": verdict.undelivered,
        "resumed_with_start": burst.resumed,
        "attendees_missing_in_db": len(verdict.db_missing),
        "aborted_examples": list(burst.aborted.values())[:5],
        "problem_examples": verdict.examples,
        "handler_errors": len(handler_errors),
        "handler_errors_by_type": dict(Counter(handler_errors).most_common()),
        "api_errors_other_than_429": len(tracker.api_errors),
        "responses_429": transport.rejected_429,
        "responses_429_global": transport.rejected_429_global,
        "responses_429_chat": transport.rejected_429_chat,
        "messages_sent": transport.sent,
        "limiter": limiter_figures(driver, transport, args, last_done - first),
        "peak_global_sends_per_s": transport.peak_global_rate,
        "max_updates_in_handlers": tracker.max_running,
        "handler_ms": {
            "mean": round(statistics.fmean(handler) * 1e3, 1) if handler else 0.0,
            "p50": round(_pct(handler, 0.5) * 1e3, 1),
            "p95": round(_pct(handler, 0.95) * 1e3, 1),
            "max": round(max(handler, default=0.0) * 1e3, 1),
        },
        "queued_ms": {
            "p50": round(_pct(queued, 0.5) * 1e3, 1),
            "p95": round(_pct(queued, 0.95) * 1e3, 1),
            "max": round(max(queued, default=0.0) * 1e3, 1),
        },
        "answer_latency_ms": {
            "p50": round(_pct(latency, 0.5) * 1e3, 1),
            "p95": round(_pct(latency, 0.95) * 1e3, 1),
            "max": round(max(latency, default=0.0) * 1e3, 1),
        },
        "handler_time_total_s": round(sum(handler), 2),
        "handler_us_per_update": round(sum(handler) / handled * 1e6, 1) if handled else 0.0,
        "loop_cpu_us_per_update": round(cpu / handled * 1e6, 1) if handled else 0.0,
        "other_threads_cpu_us_per_update": round(max(pcpu - cpu, 0) / handled * 1e6, 1)
        if handled
        else 0.0,
        "loop_cpu_s": round(cpu, 2),
        "echo_floor": floor,
        "tracemalloc_peak_mb": round(traced_peak / 2**20, 1) if traced_peak else None,
        "ru_maxrss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "environment": {
            "python": platform.python_version(),
            "python_telegram_bot": telegram.__version__,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        },
    }
    return result


def limiter_figures(
    driver: BotDriver, transport: TelegramLimits, args: argparse.Namespace, wall: float
) -> dict[str, Any] | None:
    """What the rate limiter did, and the wall time against Telegram's floor: the messages
    delivered at ``--global-limit`` a second, the least any bot needs for them."""
    limiter = driver.app.bot.rate_limiter
    if args.no_limits or limiter is None:
        return None
    floor = transport.sent / args.global_limit
    return {
        "sends": getattr(limiter, "sends", None),
        "limited": getattr(limiter, "limited", None),
        "waited_s": round(getattr(limiter, "waited", 0.0), 1),
        "floor_s": round(floor, 2),
        "wall_over_floor": round(wall / floor, 3) if floor else None,
        "per_signup": round(transport.sent / max(args.attendees, 1), 2),
    }


def limiter_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    lim = r.get("limiter")
    if not lim:
        return []
    return [
        (
            "sends through the limiter / of which waited (time waited in all)",
            f"{lim['sends']} / {lim['limited']} ({lim['waited_s']} s)",
        ),
        (
            "Telegram floor (messages ÷ limit) / wall ÷ floor; messages per sign-up",
            f"{lim['floor_s']:.1f} s / {lim['wall_over_floor']:.3f}×; {lim['per_signup']}",
        ),
    ]


def print_table(r: dict[str, Any]) -> None:
    env = r["environment"]
    print(
        f"event burst: {r['attendees']} attendees, mode {r['mode']}, processor {r['processor']} "
        f"({r['concurrency']}), think {r['think_s'][0]}-{r['think_s'][1]} s, door "
        f"{r['door_s']} s, {r['database']}, "
        + (
            f"Telegram limits {r['telegram_limits']}/s + TelegramRateLimiter"
            if r["telegram_limits"]
            else "no Telegram limits, no rate limiter"
        )
    )
    print(f"Python {env['python']}, PTB {env['python_telegram_bot']}, {env['cpus']} CPUs")
    print()
    h, q, a = r["handler_ms"], r["queued_ms"], r["answer_latency_ms"]
    rows = [
        ("updates sent / handled", f"{r['updates_sent']} / {r['updates_handled']}"),
        ("wall time, first update to last attendee done", f"{r['wall_s']:.2f} s"),
        ("attendees completed", f"{r['attendees_completed']} of {r['attendees']}"),
        (
            "updates lost (no reaction + unanswered + incomplete attendees)",
            f"{r['lost']} ({r['updates_without_reaction']} + {r['updates_unanswered']} + "
            f"{r['attendees_incomplete']})",
        ),
        (
            "conversations reordered (wrong next question) / off track after an error",
            f"{r['conversations_reordered']} / {r['conversations_off_track_after_an_error']}",
        ),
        ("attendees missing or wrong in the database", str(r["attendees_missing_in_db"])),
        (
            "handler errors / other failed Bot API calls",
            f"{r['handler_errors']}"
            + (f" {r['handler_errors_by_type']}" if r["handler_errors_by_type"] else "")
            + f" / {r['api_errors_other_than_429']}",
        ),
        (
            "apologies sent (error handler) / steps retried by attendees",
            f"{r['error_replies']} / {r['retries_after_error']}",
        ),
        (
            "answers not delivered (step saved) / /start sent to continue",
            f"{r['undelivered_replies']} / {r['resumed_with_start']}",
        ),
        (
            "429 responses (global / per chat)",
            f"{r['responses_429']} ({r['responses_429_global']} / {r['responses_429_chat']})",
        ),
        *limiter_rows(r),
        (
            "messages delivered; peak sends in any 1 s",
            f"{r['messages_sent']}; {r['peak_global_sends_per_s']}/s",
        ),
        ("most updates in handlers at once", str(r["max_updates_in_handlers"])),
        (
            "time in handler per update, mean / p50 / p95 / max",
            f"{h['mean']} / {h['p50']} / {h['p95']} / {h['max']} ms",
        ),
        ("waiting before the handler, p50 / p95 / max", f"{q['p50']} / {q['p95']} / {q['max']} ms"),
        (
            "update to answer (as the attendee waits), p50 / p95 / max",
            f"{a['p50']} / {a['p95']} / {a['max']} ms",
        ),
        (
            "event-loop CPU per update / other threads",
            f"{r['loop_cpu_us_per_update']:.0f} / {r['other_threads_cpu_us_per_update']:.0f} us",
        ),
        (
            "bare PTB echo floor per update: time in process_update / CPU",
            f"{r['echo_floor']['us_per_update']:.0f} / "
            f"{r['echo_floor']['cpu_us_per_update']:.0f} us",
        ),
        (
            "peak memory: tracemalloc (burst) / ru_maxrss (process)",
            (
                f"{r['tracemalloc_peak_mb']} MB"
                if r["tracemalloc_peak_mb"] is not None
                else "not traced (--tracemalloc)"
            )
            + f" / {r['ru_maxrss_mb']} MB",
        ),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    for example in r["problem_examples"] + r["aborted_examples"]:
        print(f"  ! {example}")


def _think(value: str) -> tuple[float, float]:
    parts = value.split("-") if "-" in value else [value, value]
    lo, hi = float(parts[0]), float(parts[1])
    if lo < 0 or hi < lo:
        raise argparse.ArgumentTypeError("--think takes MIN-MAX seconds, e.g. 0.5-2")
    return lo, hi


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--attendees", type=int, default=500, help="attendees (500)")
    parser.add_argument(
        "--think", type=_think, default=(0.5, 2.0), help="think time MIN-MAX seconds (0.5-2)"
    )
    parser.add_argument(
        "--door", type=float, default=3.0, help="attendees arrive within this many seconds (3)"
    )
    default_concurrency = Settings.model_fields["concurrent_updates"].default
    parser.add_argument(
        "--concurrency",
        type=int,
        default=default_concurrency,
        help=f"max_concurrent_updates of the processor (the bot's default, {default_concurrency})",
    )
    parser.add_argument(
        "--processor",
        choices=("perchat", "plain", "sequential"),
        default="perchat",
        help="perchat: PerChatUpdateProcessor (default); plain: PTB's concurrent_updates "
        "without per-chat order (updates of one chat overlap, so replies cannot be told apart "
        "per update: only the order and database checks mean something); sequential: one "
        "update at a time (PTB's default)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--retries",
        type=int,
        default=2,
        help="times an attendee sends a step again after the bot's 'please try again' (2)",
    )
    parser.add_argument("--log", action="store_true", help="show the bot's log (errors)")
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="every attendee sends its whole script at once, without waiting for answers",
    )
    parser.add_argument(
        "--step-timeout", type=float, default=120.0, help="seconds to wait for an answer (120)"
    )
    parser.add_argument(
        "--database-url",
        help="run on this database instead of a fresh SQLite file (its tables are DROPPED "
        "first), e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="trace allocations during the burst for the tracemalloc peak (this slows Python "
        "code down about 2.5x, so the time figures of such a run are not representative)",
    )
    parser.add_argument(
        "--global-limit",
        type=int,
        default=30,
        help="the modelled Telegram limit: sends in any sliding second, all chats (30)",
    )
    parser.add_argument(
        "--no-limits",
        action="store_true",
        help="no Telegram flood limits and no rate limiter: what the bot itself can do",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--json-out", metavar="FILE", help="also write the JSON object to FILE")
    args = parser.parse_args(argv)
    if args.attendees < 1 or args.concurrency < 1:
        parser.error("--attendees and --concurrency must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.log:  # the handler errors are counted; their tracebacks would flood the table
        logging.disable(logging.ERROR)
    result = asyncio.run(run(args))
    verdict = "ZERO LOST" if result["lost"] == 0 else f"LOST {result['lost']}"
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2) + "\n")
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)
    print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
