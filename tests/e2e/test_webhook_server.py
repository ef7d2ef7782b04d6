"""``cxbot webhook``'s HTTP server, over real sockets on a free local port, in front of the real
Application on the offline transport: the secret and the size are judged on the headers
before any of the body is read, a streamed body is cut off at the limit, an accepted update
is handled like any other (the user gets the bot's answer), and ``/healthz`` answers."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator, Callable

import pytest

from bot import webhook
from bot.app import build_application
from bot.transport.driver import BotDriver
from bot.transport.offline import OfflineRequest
from bot.transport.updates import FakeUser, UpdateFactory
from bot.webhook import SECRET_HEADER, WebhookServer
from tests.helpers import make_settings

SECRET = "s3cret-Token_for-the-tests"
MAX_BODY = 4096
WAIT = 10.0  # seconds; every answer expected here comes in milliseconds


@pytest.fixture
async def port(bot: BotDriver) -> AsyncIterator[int]:
    """The running application (it takes updates from its queue) behind a webhook server."""
    await bot.app.start()
    server = WebhookServer(bot.app, path="/tg", secret=SECRET, max_body=MAX_BODY)
    bound = await server.start(listen="127.0.0.1", port=0)
    try:
        yield bound
    finally:
        await server.stop()
        await bot.app.stop()


def head(
    *,
    secret: str | None = SECRET,
    length: int | str | None = None,
    chunked: bool = False,
    method: str = "POST",
    path: str = "/tg",
) -> bytes:
    """The request line and headers of a request (the connection closed after it)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    if method == "POST":
        lines.append("Content-Type: application/json")
    if secret is not None:
        lines.append(f"{SECRET_HEADER}: {secret}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def ask(port: int, raw: bytes) -> tuple[int | None, bytes]:
    """Send ``raw`` and read until the server closes the connection: the status (None if
    it closed without answering) and everything it sent. Never waits for more than WAIT."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(raw)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(), WAIT)
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    if not answer.startswith(b"HTTP/1.1 "):
        return None, answer
    return int(answer.split(b" ", 2)[1]), answer


def chunk(data: bytes) -> bytes:
    """One chunk of a chunked body."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


async def until(condition: Callable[[], object]) -> None:
    """Return once ``condition()`` holds; fail after WAIT seconds."""
    async with asyncio.timeout(WAIT):
        while not condition():  # noqa: ASYNC110 - polls what other tasks change
            await asyncio.sleep(0.02)


async def replies(bot: BotDriver, user: FakeUser) -> list[str]:
    """The texts the user has received, once there is one."""
    await until(lambda: bot.transport.messages(user.id))
    return [m.text or "" for m in bot.transport.messages(user.id)]


def start_update(bot: BotDriver, user: FakeUser) -> bytes:
    """A ``/start`` from ``user`` as Telegram would post it."""
    return bot.updates.text(user, "/start").to_json().encode()


async def test_a_valid_update_is_accepted_and_answered_once(
    bot: BotDriver, port: int, anna: FakeUser
) -> None:
    body = start_update(bot, anna)
    status, _ = await ask(port, head(length=len(body)) + body)
    assert status == 200
    assert "Welcome to ClusterXchange!" in "\n".join(await replies(bot, anna))
    # Telegram delivers the same update again: accepted, recorded once, answered once.
    status, _ = await ask(port, head(length=len(body)) + body)
    assert status == 200
    await asyncio.sleep(0.3)
    assert len(bot.transport.messages(anna.id)) == 1
    assert bot.errors == []


async def test_a_chunked_update_within_the_limit_is_accepted(
    bot: BotDriver, port: int, anna: FakeUser
) -> None:
    body = start_update(bot, anna)
    status, _ = await ask(
        port, head(chunked=True) + chunk(body[:10]) + chunk(body[10:]) + chunk(b"")
    )
    assert status == 200
    assert "Welcome to ClusterXchange!" in "\n".join(await replies(bot, anna))


@pytest.mark.parametrize(
    "secret", [None, "", "wrong", SECRET[:-1], SECRET + "x", SECRET.upper()], ids=repr
)
async def test_a_wrong_or_missing_secret_is_refused_before_the_body(
    bot: BotDriver, port: int, anna: FakeUser, secret: str | None
) -> None:
    # The body is announced but never sent: the answer cannot have waited for it.
    status, answer = await ask(port, head(secret=secret, length=100))
    assert status == 403, answer
    # Sent whole, a real update with a wrong secret is not handled either.
    body = start_update(bot, anna)
    status, _ = await ask(port, head(secret=secret, length=len(body)) + body)
    assert status == 403
    await asyncio.sleep(0.2)
    assert bot.transport.messages(anna.id) == []


async def test_an_oversize_declared_body_is_refused_unread(port: int) -> None:
    # 95 MB announced, none sent: refused on the header, whether the secret is right or not.
    status, answer = await ask(port, head(length=95_000_000))
    assert status == 413, answer
    assert b"Connection: close" in answer
    status, _ = await ask(port, head(secret="guess", length=95_000_000))
    assert status == 403
    status, _ = await ask(port, head(length=MAX_BODY + 1))
    assert status == 413
    for malformed in ("-1", "²", "12abc"):
        status, _ = await ask(port, head(length=malformed))
        assert status == 400


async def test_a_body_of_exactly_the_limit_is_read(
    bot: BotDriver, port: int, anna: FakeUser
) -> None:
    body = start_update(bot, anna)
    body += b" " * (MAX_BODY - len(body))  # JSON allows trailing white space
    assert len(body) == MAX_BODY
    status, _ = await ask(port, head(length=MAX_BODY) + body)
    assert status == 200
    assert "Welcome to ClusterXchange!" in "\n".join(await replies(bot, anna))


async def test_a_chunked_oversize_body_is_cut_off_at_the_limit(
    bot: BotDriver, port: int, anna: FakeUser
) -> None:
    # Twice the limit in chunks, and the body never ends: a server that read on would wait
    # for the last chunk until ``ask`` gives up; this one stops at the limit and closes.
    piece = b"x" * 1000
    raw = head(chunked=True) + b"".join(chunk(piece) for _ in range(2 * MAX_BODY // 1000))
    status, answer = await ask(port, raw)
    assert status in (400, 413), answer
    await asyncio.sleep(0.1)
    assert bot.transport.messages(anna.id) == []


async def test_something_else_than_an_update_is_refused(port: int) -> None:
    for body in (b"not json", b"[1, 2]", b'"text"'):
        status, _ = await ask(port, head(length=len(body)) + body)
        assert status == 400
    status, _ = await ask(port, head(method="GET"))
    assert status == 405
    status, _ = await ask(port, head(path="/other", length=2) + b"{}")
    assert status == 404


async def test_healthz_answers_while_the_bot_runs(port: int) -> None:
    status, answer = await ask(port, head(method="GET", path="/healthz", secret=None))
    assert status == 200 and answer.endswith(b"ok\n")


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_serve_runs_the_bot_behind_the_webhook_and_stops(
    sqlite_url: str, clock, anna: FakeUser
) -> None:
    for _attempt in range(5):  # the free port may be taken before the server binds it
        transport = OfflineRequest()
        app = build_application(make_settings(sqlite_url), transport, clock=clock)
        port, stop = free_port(), asyncio.Event()
        serving = asyncio.ensure_future(
            webhook.serve(
                app,
                url="https://bot.example.org/tg",
                listen="127.0.0.1",
                port=port,
                path="tg",
                secret=SECRET,
                max_body=MAX_BODY,
                allowed_updates=("message", "callback_query"),
                stop=stop,
            )
        )
        await until(lambda app=app, serving=serving: app.running or serving.done())
        taken = serving.done() and isinstance(serving.exception(), OSError)
        if not taken or getattr(serving.exception(), "errno", None) != errno.EADDRINUSE:
            break
    try:
        assert not serving.done(), serving.exception()
        [registered] = [c for c in transport.calls if c.method == "setWebhook"]
        assert registered.params["url"] == "https://bot.example.org/tg"
        assert registered.params["secret_token"] == SECRET
        assert registered.params["allowed_updates"] == ["message", "callback_query"]
        body = UpdateFactory(app.bot, transport).text(anna, "/start").to_json().encode()
        status, _ = await ask(port, head(length=len(body)) + body)
        assert status == 200
        await until(lambda: transport.messages(anna.id))
        assert "Welcome to ClusterXchange!" in (transport.messages(anna.id)[0].text or "")
    finally:
        stop.set()
        await asyncio.wait_for(serving, WAIT)
    assert not app.running
    with pytest.raises(OSError):  # the port is closed
        await ask(port, head(method="GET", path="/healthz"))


@pytest.fixture
async def metered(bot: BotDriver) -> AsyncIterator[int]:
    """The webhook server with /metrics on, behind a token."""
    await bot.app.start()
    server = WebhookServer(
        bot.app,
        path="/tg",
        secret=SECRET,
        max_body=MAX_BODY,
        metrics_on=True,
        metrics_token="scrape-me",
    )
    bound = await server.start(listen="127.0.0.1", port=0)
    try:
        yield bound
    finally:
        await server.stop()
        await bot.app.stop()


async def test_metrics_count_updates_and_show_the_outbox_lag(
    bot: BotDriver, metered: int, anna: FakeUser
) -> None:
    from bot.metrics import COUNTERS

    handled = COUNTERS.handled
    body = start_update(bot, anna)
    status, _ = await ask(metered, head(length=len(body)) + body)
    assert status == 200
    await replies(bot, anna)
    await until(lambda: COUNTERS.handled > handled)
    scrape = head(method="GET", path="/metrics", secret=None)
    status, answer = await ask(metered, scrape)
    assert status == 401  # no token, no figures
    authorised = scrape.replace(b"\r\n\r\n", b"\r\nAuthorization: Bearer scrape-me\r\n\r\n")
    status, answer = await ask(metered, authorised)
    assert status == 200
    text = answer.decode()
    handled_line = next(
        line for line in text.splitlines() if line.startswith("cxbot_updates_handled_total ")
    )
    assert float(handled_line.split()[1]) >= handled + 1
    assert "cxbot_outbox_lag_seconds 0.0" in text
    assert "cxbot_updates_received_total" in text and "cxbot_handler_errors_total" in text
    assert str(anna.id) not in text and "Anna" not in text  # nobody is named


async def test_metrics_are_off_unless_asked_for(port: int) -> None:
    status, _ = await ask(port, head(method="GET", path="/metrics", secret=None))
    assert status == 404
