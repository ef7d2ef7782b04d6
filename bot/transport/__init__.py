"""The offline Bot API: a Telegram stand-in in process, with an update factory.

Not a production transport: it answers Bot API calls locally for ``cxbot demo`` and
``cxbot shell`` (which ship with the bot), the tests and the benchmarks. ``limits.py``, its
model of Telegram's flood limits, serves only the tests and benchmarks and is left out of the
wheel (pyproject.toml)."""

from bot.transport.offline import ApiCall, ChatMessage, OfflineRequest, UploadedFile
from bot.transport.updates import FakeUser, UpdateFactory

__all__ = [
    "ApiCall",
    "ChatMessage",
    "FakeUser",
    "OfflineRequest",
    "UpdateFactory",
    "UploadedFile",
]
