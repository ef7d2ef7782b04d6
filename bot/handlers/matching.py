"""/matches and the proposal buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.matchmaking import callbacks
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def matches(update: Update, context: Context, unit: Unit) -> Outcome:
    """/matches: the next proposal card."""
    return await context.services.matchmaking.show(unit, update.effective_user.id)


@use_case
async def proposal_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Interested / Not for me / Next / why not; a mutual match becomes an exchange."""
    return await context.services.workflows.answer_proposal(
        unit, update.effective_user.id, update.callback_query.data
    )


def register(app: Application) -> None:
    """Command and buttons."""
    app.add_handler(CommandHandler("matches", matches, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(proposal_button, pattern=callbacks.PATTERN))
