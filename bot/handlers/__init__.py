"""Thin handlers, one module per feature. ``register_all`` fixes the order in one place."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import Context
from bot.handlers import (
    account,
    common,
    conversation,
    events,
    exchange,
    jobs,
    matching,
    onboarding,
    reports,
    search,
    staff,
)
from bot.handlers.unit import use_case
from bot.services.ui import Outcome, stale_button
from bot.services.unit import Unit

# The update kinds the handlers below take; Telegram sends no others (``allowed_updates``), so
# nothing waits in the inbox that no handler would ever mark handled.
ALLOWED_UPDATES: tuple[str, ...] = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.INLINE_QUERY,  # inline mode: organisations to share (bot.handlers.search)
)


@use_case
async def unclaimed_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Any callback data no feature claims: a polite refusal, nothing changes."""
    return stale_button()


def register_all(app: Application) -> None:
    """Register every handler. Order matters within group 0: commands and buttons of the
    features first, then /help and the unknown-command fallback, then free text and media."""
    common.register(app)  # the error handler, blocked and unblocked chats
    conversation.register(app)
    onboarding.register(app)
    account.register(app)
    matching.register(app)
    search.register(app)
    exchange.register(app)
    staff.register(app)
    reports.register(app)
    events.register(app)
    jobs.register(app)
    common.register_late(app)
    conversation.register_late(app)
    app.add_handler(CallbackQueryHandler(unclaimed_button))
