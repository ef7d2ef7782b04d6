"""The operators' figures in Prometheus's text format (bot/metrics.py)."""

from __future__ import annotations

from bot import metrics
from bot.ratelimit import TelegramRateLimiter


def figures(text: bytes) -> dict[str, float]:
    out = {}
    for line in text.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def test_the_rate_limiters_figures_and_the_outbox_lag() -> None:
    limiter = TelegramRateLimiter()
    limiter.sends, limiter.limited, limiter.refused, limiter.waited = 40, 10, 1, 2.5
    got = figures(metrics.exposition(limiter, 12.5))
    assert got["cxbot_telegram_sends_total"] == 40
    assert got["cxbot_telegram_sends_limited_total"] == 10
    assert got["cxbot_telegram_429_total"] == 1
    assert got["cxbot_telegram_wait_seconds_total"] == 2.5
    assert got["cxbot_outbox_lag_seconds"] == 12.5


def test_without_a_rate_limiter_the_update_figures_remain() -> None:
    before = metrics.COUNTERS.failed
    metrics.COUNTERS.failed += 2
    try:
        got = figures(metrics.exposition(None, 0.0))
    finally:
        metrics.COUNTERS.failed = before
    assert got["cxbot_handler_errors_total"] == before + 2
    assert not any(name.startswith("cxbot_telegram_") for name in got)
