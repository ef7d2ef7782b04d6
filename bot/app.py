"""The one Application factory used by every entry point: polling, webhook, shell, demo, tests."""

from __future__ import annotations

import asyncio
import logging

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseRateLimiter,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest

from bot import pseudonyms
from bot.clock import Clock
from bot.config import Settings
from bot.context import Context, Services, services_of
from bot.geo import CityIndex, resolve_country
from bot.handlers import register_all
from bot.handlers.common import set_command_menus
from bot.handlers.events import BACKGROUND
from bot.matching.vocabulary import Vocabulary
from bot.ratelimit import MARGIN, PER_SECOND, WINDOW, SharedBudget, TelegramRateLimiter
from bot.scheme import load_calendars
from bot.services.account.service import Account
from bot.services.deeplinks import Links
from bot.services.events.index import EventIndexes
from bot.services.events.service import Events
from bot.services.exchanges.service import Exchanges
from bot.services.inbox import Inbox
from bot.services.languages import LanguageCache
from bot.services.matchmaking.service import Matchmaking
from bot.services.onboarding.service import Onboarding
from bot.services.outbox import Outbox
from bot.services.partnerships.access import StaffAccess
from bot.services.partnerships.service import Partnerships
from bot.services.reports.service import StaffReports
from bot.services.review.service import Reviews
from bot.services.search.service import Search
from bot.services.search.staff import StaffSearch
from bot.services.unit import Units
from bot.services.workflows import Workflows
from bot.updates import InboxQueue, PerChatUpdateProcessor, SlowDown
from storage.db import Database

log = logging.getLogger(__name__)
OFFLINE_TOKEN = "123456:OFFLINE-cxbot"
# Flood control (HTTP 429) answered by waiting the time Telegram asks for and sending again:
# by the time an answer is sent its step is saved, so a late answer is far better than none
# (in the 500-attendee burst, 3 retries left 3 answers undelivered).
RATE_LIMIT_RETRIES = 8
SHUTDOWN_GRACE = 30.0  # seconds a running broadcast may take to finish when the bot stops

_city_indexes: dict[tuple[tuple[str, ...], int], CityIndex] = {}


def shared_city_index(countries: tuple[str, ...], min_population: int) -> CityIndex:
    """One city index per process and configuration (it holds tens of thousands of names)."""
    key = (countries, min_population)
    if key not in _city_indexes:
        _city_indexes[key] = CityIndex(countries, min_population=min_population)
    return _city_indexes[key]


def pool_options(settings: Settings) -> dict[str, int]:
    """Connection-pool sizes for a server database (SQLite keeps SQLAlchemy's defaults)."""
    if settings.database_url.startswith("sqlite"):
        return {}
    return {
        "pool_size": settings.database_pool_size,
        "max_overflow": settings.database_max_overflow,
    }


