"""/exchange and the exchange buttons: dates, goals and agenda, the visit, the report."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.exchanges import callbacks
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def exchange(update: Update, context: Context, unit: Unit) -> Outcome:
    """/exchange: where the user's exchanges stand, with the next step."""
    return await context.services.workflows.exchange_overview(unit, update.effective_user.id)


@use_case
async def exchange_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """A step of the exchange; the other side may be told."""
    return await context.services.exchanges.on_button(
        unit, update.effective_user.id, update.callback_query.data
    )


def register(app: Application) -> None:
    """Command and buttons."""
    app.add_handler(CommandHandler("exchange", exchange, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(exchange_button, pattern=callbacks.PATTERN))
