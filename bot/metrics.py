"""Figures for operators: counters kept while the bot runs, served in Prometheus's text format
at ``/metrics`` by ``cxbot webhook`` when ``CXBOT_METRICS`` is on.

The counters are plain integers of this process, so they cost nothing when nobody scrapes
them; ``prometheus-client`` (the optional ``metrics`` extra) only formats them. Served:

* ``cxbot_updates_received_total``: updates recorded in the inbox;
* ``cxbot_updates_handled_total`` / ``cxbot_updates_duplicate_total`` /
  ``cxbot_handler_errors_total``: units of work committed, updates dropped as delivered
  before, handlers that raised;
* ``cxbot_telegram_sends_total``, ``cxbot_telegram_sends_limited_total``,
  ``cxbot_telegram_429_total`` and ``cxbot_telegram_wait_seconds_total``: new messages through
  the rate limiter, how many had to wait, the flood-control refusals seen all the same, and
  the time spent waiting;
* ``cxbot_outbox_lag_seconds``: how long the oldest due message of the outbox has waited
  (0 when nothing waits): a growing lag means messages to people are stuck.

No figure names or counts a person.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from importlib.util import find_spec
from typing import Any

__all__ = ["COUNTERS", "Counters", "available", "exposition"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


@dataclass
class Counters:
    """What the bot counts as it runs (this process)."""

    received: int = 0
    handled: int = 0
    duplicate: int = 0
    failed: int = 0


COUNTERS = Counters()


def available() -> bool:
    """Whether prometheus-client is installed (``pip install 'cxbot[metrics]'``)."""
    return find_spec("prometheus_client") is not None


def exposition(limiter: Any, outbox_lag: float) -> bytes:
    """The figures in Prometheus's text format (``limiter``: the bot's rate limiter, if
    any; ``outbox_lag``: seconds, read from the database by the caller)."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

    class Collector:
        def collect(self) -> Iterator[Any]:
            for name, text, value in (
                ("cxbot_updates_received", "Updates recorded in the inbox", COUNTERS.received),
                ("cxbot_updates_handled", "Units of work committed", COUNTERS.handled),
                ("cxbot_updates_duplicate", "Updates delivered again", COUNTERS.duplicate),
                ("cxbot_handler_errors", "Handlers that raised", COUNTERS.failed),
            ):
                yield CounterMetricFamily(name, text, value=value)
            sends = (
                ("cxbot_telegram_sends", "New messages through the rate limiter", "sends"),
                ("cxbot_telegram_sends_limited", "New messages that waited", "limited"),
                ("cxbot_telegram_429", "Flood-control refusals from Telegram", "refused"),
                ("cxbot_telegram_wait_seconds", "Seconds new messages waited", "waited"),
            )
            for name, text, attribute in sends:
                value = getattr(limiter, attribute, None)
                if value is not None:
                    yield CounterMetricFamily(name, text, value=value)
            yield GaugeMetricFamily(
                "cxbot_outbox_lag_seconds",
                "How long the oldest due outbox message has waited",
                value=outbox_lag,
            )

    registry = CollectorRegistry(auto_describe=False)
    registry.register(Collector())  # type: ignore[arg-type]
    return generate_latest(registry)
