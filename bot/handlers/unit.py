"""Every handler goes through ``use_case``: one unit of work per update.

The decorator opens the update's unit (claiming the update in the inbox: a second delivery
is dropped without an answer), calls the thin handler body with it, commits, then sends the
reply to the person who acted and delivers the unit's outbox rows to everyone else. Nothing
is sent before the commit, so nobody is ever told about a change that was rolled back, and a
crash after the commit delays the others' messages (the dispatcher takes them over) instead
of losing them.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Update
from telegram.ext import Application

from bot.context import Context, services_of
from bot.handlers.render import send_outcome, send_reply
from bot.metrics import COUNTERS
from bot.services.ui import Outcome
from bot.services.unit import Unit
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

Body = Callable[[Update, Context, Unit], Awaitable[Outcome | None]]
Handler = Callable[[Update, Context], Awaitable[None]]


def use_case(body: Body) -> Handler:
    """Run ``body`` in the update's unit of work; send its outcome after the commit."""

    @functools.wraps(body)
    async def handler(update: Update, context: Context) -> None:
        services = context.services
        user = update.effective_user
        try:
            async with services.units.update(
                update.update_id,
                user.id if user else None,
                user.language_code if user else None,
            ) as unit:
                if unit is None:
                    COUNTERS.duplicate += 1
                    return  # handled before: Telegram delivered it again
                out = await body(update, context, unit)
            COUNTERS.handled += 1
        except Exception:
            COUNTERS.failed += 1
            try:
                await services.units.failed(update.update_id)
            except Exception:
                log.exception("could not mark update %s as failed", update.update_id)
            raise
        try:
            if out is not None:
                # Where its cards went is known only now: recorded after the unit, like the
                # outbox records a message as sent (a crash in between leaves a card live,
                # and a press on it is answered "already answered").
                await services.outbox.remember(await send_outcome(update, context, out))
        finally:
            await deliver(context.application, unit.outbox)
            for action in unit.after_commit:
                await action()

    return handler


async def deliver(app: Application, rows: Sequence[OutboxMessage]) -> int:
    """Send a committed unit's outbox rows; how many went out."""
    if not rows:
        return 0
    bot = app.bot
    return await services_of(app).outbox.deliver(
        lambda chat_id, reply: send_reply(bot, chat_id, reply), rows
    )
