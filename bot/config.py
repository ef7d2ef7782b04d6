"""Settings from the environment and an optional ``.env`` file (pydantic-settings)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
)
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


_DURATION = TypeAdapter(timedelta)


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
    dispatch_interval_seconds: int = Field(default=60, ge=5)
    # Partnerships and exchanges: how long a staff invite link stays valid; reminders before
    # a visit as ISO 8601 durations (P14D, P3D, PT10M); when a missing closing report is
    # asked for again; when both sides are asked for the outcome; the lump-sum cap in EUR by
    # host country, and for the others.
    staff_invite_days: float = Field(default=7.0, gt=0)
    reminder_offsets: Annotated[tuple[timedelta, ...], NoDecode] = (
        timedelta(days=14),
        timedelta(days=3),
        timedelta(days=1),
    )
    report_reminder_days: float = Field(default=7.0, gt=0)
    # Staff follow-up: an item waiting for validation this many days is reminded to its
    # partnership's staff; twice as long, and the super-admins hear of it.
    review_reminder_days: float = Field(default=3.0, gt=0)
    outcome_after_months: int = Field(default=6, ge=1, le=36)
    # A lump sum approved for payment and not marked paid this many days later is reminded
    # to the visitor's partnership (once).
    payment_days: float = Field(default=10.0, gt=0)
    lump_sum_cap: int = Field(default=1100, ge=0)
    lump_sum_caps: Annotated[dict[str, int], NoDecode] = Field(default_factory=dict)
    # Events: how many broadcast messages per second (Telegram allows a bot about 30 in all).
    broadcast_per_second: float = Field(default=20.0, gt=0, le=30)
    # Updates of different chats handled at the same time when running for real (one chat's
    # updates always one after another, in order: bot/updates.py); 1 = one update at a time.
    concurrent_updates: int = Field(default=32, ge=1, le=512)
    # How many of one chat's updates may be running or waiting; a flood beyond that is
    # dropped and the chat asked once to slow down, so everybody else keeps flowing.
    max_waiting_per_chat: int = Field(default=20, ge=1, le=10_000)
    # The PostgreSQL connection pool: kept open, and extra under load (SQLite sessions take
    # turns instead: storage/db.py).
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_max_overflow: int = Field(default=30, ge=0, le=500)
    # Data protection: who is responsible for the data (named in /privacy), and the key of
    # the pseudonyms that stand for people in the logs (bot/pseudonyms.py; derived from the
    # bot token when unset, so that a pseudonym stays the same across restarts).
    controller_name: str | None = Field(default=None, max_length=200)
    controller_contact: str | None = Field(default=None, max_length=200)
    log_secret: SecretStr | None = None
    # Operations: the level and format of the log (``json``: one object per line), the largest
    # request body ``cxbot webhook`` reads (Telegram's updates are a few KiB), and how many
    # seconds ``run`` and ``webhook`` wait for an unreachable database at start.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    webhook_max_body: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    db_wait: float = Field(default=60.0, ge=0, le=86_400)
    # ``cxbot webhook`` serves Prometheus figures at /metrics (the ``metrics`` extra), only
    # to requests with ``Authorization: Bearer <token>`` when a token is set.
    metrics: bool = False
    metrics_token: SecretStr | None = None

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _fold_case(cls, value: object, info: ValidationInfo) -> object:
        """``debug`` as ``DEBUG``, ``JSON`` as ``json``."""
        if isinstance(value, str):
            value = value.strip()
            return value.upper() if info.field_name == "log_level" else value.lower()
        return value

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

    @field_validator("reminder_offsets", mode="before")
    @classmethod
    def _parse_offsets(cls, value: object) -> object:
        """``P14D,P3D,PT10M``: positive ISO 8601 durations, each at most a year."""
        if isinstance(value, str):
            value = [p for p in value.replace(",", " ").split() if p]
        try:
            offsets = [_DURATION.validate_python(v) for v in value]  # type: ignore[union-attr]
        except ValidationError as exc:
            raise ValueError("use ISO 8601 durations such as P14D,P3D,PT10M") from exc
        if any(o <= timedelta(0) or o > timedelta(days=366) for o in offsets):
            raise ValueError("every offset must be positive and at most a year")
        return tuple(sorted(set(offsets), reverse=True))

    @field_validator("lump_sum_caps", mode="before")
    @classmethod
    def _parse_caps(cls, value: object) -> object:
        """``DE=1100,AT=950``: a cap in EUR per host country."""
        if isinstance(value, str):
            caps: dict[str, int] = {}
            for part in (p for p in value.replace(";", ",").split(",") if p.strip()):
                code, _sep, amount = part.partition("=")
                try:
                    caps[code.strip().upper()] = int(amount)
                except ValueError as exc:
                    raise ValueError("write caps as DE=1100,AT=950") from exc
            value = caps
        unknown = [c for c in value if c not in KNOWN_COUNTRIES]  # type: ignore[union-attr]
        if unknown:
            raise ValueError("unknown country codes: " + ", ".join(unknown))
        return value

    def cap_for(self, host_country: str) -> int:
        """The lump-sum cap for a host country."""
        return self.lump_sum_caps.get(host_country, self.lump_sum_cap)

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

    def pseudonym_key(self) -> str:
        """The key of the log pseudonyms: the configured secret, else the bot token."""
        if self.log_secret is not None and self.log_secret.get_secret_value():
            return self.log_secret.get_secret_value()
        return self.telegram_bot_token or "cxbot-offline"

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
