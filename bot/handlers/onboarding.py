"""The registration's buttons, and /profile with its edit buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.onboarding import callbacks
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def button(update: Update, context: Context, unit: Unit) -> Outcome:
    """A registration button; a completed profile is announced or sent for validation."""
    user = update.effective_user
    services = context.services
    out = await services.onboarding.on_button(
        unit, user.id, update.callback_query.data, user.username
    )
    return await services.workflows.registered(unit, user.id, out)


@use_case
async def profile(update: Update, context: Context, unit: Unit) -> Outcome:
    """/profile: the profile card with an edit button."""
    return await context.services.onboarding.show_profile(unit, update.effective_user.id)


@use_case
async def profile_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """The field list, or editing one field."""
    return await context.services.onboarding.on_profile_button(
        unit, update.effective_user.id, update.callback_query.data
    )


def register(app: Application) -> None:
    """Command and buttons."""
    app.add_handler(CallbackQueryHandler(button, pattern=callbacks.PATTERN))
    app.add_handler(CommandHandler("profile", profile, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(profile_button, pattern=callbacks.PROFILE_PATTERN))
