"""/start, consent, the registration questions, /cancel, and free text in general."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.context import Context
from bot.handlers.matching import announce_newcomer
from bot.handlers.render import send_outcome


async def start(update: Update, context: Context) -> None:
    """/start [payload]: welcome and consent, or continue the registration."""
    user = update.effective_user
    payload = context.args[0] if context.args else None
    out = await context.services.onboarding.start(user.id, payload, user.username)
    await send_outcome(update, context, out)


async def cancel(update: Update, context: Context) -> None:
    """/cancel: leave the current question; nothing is lost."""
    await send_outcome(
        update, context, await context.services.onboarding.cancel(update.effective_user.id)
    )


async def text(update: Update, context: Context) -> None:
    """A typed answer (or chatter when nothing is asked)."""
    out = await context.services.onboarding.on_text(
        update.effective_user.id, update.effective_message.text or ""
    )
    await send_outcome(update, context, out)


async def other(update: Update, context: Context) -> None:
    """Stickers, photos, voice, files…: explain what is expected."""
    await send_outcome(
        update, context, await context.services.onboarding.on_other(update.effective_user.id)
    )


async def button(update: Update, context: Context) -> None:
    """A registration button."""
    query = update.callback_query
    user = update.effective_user
    out = await context.services.onboarding.on_button(user.id, query.data or "", user.username)
    await send_outcome(update, context, out)
    if out.completed:
        await announce_newcomer(context, user.id)


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
