"""/search and the buttons of its results; inline mode (``@bot words`` in any chat); staff's
/participants (also what /search does for staff without a profile of their own)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    filters,
)

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.search import callbacks
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def search(update: Update, context: Context, unit: Unit) -> Outcome:
    """/search [words]: results, or the question for the words."""
    words = " ".join(context.args or [])
    services, user_id = context.services, update.effective_user.id
    if await services.staff_search.instead_of_search(unit, user_id):
        return await services.staff_search.command(unit, user_id, words)
    return await services.search.command(unit, user_id, words)


@use_case
async def participants(update: Update, context: Context, unit: Unit) -> Outcome:
    """/participants [words]: staff search their partnership's participants."""
    words = " ".join(context.args or [])
    return await context.services.staff_search.command(unit, update.effective_user.id, words)


@use_case
async def participants_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """A participant's whole profile, a page, a criterion."""
    return await context.services.staff_search.on_button(
        unit, update.effective_user.id, update.callback_query.data
    )


@use_case
async def search_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Interested, a page, a criterion; a mutual match becomes an exchange."""
    return await context.services.workflows.search_button(
        unit, update.effective_user.id, update.callback_query.data
    )


@use_case
async def inline_query(update: Update, context: Context, unit: Unit) -> Outcome:
    """``@bot words``: organisations that fit, each with a link to its profile (no chat: the
    answer goes to the inline query)."""
    query = update.inline_query
    return await context.services.search.inline(unit, query.from_user.id, query.query, query.offset)


def register(app: Application) -> None:
    """Command, buttons and inline queries."""
    app.add_handler(CommandHandler("search", search, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(search_button, pattern=callbacks.PATTERN))
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("participants", participants, filters=private))
    app.add_handler(CallbackQueryHandler(participants_button, pattern=callbacks.STAFF_PATTERN))
    app.add_handler(InlineQueryHandler(inline_query))
