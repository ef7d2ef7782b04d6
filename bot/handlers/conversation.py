"""/start, /cancel, and what people type or send: each goes to the feature that asked.

``User.state`` says which question is open, and every state has exactly one owner (the
features' ``access.STATES``, checked to be disjoint below). Typed text, a sticker or a file,
and /cancel go to that owner; with no question open, to the registration, which explains
what the bot can do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from itertools import combinations

from telegram import Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot.context import Context
from bot.handlers.common import refresh_chat_menu
from bot.handlers.unit import use_case
from bot.i18n import _, current_language
from bot.services import deeplinks
from bot.services.events import access as events_access
from bot.services.exchanges import access as exchanges_access
from bot.services.onboarding import access as onboarding_access
from bot.services.partnerships import access as partnerships_access
from bot.services.review import access as review_access
from bot.services.search import access as search_access
from bot.services.ui import Outcome
from bot.services.unit import Unit

Text = Callable[[Update, Context, Unit, str], Awaitable[Outcome]]
Other = Callable[[Update, Context, Unit], Awaitable[Outcome]]
Cancel = Callable[[Context, Unit, int], Awaitable[Outcome]]


# ----------------------------------------------------------------- the owners' entry points


async def _registration_text(update: Update, context: Context, unit: Unit, text: str) -> Outcome:
    user_id = update.effective_user.id
    services = context.services
    out = await services.onboarding.on_text(unit, user_id, text)
    return await services.workflows.registered(unit, user_id, out)


async def _registration_other(update: Update, context: Context, unit: Unit) -> Outcome:
    return await context.services.onboarding.on_other(unit, update.effective_user.id)


async def _registration_cancel(context: Context, unit: Unit, user_id: int) -> Outcome:
    return await context.services.onboarding.cancel(unit, user_id)


async def _event_text(update: Update, context: Context, unit: Unit, text: str) -> Outcome:
    user_id = update.effective_user.id
    return await context.services.events.on_text(unit, user_id, text, context.bot.username)


async def _event_other(update: Update, context: Context, unit: Unit) -> Outcome:
    return await context.services.events.other_input(unit, update.effective_user.id)


async def _event_cancel(context: Context, unit: Unit, user_id: int) -> Outcome:
    return await context.services.events.cancel(unit, user_id)


async def _exchange_text(update: Update, context: Context, unit: Unit, text: str) -> Outcome:
    return await context.services.exchanges.on_text(unit, update.effective_user.id, text)


async def _exchange_other(update: Update, context: Context, unit: Unit) -> Outcome:
    user_id = update.effective_user.id
    document = update.effective_message.document
    if document is not None:
        out = await context.services.exchanges.on_document(
            unit,
            user_id,
            document.file_id,
            document.file_name or "document",
            size=document.file_size,
            mime_type=document.mime_type,
            unique_id=document.file_unique_id,
        )
        if out is not None:
            return out
    photos = update.effective_message.photo
    if photos:  # evidence may be a photo: the largest size Telegram made
        photo = photos[-1]
        out = await context.services.exchanges.on_photo(
            unit, user_id, photo.file_id, photo.file_unique_id, photo.file_size
        )
        if out is not None:
            return out
    return await context.services.exchanges.other_input(unit, user_id)


async def _exchange_cancel(context: Context, unit: Unit, user_id: int) -> Outcome:
    return await context.services.exchanges.cancel(unit, user_id)


async def _creation_text(update: Update, context: Context, unit: Unit, text: str) -> Outcome:
    return await context.services.partnerships.on_text(unit, update.effective_user.id, text)


async def _creation_cancel(context: Context, unit: Unit, user_id: int) -> Outcome:
    return await context.services.partnerships.cancel(unit, user_id)


async def _reason_text(update: Update, context: Context, unit: Unit, text: str) -> Outcome:
    return await context.services.workflows.staff_reason(unit, update.effective_user.id, text)


async def _reason_cancel(context: Context, unit: Unit, user_id: int) -> Outcome:
    return await context.services.reviews.cancel(unit, user_id)


async def _search_text(update: Update, context: Context, unit: Unit, text: str) -> Outcome:
    return await context.services.search.on_text(unit, update.effective_user.id, text)


async def _search_other(update: Update, context: Context, unit: Unit) -> Outcome:
    return await context.services.search.other_input(unit, update.effective_user.id)


async def _search_cancel(context: Context, unit: Unit, user_id: int) -> Outcome:
    return await context.services.search.cancel(unit, user_id)


async def _text_only(update: Update, context: Context, unit: Unit) -> Outcome:
    return Outcome().add(_("I can only read text here. Please type your answer, or /cancel."))


@dataclass(frozen=True)
class Owner:
    """The feature that asked the open question, and how it takes each kind of input."""

    name: str
    states: frozenset[str]
    text: Text
    other: Other
    cancel: Cancel


REGISTRATION = Owner(
    "registration",
    onboarding_access.STATES,
    _registration_text,
    _registration_other,
    _registration_cancel,
)
OWNERS: tuple[Owner, ...] = (
    REGISTRATION,
    Owner("events", events_access.STATES, _event_text, _event_other, _event_cancel),
    Owner("exchanges", exchanges_access.STATES, _exchange_text, _exchange_other, _exchange_cancel),
    Owner(
        "partnerships",
        partnerships_access.STATES,
        _creation_text,
        _text_only,
        _creation_cancel,
    ),
    Owner("review", review_access.STATES, _reason_text, _text_only, _reason_cancel),
    Owner("search", search_access.STATES, _search_text, _search_other, _search_cancel),
)
_BY_STATE = {state: owner for owner in OWNERS for state in owner.states}
for _a, _b in combinations(OWNERS, 2):
    assert not (_a.states & _b.states), f"{_a.name} and {_b.name} share states"


def owner_of(state: str | None) -> Owner:
    """Who asked the open question (the registration when none is open or it is unknown)."""
    return _BY_STATE.get(state or "", REGISTRATION)


# ----------------------------------------------------------------- handlers


@use_case
async def start(update: Update, context: Context, unit: Unit) -> Outcome:
    """/start [payload]: staff invitation, event sign-up, staff overview, or the welcome
    and the registration."""
    user = update.effective_user
    raw = context.args[0] if context.args else None
    link = deeplinks.parse(raw)
    services = context.services
    if link is not None and link.kind == deeplinks.STAFF_INVITE:
        out = await services.partnerships.accept_invite(
            unit, user.id, link.value, user.username, user.language_code
        )
        if await services.access.is_staff(unit, user.id):
            await refresh_chat_menu(context, unit, update.effective_chat.id, current_language())
        return out
    if link is not None and link.kind == deeplinks.EVENT:
        out, fallback = await services.events.join(
            unit, user.id, link.value, user.username, user.language_code
        )
        if fallback:  # unknown or finished event: the normal registration
            more = await services.onboarding.start(
                unit, user.id, None, user.username, user.language_code
            )
            out.replies.extend(more.replies)
        else:  # at an event now: /event joins the command menu
            await refresh_chat_menu(context, unit, update.effective_chat.id, current_language())
        return out
    if link is not None and link.kind == deeplinks.ORGANISATION:
        opened = await services.search.open_profile(unit, user.id, link.value)
        if opened.done:
            return opened.out
        # No complete profile yet: why the profile is not shown, then a plain /start.
        out = await _plain_start(update, context, unit, None)
        out.replies[:0] = opened.out.replies
        return out
    return await _plain_start(update, context, unit, raw)


async def _plain_start(update: Update, context: Context, unit: Unit, raw: str | None) -> Outcome:
    """/start without a link the bot acts on: resume an event's sign-up, the staff's
    overview, or the registration."""
    user = update.effective_user
    services = context.services
    state = await services.account.state_of(unit, user.id)
    if raw is None and state in events_access.RESUMED:
        return await services.events.resume(unit, user.id)
    out = None if raw else await services.partnerships.staff_start(unit, user.id)
    if out is None:
        out = await services.onboarding.start(unit, user.id, raw, user.username, user.language_code)
    return await services.workflows.registered(unit, user.id, out)


@use_case
async def cancel(update: Update, context: Context, unit: Unit) -> Outcome:
    """/cancel: leave the current question; nothing is lost."""
    user_id = update.effective_user.id
    state = await context.services.account.state_of(unit, user_id)
    return await owner_of(state).cancel(context, unit, user_id)


@use_case
async def text(update: Update, context: Context, unit: Unit) -> Outcome:
    """A typed answer (or chatter when nothing is asked)."""
    user_id = update.effective_user.id
    state = await context.services.account.state_of(unit, user_id)
    message = update.effective_message.text or ""
    return await owner_of(state).text(update, context, unit, message)


@use_case
async def other(update: Update, context: Context, unit: Unit) -> Outcome:
    """Files, stickers, photos, voice…: a report's attachment, or what is expected."""
    state = await context.services.account.state_of(unit, update.effective_user.id)
    return await owner_of(state).other(update, context, unit)


def register(app: Application) -> None:
    """/start and /cancel; the catch-all text and media handlers come in ``register_late``."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("start", start, filters=private))
    app.add_handler(CommandHandler("cancel", cancel, filters=private))


def register_late(app: Application) -> None:
    """Plain text and any other message kind in private chats."""
    private = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & filters.TEXT & ~filters.COMMAND, text))
    app.add_handler(MessageHandler(private & ~filters.TEXT & ~filters.COMMAND, other))
