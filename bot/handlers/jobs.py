"""The periodic job: proposal nudges and expiry, reminders that fell due, staff reminded of
what waits for their validation, and the outbox rows nobody is sending (a sender died, or a
retry is due). Each run of a kind is one unit of work: what it decides and the messages it
writes are committed together, then delivered."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import Context, services_of
from bot.handlers.render import send_reply
from bot.handlers.unit import deliver

log = logging.getLogger(__name__)
FIRST_RUN_SECONDS = 5  # soon after a start, so reminders missed while down go out late once


async def dispatch(app: Application) -> int:
    """Send everything that is due; returns the number of messages sent."""
    services = services_of(app)
    async with services.units.job() as unit:
        await services.matchmaking.send_due_nudges(unit)
    sent = await deliver(app, unit.outbox)
    async with services.units.job() as unit:
        await services.exchanges.send_due_reminders(unit)
        await services.exchanges.remind_unpaid(unit)
        await services.events.send_due_reminders(unit)
    sent += await deliver(app, unit.outbox)
    async with services.units.job() as unit:
        await services.reviews.followups.send_due(unit)
    sent += await deliver(app, unit.outbox)
    bot = app.bot
    sent += await services.outbox.dispatch(lambda chat, reply: send_reply(bot, chat, reply))
    await services.inbox.forget_old()
    await services.outbox.forget_old()
    return sent


async def dispatch_job(context: Context) -> None:
    """JobQueue callback around ``dispatch``."""
    sent = await dispatch(context.application)
    if sent:
        log.info("sent %d reminders, nudges and other messages", sent)


def register(app: Application) -> None:
    """The repeating job (when a JobQueue is available)."""
    if app.job_queue is not None:
        interval = services_of(app).settings.dispatch_interval_seconds
        app.job_queue.run_repeating(
            dispatch_job, interval=interval, first=FIRST_RUN_SECONDS, name="dispatch"
        )
