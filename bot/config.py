"""Settings from the environment and an optional ``.env`` file (pydantic-settings)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.geo import COSME, DEFAULT_ELIGIBLE, EU27

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///cxbot.sqlite3"
KNOWN_COUNTRIES = (
    frozenset(EU27)
    | frozenset(COSME)
    | {
        "NO",
        "LI",
        "CH",
        "GB",
        "IL",
        "TN",
        "GE",
    }
)


class Settings(BaseSettings):
    """Every knob of the bot; names are the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(
        env_prefix="CXBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_bot_token: str | None = Field(
        default=None,
        validation_alias=AliasChoices("TELEGRAM_BOT_TOKEN", "CXBOT_TELEGRAM_BOT_TOKEN"),
    )
    database_url: str = DEFAULT_DATABASE_URL
    api_base_url: str = "https://api.telegram.org/bot"
    api_base_file_url: str = "https://api.telegram.org/file/bot"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    eligible_countries: Annotated[tuple[str, ...], NoDecode] = DEFAULT_ELIGIBLE
    timezone: str = "Europe/Brussels"
    webhook_secret: str | None = None
    bot_username: str | None = None  # for printed deep links (t.me/<username>?start=...)
    city_min_population: int = Field(default=5000, ge=500)
    # Days a participant has to answer a proposal before one nudge, and as long again before
    # it expires; how often the periodic job looks for due nudges and expiries.
    proposal_answer_days: float = Field(default=5.0, gt=0)
    dispatch_interval_seconds: int = Field(default=600, ge=5)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        """Accept ``1,2 3`` as well as a list."""
        if isinstance(value, str):
            parts = [p for p in value.replace(",", " ").split() if p]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError as exc:
                raise ValueError("must be Telegram user ids separated by commas") from exc
        return value

    @field_validator("eligible_countries", mode="before")
    @classmethod
    def _parse_countries(cls, value: object) -> object:
        """Accept ``DE,AT,XK``; every code must be a known ISO 3166-1 alpha-2 code."""
        if isinstance(value, str):
            value = [p for p in value.replace(",", " ").split() if p]
        codes = tuple(str(c).strip().upper() for c in value)  # type: ignore[union-attr]
        unknown = [c for c in codes if c not in KNOWN_COUNTRIES]
        if unknown:
            raise ValueError("unknown or unsupported country codes: " + ", ".join(unknown))
        if len(codes) < 2:
            raise ValueError("at least two countries are needed for cross-border exchanges")
        return codes

    @field_validator("timezone")
    @classmethod
    def _check_tz(cls, value: str) -> str:
        """The time zone must be an IANA name."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("not an IANA time zone such as Europe/Brussels") from exc
        return value

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str) -> str:
        """Only the async drivers the bot ships with are accepted."""
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            value = "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not (
            value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")
        ):
            raise ValueError("use sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db")
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The configured time zone."""
        return ZoneInfo(self.timezone)


class SettingsError(Exception):
    """A setting is invalid; the message names it in one line."""


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning a validation error into a one-line ``SettingsError``."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "settings"
        env = name.upper() if name.upper().startswith("TELEGRAM") else "CXBOT_" + name.upper()
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"invalid setting {env}: {msg}") from None


__all__ = ["Settings", "SettingsError", "load_settings"]
