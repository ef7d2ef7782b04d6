"""The services every handler needs, and a typed CallbackContext that reaches them."""

from __future__ import annotations

from dataclasses import dataclass

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.geo import CityIndex
from bot.services.account.service import Account
from bot.services.deeplinks import Links
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
from storage.db import Database


@dataclass
class Services:
    """Created once per Application (``bot.app``); closed in ``post_shutdown``."""

    settings: Settings
    db: Database
    clock: Clock
    units: Units
    inbox: Inbox
    outbox: Outbox
    cities: CityIndex
    languages: LanguageCache
    access: StaffAccess
    onboarding: Onboarding
    account: Account
    matchmaking: Matchmaking
    partnerships: Partnerships
    reviews: Reviews
    exchanges: Exchanges
    reports: StaffReports
    events: Events
    search: Search
    staff_search: StaffSearch
    workflows: Workflows
    links: Links


class Context(CallbackContext[ExtBot, dict, dict, dict]):
    """CallbackContext with typed access to the services."""

    @property
    def services(self) -> Services:
        """The application's services."""
        return self.application.bot_data["services"]


def services_of(app: Application) -> Services:
    """The services of an application (for entry points and tests)."""
    return app.bot_data["services"]
