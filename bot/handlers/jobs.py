"""The periodic job: proposal nudges and expiry, and the exchange reminders stored in the
database (each sent once, by whichever worker claims it)."""

from __future__ import annotations

import logging

from telegram.ext import Application

from bot.context import Context, services_of
from bot.handlers.render import send_notices

log = logging.getLogger(__name__)
FIRST_RUN_SECONDS = 5  # soon after a start, so reminders missed while down go out late once


async def dispatch(app: Application) -> int:
    """Send everything that is due; returns the number of messages sent."""
    services = services_of(app)
    sent = await send_notices(app.bot, await services.matchmaking.dispatch_due())
    batches, _obsolete = await services.exchanges.dispatch_due()
    for notice, reminder_ids in batches:
        sent += await send_notices(app.bot, [notice])
        await services.exchanges.mark_sent(reminder_ids)  # delivered or undeliverable
    return sent


async def dispatch_job(context: Context) -> None:
    """JobQueue callback around ``dispatch``."""
    sent = await dispatch(context.application)
    if sent:
        log.info("sent %d reminders, nudges and expiry notes", sent)


def register(app: Application) -> None:
    """The repeating job (when a JobQueue is available)."""
    if app.job_queue is not None:
        interval = services_of(app).settings.dispatch_interval_seconds
        app.job_queue.run_repeating(
            dispatch_job, interval=interval, first=FIRST_RUN_SECONDS, name="dispatch"
        )
