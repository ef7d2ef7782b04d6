"""Events: /newevent, /event, /broadcast, the quick sign-up buttons, event proposals, and the
paced broadcast with its progress message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from time import monotonic
from typing import Any

from telegram import Bot, Message, Update
from telegram.error import TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context, services_of
from bot.handlers.render import send_reply
from bot.handlers.unit import use_case
from bot.i18n import use_language
from bot.services.events import callbacks
from bot.services.events.broadcast import BroadcastMixin, BroadcastPlan
from bot.services.outbox import RETRY, UNREACHABLE
from bot.services.ui import Outcome
from bot.services.unit import Unit
from storage.models import OutboxMessage

log = logging.getLogger(__name__)
BACKGROUND = "background_tasks"  # bot_data key: running broadcasts (awaited on shutdown/tests)
PROGRESS_EVERY = 2.0  # seconds between edits of the progress message
MAX_WAIT = 30.0  # the longest flood-control wait before one more try


@use_case
async def new_event(update: Update, context: Context, unit: Unit) -> Outcome:
    """/newevent: create an event of the staff member's partnership."""
    return await context.services.events.new_event(unit, update.effective_user.id)


@use_case
async def event(update: Update, context: Context, unit: Unit) -> Outcome:
    """/event: live figures for staff, meetings and proposals for attendees."""
    return await context.services.events.overview(unit, update.effective_user.id)


@use_case
async def broadcast(update: Update, context: Context, unit: Unit) -> Outcome:
    """/broadcast [event]: a message to every attendee of an event."""
    argument = " ".join(context.args or ()) or None
    return await context.services.events.broadcast(unit, update.effective_user.id, argument)


@use_case
async def signup_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Consent and country of the quick sign-up."""
    user = update.effective_user
    return await context.services.events.on_signup_button(
        unit, user.id, update.callback_query.data, user.username
    )


@use_case
async def attendee_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Interested / Not for me, did you meet?, propose an exchange, more proposals."""
    return await context.services.workflows.event_button(
        unit, update.effective_user.id, update.callback_query.data
    )


@use_case
async def create_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """The buttons of /newevent."""
    return await context.services.events.on_create_button(
        unit, update.effective_user.id, update.callback_query.data, context.bot.username
    )


@use_case
async def staff_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Figures, export, chart, QR and poster, broadcast."""
    out, plan = await context.services.events.on_staff_button(
        unit, update.effective_user.id, update.callback_query.data, context.bot.username
    )
    if plan is not None:
        chat_id = update.effective_chat.id
        app = context.application

        async def launch() -> None:
            # The unit is committed: its paced rows have their ids now.
            start_background(app, run_broadcast(app, chat_id, plan, unit.paced))

        unit.later(launch)
    return out


def start_background(app: Application, coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task:
    """Run ``coroutine`` beside the update handling (a broadcast takes minutes), keeping a
    reference until it ends; a failure is logged, never lost."""
    tasks: set[asyncio.Task] = app.bot_data.setdefault(BACKGROUND, set())

    async def guarded() -> None:
        try:
            await coroutine
        except Exception:
            log.exception("background task failed")

    task = asyncio.create_task(guarded(), name="broadcast")
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return task


async def run_broadcast(
    app: Application, chat_id: int, plan: BroadcastPlan, rows: Sequence[OutboxMessage]
) -> tuple[int, int, int]:
    """Send a broadcast's outbox rows at most ``CXBOT_BROADCAST_PER_SECOND`` per second
    (below Telegram's ~30/s for a bot, leaving room for everyone else's conversation), edit
    a progress message at most every ``PROGRESS_EVERY`` seconds, and finish with the counts.
    Each row is claimed just before it is sent; if this process dies, the dispatcher sends
    the rest once their time is long past."""
    services = services_of(app)
    bot, outbox = app.bot, services.outbox
    interval = 1.0 / services.settings.broadcast_per_second
    total = len(rows)
    sent = blocked = failed = 0

    async def send(chat: int, reply: Any) -> None:
        await send_reply(bot, chat, reply)

    with use_language(plan.staff_language):
        progress = await bot.send_message(
            chat_id, BroadcastMixin.progress_text(plan, total, 0, 0, 0, 0)
        )
    last_edit = monotonic()
    for done, row in enumerate(rows, start=1):
        started = monotonic()
        result: str | None = "taken"
        for attempt in range(2):
            claimed = await outbox.claim([row.id or 0])
            if not claimed:
                break  # another sender has it (after a long stall of this one)
            result = await outbox.send_one(send, claimed[0])
            if result == RETRY and attempt == 0:  # Telegram asks to slow down: once more
                await asyncio.sleep(min(MAX_WAIT, interval * 30))
                continue
            break
        if result is None:
            sent += 1
        elif result == UNREACHABLE:
            blocked += 1
        elif result != "taken":
            failed += 1
        if done < total and monotonic() - last_edit >= PROGRESS_EVERY:
            await _edit(bot, progress, plan, total, done, sent, blocked, failed)
            last_edit = monotonic()
        wait = interval - (monotonic() - started)
        if wait > 0:
            await asyncio.sleep(wait)
    await _edit(bot, progress, plan, total, total, sent, blocked, failed)
    log.info("broadcast %s: sent %d, blocked %d, failed %d", plan.event_id, sent, blocked, failed)
    return sent, blocked, failed


async def _edit(bot: Bot, progress: Message, plan: BroadcastPlan, *counts: int) -> None:
    with use_language(plan.staff_language):
        text = BroadcastMixin.progress_text(plan, *counts)
    try:
        await bot.edit_message_text(text, chat_id=progress.chat_id, message_id=progress.message_id)
    except TelegramError as exc:  # a progress message is a courtesy; the broadcast goes on
        log.info("could not update the broadcast progress: %s", exc)


def register(app: Application) -> None:
    """Commands and buttons."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newevent", new_event, filters=private))
    app.add_handler(CommandHandler("event", event, filters=private))
    app.add_handler(CommandHandler("broadcast", broadcast, filters=private))
    app.add_handler(CallbackQueryHandler(signup_button, pattern=callbacks.SIGNUP_PATTERN))
    app.add_handler(CallbackQueryHandler(attendee_button, pattern=callbacks.ATTENDEE_PATTERN))
    app.add_handler(CallbackQueryHandler(create_button, pattern=callbacks.CREATE_PATTERN))
    app.add_handler(CallbackQueryHandler(staff_button, pattern=callbacks.STAFF_PATTERN))
