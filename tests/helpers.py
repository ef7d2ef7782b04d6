"""Test helpers: a complete registration, and direct database access for assertions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import SQLModel

from bot.config import Settings
from bot.context import services_of
from bot.transport.driver import BotDriver
from bot.transport.updates import FakeUser
from storage import repo
from storage.models import Profile, User

ANSWERS: dict[str, Any] = {
    "role": "visitor",
    "org_type": "sme",
    "name": "Anna Schmidt",
    "organisation": "Textilwerk Augsburg GmbH",
    "country": "DE",
    "city": "Augsburg",
    "ecosystems": ["4", "12"],  # Digital, Textiles
    "offers": "Digital twins for textile machines; 3D printing of spare parts",
    "seeks": "Partners in circular economy and recycled fibres",
    "languages": ["de", "en"],
    "available_from": "2027-03-01",
    "available_to": "30.6.2027",
    "motivation": "Learn how Portuguese clusters recycle textiles and start a joint project.",
    "email": "anna@example.org",
}


async def register(
    bot: BotDriver, user: FakeUser, *, confirm: bool = True, **overrides: Any
) -> None:
    """Go through the whole registration with ``ANSWERS`` (overridable) and confirm."""
    await bot.send(user, "/start")
    await bot.choose(user, "consent", "yes")
    await answer_questions(bot, user, confirm=confirm, **overrides)


async def answer_questions(
    bot: BotDriver, user: FakeUser, *, confirm: bool = True, **overrides: Any
) -> None:
    """Every registration question after consent, with ``ANSWERS`` (overridable)."""
    a = {**ANSWERS, **overrides}
    await bot.choose(user, "role", a["role"])
    await bot.choose(user, "org_type", a["org_type"])
    await bot.send(user, a["name"])
    await bot.send(user, a["organisation"])
    await bot.choose(user, "country", a["country"])
    await bot.send(user, a["city"])
    for eco in a["ecosystems"]:
        await bot.choose(user, "ecosystems", eco)
    await bot.choose(user, "ecosystems", "done")
    if a.get("partnership") is not None:  # asked only where partnerships exist
        await bot.choose(user, "partnership", str(a["partnership"]))
    await bot.send(user, a["offers"])
    await bot.send(user, a["seeks"])
    for lang in a["languages"]:
        await bot.choose(user, "languages", lang)
    await bot.choose(user, "languages", "done")
    await bot.send(user, a["available_from"])
    await bot.send(user, a["available_to"])
    await bot.send(user, a["motivation"])
    if a["email"]:
        await bot.send(user, a["email"])
    else:
        await bot.choose(user, "email", "skip")
    if confirm:
        await bot.choose(user, "summary", "ok")


async def load(bot: BotDriver, user_id: int) -> tuple[User | None, Profile | None]:
    """The stored user and profile."""
    async with services_of(bot.app).db.session() as session:
        return await repo.get_user_and_profile(session, user_id=user_id)


async def state(bot: BotDriver, user_id: int) -> str | None:
    """The conversation step stored for the user."""
    user, _profile = await load(bot, user_id)
    return user.state if user else None


async def all_rows(bot: BotDriver) -> dict[str, list[tuple]]:
    """Every row of every table (for "nothing personal remains" assertions)."""
    from sqlmodel import SQLModel

    out: dict[str, list[tuple]] = {}
    async with services_of(bot.app).db.session() as session:
        for name in SQLModel.metadata.tables:
            result = await session.execute(text(f'SELECT * FROM "{name}"'))
            out[name] = [tuple(r) for r in result]
    return out


async def make_partnership(
    bot: BotDriver,
    slug: str,
    name: str,
    *,
    ecosystems: tuple[str, ...] = ("textiles",),
    staff: tuple[FakeUser, ...] = (),
    met: bool = True,
) -> int:
    """A partnership with staff, stored directly (the chat flow has its own tests). The staff
    have opened the bot (as their invitation link makes them do): it can write to them;
    ``met=False``: they never did, Telegram refuses messages to them ("chat not found")."""
    from storage.models import Partnership, Staff

    for member in staff:
        if met:
            bot.transport.meet(member.id)

    async with services_of(bot.app).db.session() as session:
        partnership = Partnership(slug=slug, name=name, ecosystems=list(ecosystems))
        session.add(partnership)
        await session.flush()
        for member in staff:
            if await session.get(User, member.id) is None:
                session.add(
                    User(
                        id=member.id,
                        state="idle",
                        username=member.username,
                        client_language=member.language_code,
                    )
                )
                await session.flush()
            session.add(Staff(partnership_id=partnership.id, user_id=member.id))
        await session.commit()
    services_of(bot.app).access.forget_partnerships()  # as the chat flow does
    assert partnership.id is not None
    return partnership.id


async def make_event(
    bot: BotDriver,
    partnership_id: int,
    *,
    name: str = "Brokerage Day Textiles",
    days: tuple[int, int] = (0, 0),
    city: str = "Augsburg",
    meeting_point: str = "Stand B12",
    hours: tuple[str, str, int] = ("09:00", "17:00", 20),
) -> str:
    """An event stored directly (the /newevent chat flow has its own tests); returns its code.
    ``days`` are the first and last day relative to the bot's today."""
    import secrets
    from datetime import timedelta

    from storage.models import Event

    services = services_of(bot.app)
    today = services.clock.today()
    code = secrets.token_urlsafe(9)
    async with services.db.session() as session:
        session.add(
            Event(
                code=code,
                partnership_id=partnership_id,
                name=name,
                starts_on=today + timedelta(days=days[0]),
                ends_on=today + timedelta(days=days[1]),
                city=city,
                meeting_point=meeting_point,
                day_start=hours[0],
                day_end=hours[1],
                slot_minutes=hours[2],
            )
        )
        await session.commit()
    return code


async def quick_signup(
    bot: BotDriver,
    user: FakeUser,
    code: str,
    *,
    name: str = "Anna Schmidt, Textilwerk Augsburg GmbH",
    country: str = "DE",
    offers: str = "Digital twins for textile machines",
    seeks: str = "Partners for recycled fibres",
) -> Any:
    """Scan the event's code and answer the quick sign-up; returns the last exchange."""
    await bot.send(user, f"/start ev_{code}")
    await bot.press_data(user, _newest_data(bot, user, "q:", ":q_consent:yes"))
    await bot.send(user, name)
    await bot.press_data(user, _newest_data(bot, user, "q:", f":q_country:{country}"))
    await bot.send(user, offers)
    return await bot.send(user, seeks)


def _newest_data(bot: BotDriver, user: FakeUser, prefix: str, suffix: str) -> str:
    for message in reversed(bot.transport.messages(user.id)):
        for row in message.buttons():
            for _text, data in row:
                if data.startswith(prefix) and data.endswith(suffix):
                    return data
    raise LookupError(f"no button {prefix}…{suffix} for user {user.id}")


def answered(result: Any) -> bool:
    """The bot reacted to an update: a message, an edit or a toast."""
    return bool(result.sent or result.edited or result.toasts)


def make_settings(url: str, **overrides: object) -> Settings:
    """Settings that ignore the developer's environment and .env."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=None,
        database_url=url,
        **overrides,  # type: ignore[arg-type]
    )


async def reset_postgres(url: str) -> None:
    """Drop every table (and Alembic's version table) so the database starts empty."""
    import storage.models  # noqa: F401 - table metadata

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.drop_all)
        await conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    await engine.dispose()
