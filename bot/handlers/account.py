"""/language, /pause, /resume, /privacy, /mydata, /deleteme."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.common import set_chat_menu
from bot.handlers.render import send_outcome


async def language(update: Update, context: Context) -> None:
    """/language: offer English and Deutsch."""
    await send_outcome(update, context, context.services.account.language_menu())


async def language_button(update: Update, context: Context) -> None:
    """``lang:<code>``: switch, answer in the new language, follow with the menu."""
    lang = (update.callback_query.data or "").partition(":")[2]
    out = await context.services.account.set_language(update.effective_user.id, lang)
    await send_outcome(update, context, out)
    if out.language:
        await set_chat_menu(context, update.effective_chat.id, out.language)


async def pause(update: Update, context: Context) -> None:
    """/pause: out of matching."""
    out = await context.services.account.set_paused(update.effective_user.id, True)
    await send_outcome(update, context, out)


async def resume(update: Update, context: Context) -> None:
    """/resume: back into matching."""
    out = await context.services.account.set_paused(update.effective_user.id, False)
    await send_outcome(update, context, out)


async def privacy(update: Update, context: Context) -> None:
    """/privacy: what is stored and why."""
    await send_outcome(update, context, context.services.account.privacy())


async def mydata(update: Update, context: Context) -> None:
    """/mydata: a JSON document of everything stored."""
    await send_outcome(
        update, context, await context.services.account.export(update.effective_user.id)
    )


async def deleteme(update: Update, context: Context) -> None:
    """/deleteme: ask for confirmation."""
    await send_outcome(update, context, context.services.account.ask_delete())


async def delete_button(update: Update, context: Context) -> None:
    """``del:yes`` erases, ``del:no`` keeps; always for the pressing user only."""
    confirmed = update.callback_query.data == "del:yes"
    out = await context.services.account.delete(update.effective_user.id, confirmed)
    await send_outcome(update, context, out)


def register(app: Application) -> None:
    """Commands and their buttons."""
    private = filters.ChatType.PRIVATE
    for name, callback in (
        ("language", language),
        ("pause", pause),
        ("resume", resume),
        ("privacy", privacy),
        ("mydata", mydata),
        ("deleteme", deleteme),
    ):
        app.add_handler(CommandHandler(name, callback, filters=private))
    app.add_handler(CallbackQueryHandler(language_button, pattern=r"^lang:"))
    app.add_handler(CallbackQueryHandler(delete_button, pattern=r"^del:(yes|no)$"))
