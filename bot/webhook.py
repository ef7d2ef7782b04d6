"""``cxbot webhook``: the HTTP server Telegram posts updates to (tornado, as PTB's own).

PTB's built-in server reads every request body whole, up to 100 MB, before it looks at the
secret; anybody who knows the URL could make the bot hold hundreds of megabytes. This one
decides on the headers alone, before a byte of the body is read: a wrong or missing secret
(compared in constant time) is answered 403, a declared length over the limit 413, and a body
sent without a length (chunked) is cut off at the limit (tornado answers 400 and closes).
An accepted update goes into the application's update queue, which records it in the inbox
before the 200 tells Telegram it arrived. ``GET /healthz`` answers 200 while the bot runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
from collections.abc import Sequence
from http import HTTPStatus
from typing import Any

from telegram import Update
from telegram.ext import Application
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application as TornadoApplication
from tornado.web import RequestHandler, stream_request_body

from bot import metrics
from bot.context import services_of

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
HEADER_LIMIT = 16 * 1024  # bytes of request line and headers
IDLE_TIMEOUT = 120.0  # seconds a kept-alive connection may stay silent
BODY_TIMEOUT = 30.0  # seconds to receive a body


@stream_request_body
class UpdateHandler(RequestHandler):
    """POST of one update: secret and size checked on the headers, the body read in pieces."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, *, bot_app: Application, secret: bytes, max_body: int) -> None:
        """Called by tornado for each request with the route's arguments."""
        self.bot_app = bot_app
        self.secret = secret
        self.max_body = max_body
        self.body = bytearray()
        self.refused = False

    def prepare(self) -> None:
        """Refuse on the headers alone, before any of the body is read."""
        given = self.request.headers.get(SECRET_HEADER, "").encode("latin-1", "replace")
        if not hmac.compare_digest(given, self.secret):
            self.refuse(HTTPStatus.FORBIDDEN)
            return
        length = self.request.headers.get("Content-Length", "0").strip()
        if not (length.isascii() and length.isdigit()):
            self.refuse(HTTPStatus.BAD_REQUEST)
            return
        if int(length) > self.max_body:
            self.refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        # A body without a declared length is cut off by tornado past this many bytes.
        self.request.connection.set_max_body_size(self.max_body)  # type: ignore[union-attr]

    def data_received(self, chunk: bytes) -> None:
        """Keep the body, never more than the limit."""
        if self.refused:
            return
        if len(self.body) + len(chunk) > self.max_body:
            self.refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self.body += chunk

    async def post(self) -> None:
        """Queue the update (recorded in the inbox first) and tell Telegram it arrived."""
        if self.refused:
            return
        try:
            data = json.loads(self.body)
            update = Update.de_json(data, self.bot_app.bot) if isinstance(data, dict) else None
        except Exception as error:  # not JSON, or not an update
            log.warning("webhook: unreadable update (%s)", type(error).__name__)
            update = None
        if update is None:
            self.refuse(HTTPStatus.BAD_REQUEST)
            return
        await self.bot_app.update_queue.put(update)
        self.set_status(HTTPStatus.OK)
        self.finish()

    def refuse(self, status: HTTPStatus) -> None:
        """Answer ``status`` with an empty body and close the connection."""
        self.refused = True
        self.clear()
        self.set_status(status)
        self.set_header("Connection", "close")
        self.finish()


