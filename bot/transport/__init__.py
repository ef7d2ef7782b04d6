"""Offline Bot API transport and update factory (tests, shell, demo, benchmarks)."""

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
