"""/start, consent, the registration questions, /cancel, and free text in general.

Typed text goes to whoever asked for it: the exchange (dates, goals, report), staff input
(a rejection reason, a new partnership), or the registration.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import Context
from bot.handlers.common import refresh_chat_menu
from bot.handlers.matching import announce_newcomer
from bot.handlers.unit import use_case
from bot.i18n import _, current_language
from bot.services import events, exchanges, partnerships
from bot.services.ui import Outcome
from bot.services.unit import Unit


async def _after(context: Context, unit: Unit, user_id: int, out: Outcome) -> None:
    """A profile completed (announce it) or waiting for validation (tell the staff)."""
    if out.completed:
        await announce_newcomer(context, unit, user_id)
    if out.submitted:
        unit.notify(*await context.services.partnerships.profile_submitted(user_id))


@use_case
async def start(update: Update, context: Context, unit: Unit) -> Outcome:
    """/start [payload]: staff invitation, staff overview, or welcome and registration."""
    user = update.effective_user
    payload = context.args[0] if context.args else None
    services = context.services
    if payload and payload.startswith(partnerships.STAFF_INVITE_PREFIX):
        token = payload[len(partnerships.STAFF_INVITE_PREFIX) :]
        out = await services.partnerships.accept_invite(
            user.id, token, user.username, user.language_code
        )
        if await services.partnerships.is_staff(user.id):
            await refresh_chat_menu(context, unit, update.effective_chat.id, current_language())
        return out
    if payload and payload.startswith(events.EVENT_PREFIX):
        code = payload[len(events.EVENT_PREFIX) :]
        out, notices, fallback = await services.events.join(
            user.id, code, user.username, user.language_code
        )
        if fallback:  # unknown or finished event: the normal registration
            more = await services.onboarding.start(user.id, None, user.username, user.language_code)
            out.replies.extend(more.replies)
        unit.notify(*notices)
        return out
    if not payload and await services.account.state_of(user.id) in events.RESUMED:
        return await services.events.resume(user.id)
    out = None if payload else await services.partnerships.staff_start(user.id)
    if out is None:
        out = await services.onboarding.start(user.id, payload, user.username, user.language_code)
    await _after(context, unit, user.id, out)
    return out


@use_case
async def cancel(update: Update, context: Context, unit: Unit) -> Outcome:
    """/cancel: leave the current question; nothing is lost."""
    user_id = update.effective_user.id
    services = context.services
    state = await services.account.state_of(user_id)
    if state in events.STATES:
        return await services.events.cancel(user_id)
    if state in exchanges.STATES:
        return await services.exchanges.cancel(user_id)
    if state in partnerships.STATES:
        return await services.partnerships.cancel(user_id)
    return await services.onboarding.cancel(user_id)


@use_case
async def text(update: Update, context: Context, unit: Unit) -> Outcome:
    """A typed answer (or chatter when nothing is asked)."""
    user_id = update.effective_user.id
    message = update.effective_message.text or ""
    services = context.services
    out = await services.onboarding.on_text(user_id, message)
    if out is not None:
        await _after(context, unit, user_id, out)
        return out
    state = await services.account.state_of(user_id)  # a question of another service
    if state in events.STATES:
        out, notices = await services.events.on_text(user_id, message, context.bot.username)
    elif state in exchanges.STATES:
        out, notices = await services.exchanges.on_text(user_id, message)
    elif state in partnerships.STATES:
        out, notices, _approved = await services.partnerships.on_text(user_id, message)
    else:
        return Outcome().add(_("Please send /start to continue."))
    unit.notify(*notices)
    return out


@use_case
async def other(update: Update, context: Context, unit: Unit) -> Outcome:
    """Files, stickers, photos, voice…: a report's attachment, or explain what is expected."""
    user_id = update.effective_user.id
    services = context.services
    document = update.effective_message.document
    if document is not None:
        result = await services.exchanges.on_document(
            user_id, document.file_id, document.file_name or "document"
        )
        if result is not None:
            out, notices = result
            unit.notify(*notices)
            return out
    state = await services.account.state_of(user_id)
    if state in events.STATES:
        return await services.events.other_input(user_id)
    if state in exchanges.STATES or state in partnerships.STATES:
        return await services.exchanges.other_input(user_id)
    return await services.onboarding.on_other(user_id)


@use_case
async def button(update: Update, context: Context, unit: Unit) -> Outcome:
    """A registration button."""
    query = update.callback_query
    user = update.effective_user
    out = await context.services.onboarding.on_button(user.id, query.data or "", user.username)
    await _after(context, unit, user.id, out)
    return out


def register(app: Application) -> None:
    """Commands first; the catch-all text and media handlers are added by ``register_late``."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", start, filters=private))
    app.add_handler(CommandHandler("cancel", cancel, filters=private))
    app.add_handler(CallbackQueryHandler(button, pattern=r"^r:"))


def register_late(app: Application) -> None:
    """Plain text and any other message kind in private chats."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, text))
    app.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, other))