def build_application(
    settings: Settings,
    request: BaseRequest | None = None,
    *,
    clock: Clock | None = None,
    rate_limit: bool | BaseRateLimiter | None = None,
    concurrent_updates: bool | int | BaseUpdateProcessor | None = None,
) -> Application:
    """Build the bot. ``request`` replaces the HTTP transport (the offline one in tests, shell
    and demo); the rate limiter is on by default only for the real network (``rate_limit``: on,
    off, or a limiter of the caller's). Updates from
    polling or the webhook are handled ``settings.concurrent_updates`` at a time, never two of
    one chat at once (``concurrent_updates`` overrides this)."""
    clock = clock or Clock(settings.tz)
    pseudonyms.configure(settings.pseudonym_key())
    db = Database(settings.database_url, **pool_options(settings))
    inbox = Inbox(db, clock)
    languages = LanguageCache()
    if concurrent_updates is None:
        workers = settings.concurrent_updates
        concurrent_updates = (
            PerChatUpdateProcessor(
                workers, settings.max_waiting_per_chat, SlowDown(db, inbox, languages)
            )
            if workers > 1
            else False
        )
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token or OFFLINE_TOKEN)
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML, link_preview_options=LinkPreviewOptions(is_disabled=True)
            )
        )
        .context_types(ContextTypes(context=Context))
        .concurrent_updates(concurrent_updates)
        .update_queue(InboxQueue(inbox))
        .post_init(start_services)
        .post_shutdown(stop_services)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if isinstance(rate_limit, BaseRateLimiter):
        builder = builder.rate_limiter(rate_limit)
    elif rate_limit if rate_limit is not None else request is None:
        # Sends within a strict budget per chat and overall; edits and button answers go
        # straight. On PostgreSQL the overall budget is shared with any other instance.
        builder = builder.rate_limiter(
            TelegramRateLimiter(max_retries=RATE_LIMIT_RETRIES, shared=shared_budget(db))
        )
    app = builder.build()

    cities = shared_city_index(settings.eligible_countries, settings.city_min_population)
    vocabulary = Vocabulary.load()
    # Features get what they need at construction; none holds another feature's service.
    access = StaffAccess(settings.admin_ids)
    links = Links(settings.bot_username, settings.pseudonym_key())
    units = Units(db, clock, languages)
    matchmaking = Matchmaking(
        clock, vocabulary, units.job, answer_days=settings.proposal_answer_days
    )
    exchanges = Exchanges(clock, settings, access, cities)
    reviews = Reviews(clock, access, exchanges, settings.review_reminder_days)
    events = Events(clock, settings, access, EventIndexes(vocabulary), links, languages.remember)
    onboarding = Onboarding(cities, clock, settings.eligible_countries, access, languages.remember)
    account = Account(
        languages, (settings.controller_name, settings.controller_contact), db.forget_erased
    )
    search = Search(clock, vocabulary, matchmaking.population, access, links)
    app.bot_data["services"] = Services(
        settings=settings,
        db=db,
        clock=clock,
        units=units,
        inbox=inbox,
        outbox=Outbox(db, clock),
        cities=cities,
        languages=languages,
        access=access,
        onboarding=onboarding,
        account=account,
        matchmaking=matchmaking,
        partnerships=Partnerships(clock, settings, access, links),
        reviews=reviews,
        exchanges=exchanges,
        reports=StaffReports(clock, access),
        events=events,
        search=search,
        staff_search=StaffSearch(clock, vocabulary, matchmaking.population, access, links),
        workflows=Workflows(matchmaking, exchanges, reviews, events, account, search),
        links=links,
    )
    register_all(app)
    return app


def shared_budget(db: Database) -> SharedBudget | None:
    """Telegram's send budget shared through the database with other instances (the
    limiter's own figures; None on SQLite, one instance's file)."""
    return db.send_budget(slots=PER_SECOND, spacing=WINDOW + MARGIN)


async def start_services(app: Application) -> None:
    """post_init: migrate the database, start loading the city list in a worker thread, set
    menus, and queue the updates a crash left recorded but unhandled (before any new one)."""
    services = services_of(app)
    if not services.links.username:  # printed links need it: ask Telegram (getMe)
        services.links.username = app.bot.username
    await services.db.upgrade()
    # The country-name tables are built on first use; build them off the event loop too.
    await asyncio.to_thread(resolve_country, "DE", services.settings.eligible_countries)
    # The city list and the public holidays are loaded in worker threads while the bot
    # already answers; a city question or an exchange awaits the cities (CityIndex.ready).
    # A large matching population is loaded too, before the first /matches asks for it.
    background = (
        services.cities.ready(),
        asyncio.to_thread(load_calendars),
        services.matchmaking.population.preload(),
    )
    for warm in background:
        task = asyncio.ensure_future(warm)
        app.bot_data.setdefault(BACKGROUND, set()).add(task)
        task.add_done_callback(app.bot_data[BACKGROUND].discard)
    await set_command_menus(app)
    queue = app.update_queue
    unhandled = await services.inbox.unhandled()
    for payload in unhandled:
        update = Update.de_json(payload, app.bot)
        if isinstance(queue, InboxQueue):
            await queue.put_recovered(update)
        else:
            await queue.put(update)
    if unhandled:
        log.info("%d updates received before a restart are handled first", len(unhandled))


async def stop_services(app: Application) -> None:
    """post_shutdown: let running broadcasts and the matching terms' write-back finish
    (briefly), let the matching index go, close the database pool."""
    running = set(app.bot_data.get(BACKGROUND, ()))
    if saving := services_of(app).matchmaking.population.saving:
        running.add(saving)
    if running:
        _done, pending = await asyncio.wait(running, timeout=SHUTDOWN_GRACE)
        for task in pending:
            task.cancel()
    services_of(app).matchmaking.population.close()
    await services_of(app).db.dispose()
