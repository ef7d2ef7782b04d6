"""Cross-cutting handlers: language per update (group -1), /help, unknown input, errors."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScopeChat, ChatMember, Update
from telegram.error import BadRequest, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import Context
from bot.handlers.unit import use_case
from bot.i18n import N_, SUPPORTED, _, current_language, use_language
from bot.pseudonyms import who
from bot.services.ui import Outcome
from bot.services.unit import Unit

log = logging.getLogger(__name__)

# The command menu, in the order Telegram shows it. Everybody's (the default menu of each
# language); /event joins it in the chats of people at an event and of staff.
EVENT_COMMAND = ("event", N_("Your event: meetings and proposals"))
COMMANDS: tuple[tuple[str, str], ...] = (
    ("start", N_("Register or continue")),
    ("matches", N_("Your proposed partners")),
    ("search", N_("Search partners by topic or name")),
    ("exchange", N_("Your exchange and its next step")),
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
    ("participants", N_("Search your participants")),
    ("newevent", N_("Create an event with its QR code")),
    ("broadcast", N_("Message the attendees of an event")),
    ("stats", N_("Figures of your partnership")),
    ("export", N_("Participants and exchanges as CSV")),
    ("partnerships", N_("Your partnership and its link")),
)


def bot_commands(lang: str, staff: bool = False, attendee: bool = False) -> list[BotCommand]:
    """The command menu in ``lang``: with /event for people at an event, and the staff
    commands (and /event) for staff."""
    with use_language(lang):
        commands = [BotCommand(name, _(desc)) for name, desc in COMMANDS]
        if staff or attendee:
            commands.insert(3, BotCommand(EVENT_COMMAND[0], _(EVENT_COMMAND[1])))
        if staff:
            commands[2:2] = [BotCommand(name, _(desc)) for name, desc in STAFF_COMMANDS]
        return commands


async def set_command_menus(app: Application) -> None:
    """Default (English) menu plus one per supported language."""
    await app.bot.set_my_commands(bot_commands("en"))
    for lang in SUPPORTED:
        await app.bot.set_my_commands(bot_commands(lang), language_code=lang)


async def refresh_chat_menu(context: Context, unit: Unit, chat_id: int, lang: str) -> None:
    """After the commit, set the menu of one private chat: in the chosen language, fitting
    the person (staff commands for staff, /event for someone at an event)."""
    services = context.services
    staff = await services.access.is_staff(unit, chat_id)
    attendee = await services.events.is_attendee(unit, chat_id)
    commands = bot_commands(lang, staff, attendee)

    async def set_menu() -> None:
        try:
            await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
        except TelegramError as exc:  # the menu is a convenience; never fail the update for it
            log.warning("could not set the command menu of %s: %s", who(chat_id), exc)

    unit.later(set_menu)


@use_case
async def help_command(update: Update, context: Context, unit: Unit) -> Outcome:
    """/help: what this person can do (and their command menu, brought up to date)."""
    user_id = update.effective_user.id
    services = context.services
    registered = await services.onboarding.is_registered(unit, user_id)
    attendee = await services.events.is_attendee(unit, user_id)
    text = services.onboarding.help_text(registered, attendee)
    staff = await services.partnerships.help_for(unit, user_id)
    if staff:
        text += "\n\n" + staff
    await refresh_chat_menu(context, unit, update.effective_chat.id, current_language())
    return Outcome().add(text)


@use_case
async def unknown_command(update: Update, context: Context, unit: Unit) -> Outcome:
    """A command the bot does not know."""
    return Outcome().add(_("I don't know that command. /help lists what I can do."))


@use_case
async def group_chat(update: Update, context: Context, unit: Unit) -> Outcome:
    """Commands in groups: the bot works in private chats only."""
    return Outcome().add(_("Please write to me in a private chat."))


@use_case
async def edited(update: Update, context: Context, unit: Unit) -> None:
    """An edited message: the answer it changes was taken already; nothing to do."""


@use_case
async def membership(update: Update, context: Context, unit: Unit) -> None:
    """The user blocked the bot (messages to them stop) or started it again."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    blocked = change.new_chat_member.status in (ChatMember.BANNED, ChatMember.LEFT)
    await context.services.account.set_reachable(unit, change.chat.id, not blocked)


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
    if update.callback_query is not None:
        # Stop the button's spinner. The handler may have answered the query already (and
        # failed afterwards): Telegram refuses a second answer, which must not keep the
        # apology from being sent.
        try:
            await update.callback_query.answer()
        except TelegramError as exc:
            log.debug("callback query not answered again: %s", exc)
    try:
        await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not tell the user about the error", exc_info=True)


def register(app: Application) -> None:
    """The error handler, blocked and unblocked chats; the fallbacks come in
    ``register_late``. (The language of an update is resolved by its unit of work.)"""
    app.add_error_handler(on_error)
    app.add_handler(ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER))


def register_late(app: Application) -> None:
    """Fallbacks, added after every feature's handlers."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("help", help_command, filters=private))
    app.add_handler(MessageHandler(filters.COMMAND & private, unknown_command))
    app.add_handler(MessageHandler(filters.COMMAND & filters.ChatType.GROUPS, group_chat))
    app.add_handler(MessageHandler(filters.UpdateType.EDITED, edited))
