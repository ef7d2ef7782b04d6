"""/matches and the proposal buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.render import send_notices, send_outcome


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


def register(app: Application) -> None:
    """Command and buttons."""
    app.add_handler(CommandHandler("matches", matches, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(proposal_button, pattern=r"^m:"))
