"""Partnership administration and staff validation: /newpartnership, /partnerships, /invite,
/pending, and the Approve / Reject buttons."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.matching import announce_newcomer
from bot.handlers.unit import use_case
from bot.i18n import _
from bot.services.ui import Outcome, esc
from bot.services.unit import Unit


@use_case
async def new_partnership(update: Update, context: Context, unit: Unit) -> Outcome:
    """/newpartnership: a guided creation (super-admins only)."""
    return await context.services.partnerships.new_partnership(update.effective_user.id)


@use_case
async def list_partnerships(update: Update, context: Context, unit: Unit) -> Outcome:
    """/partnerships: the partnerships this user administers or works for."""
    return await context.services.partnerships.list_partnerships(update.effective_user.id)


@use_case
async def invite(update: Update, context: Context, unit: Unit) -> Outcome:
    """/invite <slug>: a one-time staff link (super-admins only)."""
    service = context.services.partnerships
    user_id = update.effective_user.id
    if not context.args:
        return await service.list_partnerships(user_id)
    return await service.invite(user_id, context.args[0])


@use_case
async def pending(update: Update, context: Context, unit: Unit) -> Outcome:
    """/pending: what waits for this staff member's validation."""
    return await context.services.partnerships.pending(update.effective_user.id)


@use_case
async def partnership_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """``pn:…``: creation steps, staff invites, registering as a participant."""
    data = update.callback_query.data or ""
    user = update.effective_user
    if data == "pn:reg":
        return await context.services.onboarding.start(
            user.id, None, user.username, user.language_code
        )
    return await context.services.partnerships.on_partnership_button(user.id, data)


@use_case
async def decision_button(update: Update, context: Context, unit: Unit) -> Outcome:
    """``sv:…``: Approve / Reject (with a reason) / History."""
    service = context.services.partnerships
    user_id = update.effective_user.id
    out, notices, approved = await service.on_button(user_id, update.callback_query.data or "")
    unit.notify(*notices)
    for participant in approved:
        await announce_newcomer(context, unit, participant)
        await tell_if_nobody_fits(context, participant, out)
    return out


async def tell_if_nobody_fits(context: Context, participant: int, out: Outcome) -> None:
    """Nobody is dropped silently: staff learn when a validated participant has no match."""
    reason = await context.services.matchmaking.nobody_fits(participant)
    if reason:
        text = _("Nobody can be proposed to this participant yet. The participant reads:")
        out.add(text + "\n<i>" + esc(reason) + "</i>")


def register(app: Application) -> None:
    """Commands and buttons."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("newpartnership", new_partnership, filters=private))
    app.add_handler(CommandHandler("partnerships", list_partnerships, filters=private))
    app.add_handler(CommandHandler("invite", invite, filters=private))
    app.add_handler(CommandHandler("pending", pending, filters=private))
    app.add_handler(CallbackQueryHandler(partnership_button, pattern=r"^pn:"))
    app.add_handler(CallbackQueryHandler(decision_button, pattern=r"^sv:"))
