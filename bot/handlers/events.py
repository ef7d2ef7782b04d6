"""Events: /newevent, /event, /broadcast, the quick sign-up buttons, event proposals, and the
paced broadcast with its progress message."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from time import monotonic
from typing import Any

from telegram import Bot, Update
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.render import seconds
from bot.handlers.unit import use_case
from bot.i18n import use_language
from bot.services.events import BroadcastPlan, Events
from bot.services.ui import Outcome
from bot.services.unit import Unit

log = logging.getLogger(__name__)
BACKGROUND = "background_tasks"  # bot_data key: running broadcasts (awaited on shutdown/tests)
PROGRESS_EVERY = 2.0  # seconds between edits of the progress message


@use_case
async def new_event(update: Update, context: Context, unit: Unit) -> Outcome:
    """/newevent: create an event of the staff member's partnership."""
    return await context.services.events.new_event(update.effective_user.id)


@use_case
async def event(update: Update, context: Context, unit: Unit) -> Outcome:
    """/event: live figures for staff, meetings and proposals for attendees."""
    return await context.services.events.overview(update.effective_user.id)


@use_case
async def broadcast(update: Update, context: Context, unit: Unit) -> Outcome:
    """/broadcast [event]: a message to every attendee of an event."""
    argument = " ".join(context.args or ()) or None
    return await context.services.events.broadcast(update.effective_user.id, argument)


@use_case
async def signup_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """``q:…``: consent and country of the quick sign-up."""
    data = update.callback_query.data or ""
    user = update.effective_user
    out, notices = await context.services.events.on_signup_button(user.id, data, user.username)
    unit.notify(*notices)
    return out


@use_case
async def proposal_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """``ev:…``: Interested / Not for me, did you meet?, propose an exchange, more."""
    data = update.callback_query.data or ""
    out, notices = await context.services.events.on_button(update.effective_user.id, data)
    unit.notify(*notices)
    return out


@use_case
async def create_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """``en:…``: the buttons of /newevent."""
    data = update.callback_query.data or ""
    return await context.services.events.on_create_button(
        update.effective_user.id, data, context.bot.username
    )


@use_case
async def staff_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """``es:…``: figures, export, chart, QR and poster, broadcast."""
    service = context.services.events
    data = update.callback_query.data or ""
    out, plan = await service.on_staff_button(update.effective_user.id, data, context.bot.username)
    if plan is not None:
        rate = context.services.settings.broadcast_per_second
        chat_id = update.effective_chat.id

        async def launch() -> None:
            start_background(context.application, run_broadcast(context.bot, chat_id, plan, rate))

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
    bot: Bot, chat_id: int, plan: BroadcastPlan, per_second: float
) -> tuple[int, int, int]:
    """Send the plan's messages at most ``per_second`` per second (below Telegram's ~30/s
    for a bot, leaving room for everyone else's conversation), edit a progress message at
    most every ``PROGRESS_EVERY`` seconds, and finish with the counts."""
    interval = 1.0 / per_second
    sent = blocked = failed = 0
    with use_language(plan.staff_language):
        progress = await bot.send_message(chat_id, Events.progress_text(plan, 0, 0, 0, 0))
    last_edit = monotonic()
    for done, (target, text) in enumerate(plan.messages, start=1):
        started = monotonic()
        for attempt in range(2):
            try:
                await bot.send_message(target, text)
                sent += 1
            except RetryAfter as exc:  # Telegram asks to slow down: wait, then once more
                if attempt == 0:
                    await asyncio.sleep(seconds(exc.retry_after))
                    continue
                failed += 1
            except Forbidden:
                blocked += 1
            except TelegramError as exc:
                log.info("broadcast to %s failed: %s", target, exc)
                failed += 1
            break
        if done < len(plan.messages) and monotonic() - last_edit >= PROGRESS_EVERY:
            await _edit(bot, progress, plan, done, sent, blocked, failed)
            last_edit = monotonic()
        wait = interval - (monotonic() - started)
        if wait > 0:
            await asyncio.sleep(wait)
    await _edit(bot, progress, plan, len(plan.messages), sent, blocked, failed)
    log.info("broadcast %s: sent %d, blocked %d, failed %d", plan.event_id, sent, blocked, failed)
    return sent, blocked, failed


async def _edit(bot: Bot, progress, plan: BroadcastPlan, *counts: int) -> None:
    with use_language(plan.staff_language):
        text = Events.progress_text(plan, *counts)
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
    app.add_handler(CallbackQueryHandler(signup_button, pattern=r"^q:"))
    app.add_handler(CallbackQueryHandler(proposal_button, pattern=r"^ev:"))
    app.add_handler(CallbackQueryHandler(create_button, pattern=r"^en:"))
    app.add_handler(CallbackQueryHandler(staff_button, pattern=r"^es:"))