class HealthHandler(RequestHandler):
    """``GET /healthz``: 200 while the application runs, else 503."""

    SUPPORTED_METHODS = ("GET",)

    def initialize(self, *, bot_app: Application) -> None:
        """Called by tornado for each request with the route's arguments."""
        self.bot_app = bot_app

    def get(self) -> None:
        """The liveness answer, as plain text."""
        running = self.bot_app.running
        self.set_status(HTTPStatus.OK if running else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.finish("ok\n" if running else "stopped\n")


class MetricsHandler(RequestHandler):
    """``GET /metrics``: the operators' figures (bot/metrics.py); with a token, only for a
    request that brings it (``Authorization: Bearer …``, compared in constant time)."""

    SUPPORTED_METHODS = ("GET",)

    def initialize(self, *, bot_app: Application, token: bytes | None) -> None:
        """Called by tornado for each request with the route's arguments."""
        self.bot_app = bot_app
        self.token = token

    async def get(self) -> None:
        """The figures in Prometheus's text format."""
        if self.token is not None:
            given = self.request.headers.get("Authorization", "").encode("latin-1", "replace")
            if not hmac.compare_digest(given, b"Bearer " + self.token):
                self.set_status(HTTPStatus.UNAUTHORIZED)
                self.finish()
                return
        lag = await services_of(self.bot_app).outbox.lag()
        self.set_header("Content-Type", metrics.CONTENT_TYPE)
        self.finish(metrics.exposition(self.bot_app.bot.rate_limiter, lag))


class WebhookServer:
    """The HTTP server in front of an ``Application``; ``start`` it on the running loop."""

    def __init__(
        self,
        application: Application,
        *,
        path: str,
        secret: str,
        max_body: int,
        metrics_on: bool = False,
        metrics_token: str | None = None,
    ) -> None:
        if not secret:
            raise ValueError("the webhook needs a secret token")
        route = "/" + path.strip("/")
        if route in (HEALTH_PATH, METRICS_PATH):
            raise ValueError(f"the webhook path cannot be {route}")
        handlers: list[Any] = [
            (HEALTH_PATH, HealthHandler, {"bot_app": application}),
            (
                route,
                UpdateHandler,
                {
                    "bot_app": application,
                    "secret": secret.encode("utf-8"),
                    "max_body": max_body,
                },
            ),
        ]
        if metrics_on and not metrics.available():
            log.warning("metrics off: prometheus-client is missing (the 'metrics' extra)")
        elif metrics_on:
            token = metrics_token.encode("utf-8") if metrics_token else None
            handlers.append(
                (METRICS_PATH, MetricsHandler, {"bot_app": application, "token": token})
            )
        self.route = route
        self.max_body = max_body
        self._web = TornadoApplication(handlers, log_function=_log_request)
        self._server: HTTPServer | None = None

    async def start(self, *, listen: str, port: int) -> int:
        """Listen on ``listen``:``port`` (0: any free port); the port bound."""
        self._server = HTTPServer(
            self._web,
            max_body_size=self.max_body,
            max_buffer_size=self.max_body + 64 * 1024,
            max_header_size=HEADER_LIMIT,
            idle_connection_timeout=IDLE_TIMEOUT,
            body_timeout=BODY_TIMEOUT,
            decompress_request=False,
        )
        sockets = bind_sockets(port, listen)
        self._server.add_sockets(sockets)
        return int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop listening and close the open connections."""
        if self._server is None:
            return
        self._server.stop()
        await self._server.close_all_connections()
        self._server = None


def _log_request(handler: RequestHandler) -> None:
    """Refused requests only, without the query (a secret may have been put in the URL)."""
    status = handler.get_status()
    if status >= HTTPStatus.BAD_REQUEST:
        request = handler.request
        log.warning(
            "webhook: %d for %s %s from %s", status, request.method, request.path, request.remote_ip
        )


async def serve(
    application: Application,
    *,
    url: str,
    listen: str,
    port: int,
    path: str,
    secret: str,
    max_body: int,
    allowed_updates: Sequence[str],
    stop: asyncio.Event | None = None,
    metrics_on: bool = False,
    metrics_token: str | None = None,
) -> None:
    """Start the application (its ``post_init`` included), serve the webhook, register it
    with Telegram and run until ``stop`` is set (by default: until SIGINT or SIGTERM); then
    shut all down."""
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
    server = WebhookServer(
        application,
        path=path,
        secret=secret,
        max_body=max_body,
        metrics_on=metrics_on,
        metrics_token=metrics_token,
    )
    await application.initialize()
    try:
        if application.post_init:
            await application.post_init(application)
        await application.start()
        try:
            bound = await server.start(listen=listen, port=port)
            await application.bot.set_webhook(
                url=url, secret_token=secret, allowed_updates=list(allowed_updates)
            )
            log.info("webhook: listening on %s:%d%s", listen, bound, server.route)
            await stop.wait()
        finally:
            await server.stop()
            await application.stop()
            if application.post_stop:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown:
            await application.post_shutdown(application)
