"""/matches, the proposal buttons, and the periodic job for nudges and expiry."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context, services_of
from bot.handlers.render import send_notices, send_outcome

log = logging.getLogger(__name__)


async def matches(update: Update, context: Context) -> None:
    """/matches: the next proposal card."""
    out = await context.services.matchmaking.show(update.effective_user.id)
    await send_outcome(update, context, out)


async def proposal_button(update: Update, context: Context) -> None:
    """Interested / Not for me / Next / decline reasons; may notify the other side."""
    service = context.services.matchmaking
    out, notices = await service.on_button(
        update.effective_user.id, update.callback_query.data or ""
    )
    await send_outcome(update, context, out)
    await send_notices(context.bot, notices)


async def announce_newcomer(context: Context, user_id: int) -> None:
    """After a registration: tell existing participants for whom the newcomer is a top match."""
    notices = await context.services.matchmaking.new_participant(user_id)
    await send_notices(context.bot, notices)


async def dispatch(app: Application) -> int:
    """Send due nudges and expiry notes; returns the number of messages sent."""
    notices = await services_of(app).matchmaking.dispatch_due()
    return await send_notices(app.bot, notices)


async def dispatch_job(context: Context) -> None:
    """JobQueue callback around ``dispatch``."""
    sent = await dispatch(context.application)
    if sent:
        log.info("sent %d proposal reminders and expiry notes", sent)


def register(app: Application) -> None:
    """Command, buttons, and the periodic job (when a JobQueue is available)."""
    app.add_handler(CommandHandler("matches", matches, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(proposal_button, pattern=r"^m:"))
    if app.job_queue is not None:
        interval = services_of(app).settings.dispatch_interval_seconds
        app.job_queue.run_repeating(
            dispatch_job, interval=interval, first=interval, name="dispatch"
        )
