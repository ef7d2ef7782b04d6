"""Figures and exports for partnership staff: /stats and /export."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, filters

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def stats(update: Update, context: Context, unit: Unit) -> Outcome:
    """/stats: counts and a chart of exchanges by phase for the staff member's partnership."""
    return await context.services.reports.stats(unit, update.effective_user.id)


@use_case
async def export(update: Update, context: Context, unit: Unit) -> Outcome:
    """/export: the partnership's participants and exchanges as CSV files."""
    return await context.services.reports.export(unit, update.effective_user.id)


def register(app: Application) -> None:
    """Commands (private chats only: the figures name participants)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("stats", stats, filters=private))
    app.add_handler(CommandHandler("export", export, filters=private))
