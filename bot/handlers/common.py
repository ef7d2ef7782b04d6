"""Cross-cutting handlers: language per update (group -1), /help, unknown input, errors."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, CommandHandler, MessageHandler, TypeHandler, filters

from bot.context import Context
from bot.handlers.render import send_outcome
from bot.i18n import N_, SUPPORTED, _, pick_language, set_language, use_language
from bot.services.ui import Outcome

log = logging.getLogger(__name__)

# The command menu, in the order Telegram shows it.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Register or continue")),
    ("matches", N_("Your proposed partners")),
    ("exchange", N_("Your exchange and its next step")),
    ("event", N_("Your event: meetings and proposals")),
    ("profile", N_("Show and edit your profile")),
    ("pause", N_("Take a break from matching")),
    ("resume", N_("Take part in matching again")),
    ("language", N_("English or Deutsch")),
    ("privacy", N_("What is stored and why")),
    ("mydata", N_("Download all your data")),
    ("deleteme", N_("Erase all your data")),
    ("cancel", N_("Leave the current question")),
    ("help", N_("What I can do")),
)


# Added to the menu of staff members' chats.
STAFF_COMMANDS: tuple[tuple[str, str], ...] = (
    ("pending", N_("What waits for your validation")),
    ("newevent", N_("Create an event with its QR code")),
    ("broadcast", N_("Message the attendees of an event")),
    ("stats", N_("Figures of your partnership")),
    ("export", N_("Participants and exchanges as CSV")),
    ("partnerships", N_("Your partnership and its link")),
)


def bot_commands(lang: str, staff: bool = False) -> list[BotCommand]:
    """The command menu in ``lang`` (with the staff commands for staff)."""
    with use_language(lang):
        commands = [BotCommand(name, _(desc)) for name, desc in COMMANDS]
        if staff:
            commands[2:2] = [BotCommand(name, _(desc)) for name, desc in STAFF_COMMANDS]
        return commands


async def set_command_menus(app: Application) -> None:
    """Default (English) menu plus one per supported language."""
    await app.bot.set_my_commands(bot_commands("en"))
    for lang in SUPPORTED:
        await app.bot.set_my_commands(bot_commands(lang), language_code=lang)


async def set_chat_menu(context: Context, chat_id: int, lang: str) -> None:
    """The menu of one private chat: in the chosen language, with staff commands for staff."""
    staff = await context.services.partnerships.is_staff(chat_id)
    try:
        await context.bot.set_my_commands(
            bot_commands(lang, staff), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError as exc:  # the menu is a convenience; never fail the update for it
        log.warning("could not set the command menu of chat %s: %s", chat_id, exc)


async def resolve_language(update: Update, context: Context) -> None:
    """Group -1: stored choice → Telegram's language_code → English, once per update."""
    user = update.effective_user
    if user is None:
        set_language("en")
        return
    stored = await context.services.languages.stored(user.id)
    set_language(pick_language(stored, user.language_code))


async def help_command(update: Update, context: Context) -> None:
    """/help: what the bot can do."""
    user_id = update.effective_user.id
    out = await context.services.onboarding.help(user_id)
    staff = await context.services.partnerships.help_for(user_id)
    if staff:
        out.replies[-1].text += "\n\n" + staff
    await send_outcome(update, context, out)


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not know."""
    await send_outcome(
        update,
        context,
        Outcome().add(_("I don't know that command. /help lists what I can do.")),
    )


async def group_chat(update: Update, context: Context) -> None:
    """Commands in groups: the bot works in private chats only."""
    await send_outcome(update, context, Outcome().add(_("Please write to me in a private chat.")))


def undelivered(error: BaseException | None) -> bool:
    """Whether the handler's work was done and only an answer did not reach Telegram: flood
    control beyond the rate limiter's retries, a timeout, a network failure (not a request
    Telegram refused as malformed). Services commit before handlers send anything."""
    if isinstance(error, RetryAfter):
        return True
    return isinstance(error, NetworkError) and not isinstance(error, BadRequest)


async def on_error(update: object, context: Context) -> None:
    """Log the failure and tell the user, who can simply go on."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    if undelivered(context.error):
        # "Try again" would answer the next question with the previous answer.
        text = _(
            "Sorry, Telegram is very busy and one of my answers did not reach you. What you "
            "sent is saved: send /start to continue."
        )
    else:
        text = _(
            "Sorry, something went wrong on my side. Nothing you saved is lost; please try again."
        )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell the user about the error", exc_info=True)


def register(app: Application) -> None:
    """Group -1 language resolution, the error handler; the fallbacks come in ``register_late``."""
    app.add_handler(TypeHandler(Update, resolve_language), group=-1)
    app.add_error_handler(on_error)


def register_late(app: Application) -> None:
    """Fallbacks, added after every feature's handlers."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("help", help_command, filters=private))
    app.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.GROUPS, group_chat))
