"""Figures and exports for partnership staff: /stats and /export."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.context import Context
from bot.handlers.render import send_outcome


async def stats(update: Update, context: Context) -> None:
    """/stats: counts and a chart of exchanges by phase for the staff member's partnership."""
    out = await context.services.reports.stats(update.effective_user.id)
    await send_outcome(update, context, out)


async def export(update: Update, context: Context) -> None:
    """/export: the partnership's participants and exchanges as CSV files."""
    out = await context.services.reports.export(update.effective_user.id)
    await send_outcome(update, context, out)


def register(app: Application) -> None:
    """Commands (private chats only: the figures name participants)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("stats", stats, filters=private))
    app.add_handler(CommandHandler("export", export, filters=private))
