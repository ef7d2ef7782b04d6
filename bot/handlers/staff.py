"""Partnership administration and staff validation: /newpartnership, /partnerships, /invite,
/pending, and the Approve / Reject buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.unit import use_case
from bot.services.partnerships import callbacks as partnership_buttons
from bot.services.review import callbacks as review_buttons
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def new_partnership(update: Update, context: Context, unit: Unit) -> Outcome:
    """/newpartnership: a guided creation (super-admins only)."""
    return await context.services.partnerships.new_partnership(unit, update.effective_user.id)


@use_case
async def list_partnerships(update: Update, context: Context, unit: Unit) -> Outcome:
    """/partnerships: the partnerships this user administers or works for."""
    return await context.services.partnerships.list_partnerships(unit, update.effective_user.id)


@use_case
async def invite(update: Update, context: Context, unit: Unit) -> Outcome:
    """/invite <slug>: a one-time staff link (super-admins only)."""
    service = context.services.partnerships
    user_id = update.effective_user.id
    if not context.args:
        return await service.list_partnerships(unit, user_id)
    return await service.invite(unit, user_id, context.args[0])


@use_case
async def pending(update: Update, context: Context, unit: Unit) -> Outcome:
    """/pending: what waits for this staff member's validation."""
    return await context.services.reviews.pending(unit, update.effective_user.id)


@use_case
async def partnership_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Creation steps, staff invites, registering as a participant."""
    data = update.callback_query.data
    user = update.effective_user
    services = context.services
    if isinstance(partnership_buttons.parse(data), partnership_buttons.Register):
        out = await services.onboarding.start(
            unit, user.id, None, user.username, user.language_code
        )
        return await services.workflows.registered(unit, user.id, out)
    return await services.partnerships.on_button(unit, user.id, data)


@use_case
async def decision_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """Approve / Reject (with a reason) / History."""
    return await context.services.workflows.staff_decision(
        unit, update.effective_user.id, update.callback_query.data
    )


def register(app: Application) -> None:
    """Commands and buttons."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newpartnership", new_partnership, filters=private))
    app.add_handler(CommandHandler("partnerships", list_partnerships, filters=private))
    app.add_handler(CommandHandler("invite", invite, filters=private))
    app.add_handler(CommandHandler("pending", pending, filters=private))
    app.add_handler(CallbackQueryHandler(partnership_button, pattern=partnership_buttons.PATTERN))
    app.add_handler(CallbackQueryHandler(decision_button, pattern=review_buttons.PATTERN))
