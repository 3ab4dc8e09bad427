"""Delivery of the push outbox to the channels this process serves."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.base import Channel
from bot.messages import Reply
from storage.engine import unit_of_work
from storage.queries.pushes import claim_pushes, mark_pushed, release_pushes
from storage.queries.users import identities_of

logger = logging.getLogger(__name__)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class PushDispatcher:
    """Claims due pushes, sends each to the user's chats, marks them sent.

    A push is claimed in one transaction and marked in another, so a crash mid-send leaves a
    claim that expires and is retried, rather than a push silently dropped.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Mapping[str, Channel],
        clock: Callable[[], datetime],
        *,
        user_ids: Sequence[int] | None = None,
    ) -> None:
        self._sessions = sessions
        self._channels = channels
        self._clock = clock
        self._user_ids = list(user_ids) if user_ids is not None else None
        self._worker = worker_name()

    async def deliver_due(self) -> int:
        """Send what is due now; returns how many pushes went out."""
        async with unit_of_work(self._sessions) as session:
            pushes = await claim_pushes(
                session=session, worker=self._worker, now=self._clock(), user_ids=self._user_ids
            )
            targets = {
                push.id: await identities_of(session=session, user_id=push.user_id)
                for push in pushes
            }
        sent: list[int] = []
        failed: list[int] = []
        for push in pushes:
            replies = [Reply.from_dict(item) for item in push.replies]
            delivered = False
            for identity in targets[push.id]:
                channel = self._channels.get(identity.platform)
                if channel is not None:
                    delivered = await channel.send(identity.chat_id, replies) or delivered
            (sent if delivered else failed).append(push.id)
        if sent or failed:
            async with unit_of_work(self._sessions) as session:
                if sent:
                    await mark_pushed(session=session, push_ids=sent, now=self._clock())
                if failed:
                    await release_pushes(session=session, push_ids=failed)
        return len(sent)

    async def run(self, interval: float, stop: asyncio.Event) -> None:
        """Deliver every `interval` seconds until `stop` is set.

        Stopping waits for a delivery under way: cancelling one would leave its claimed pushes
        unsent until their lease runs out.
        """
        while not stop.is_set():
            try:
                await self.deliver_due()
            except Exception:
                logger.exception("push delivery failed; retrying in %.1fs", interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
