"""/matches and the proposal buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def matches(update: Update, context: Context, unit: Unit) -> Outcome:
    """/matches: the next proposal card."""
    return await context.services.matchmaking.show(update.effective_user.id)


@use_case
async def proposal_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Interested / Not for me / Next / decline reasons; may notify the other side."""
    service = context.services.matchmaking
    out, notices = await service.on_button(
        update.effective_user.id, update.callback_query.data or ""
    )
    unit.notify(*notices)
    return out


async def announce_newcomer(context: Context, unit: Unit, user_id: int) -> None:
    """After a registration: tell existing participants for whom the newcomer is a top match."""
    unit.notify(*await context.services.matchmaking.new_participant(user_id))


def register(app: Application) -> None:
    """Command and buttons."""
    app.add_handler(CommandHandler("matches", matches, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(proposal_button, pattern=r"^m:"))
