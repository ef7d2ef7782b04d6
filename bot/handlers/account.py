"""/language, /pause, /resume, /privacy, /mydata, /deleteme."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.context import Context
from bot.handlers.common import refresh_chat_menu
from bot.handlers.unit import use_case
from bot.services.account import callbacks
from bot.services.ui import Outcome
from bot.services.unit import Unit


@use_case
async def language(update: Update, context: Context, unit: Unit) -> Outcome:
    """/language: offer English and Deutsch."""
    return context.services.account.language_menu()


@use_case
async def pause(update: Update, context: Context, unit: Unit) -> Outcome:
    """/pause: out of matching."""
    return await context.services.account.set_paused(unit, update.effective_user.id, True)


@use_case
async def resume(update: Update, context: Context, unit: Unit) -> Outcome:
    """/resume: back into matching."""
    return await context.services.account.set_paused(unit, update.effective_user.id, False)


@use_case
async def privacy(update: Update, context: Context, unit: Unit) -> Outcome:
    """/privacy: what is stored and why."""
    return context.services.account.privacy()


@use_case
async def mydata(update: Update, context: Context, unit: Unit) -> Outcome:
    """/mydata: a JSON document of everything stored."""
    return await context.services.account.export(unit, update.effective_user.id)


@use_case
async def deleteme(update: Update, context: Context, unit: Unit) -> Outcome:
    """/deleteme: ask for confirmation, saying what happens to running exchanges."""
    return await context.services.workflows.ask_delete(unit, update.effective_user.id)


@use_case
async def button(update: Update, context: Context, unit: Unit) -> Outcome:
    """A language (answered in it, with the command menu in it too), or the erasure's
    confirmation (which closes running exchanges), always for the pressing user only."""
    out = await context.services.workflows.account_button(
        unit, update.effective_user.id, update.callback_query.data
    )
    if out.language:
        await refresh_chat_menu(context, unit, update.effective_chat.id, out.language)
    return out


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
    app.add_handler(CallbackQueryHandler(button, pattern=callbacks.LANGUAGE_PATTERN))
    app.add_handler(CallbackQueryHandler(button, pattern=callbacks.DELETE_PATTERN))
