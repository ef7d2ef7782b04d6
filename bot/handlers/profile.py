"""/profile: show the profile and edit single fields."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def profile(update: Update, context: Context, unit: Unit) -> Outcome:
    """/profile: the profile card with an edit button."""
    return await context.services.onboarding.show_profile(update.effective_user.id)


@use_case
async def profile_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """``prof:menu`` opens the field list, ``prof:edit:<field>`` edits one field."""
    data = (update.callback_query.data or "").split(":")
    onboarding = context.services.onboarding
    user_id = update.effective_user.id
    if data[1:2] == ["edit"] and len(data) == 3:
        return await onboarding.edit_field(user_id, data[2])
    return await onboarding.show_profile(user_id, menu=True)


def register(app: Application) -> None:
    """Command and buttons."""
    app.add_handler(CommandHandler("profile", profile, filters=filters.ChatType.PRIVATE))
    app.add_handler(CallbackQueryHandler(profile_button, pattern=r"^prof:"))
