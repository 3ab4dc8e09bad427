"""What every channel offers the core: a name and a way to send replies to a chat."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.messages import Reply
from bot.web import WebServer


class Channel(Protocol):
    name: str

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> bool:
        """Deliver replies to a chat; False when the chat can no longer be reached."""
        ...


class ServedChannel(Channel, Protocol):
    """A channel `salesbot run` serves: routes on the shared web server, then a life of its own."""

    def mount(self, server: WebServer) -> None:
        """Add HTTP routes (webhooks, callbacks); called before the server starts."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
