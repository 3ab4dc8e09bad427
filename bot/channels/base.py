"""What every channel offers the core: a name and a way to send replies to a chat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.messages import Reply


class Channel(Protocol):
    name: str

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> bool:
        """Deliver replies to a chat; False when the chat can no longer be reached."""
        ...
