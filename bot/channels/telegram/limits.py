"""Telegram's flood limits, kept on our side so pushes never trip them.

Telegram allows about 30 messages a second overall, one a second per chat (short bursts
tolerated) and 20 a minute per group. Token buckets keep us under those; a 429 still pauses
every send for its `retry_after`, because flood control is per bot, not per chat.

Interactive replies spend overall tokens but never wait for them: a person waiting for an
answer comes first, and the pushes (bulk) yield to them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

OVERALL_PER_SECOND = 30.0
PRIVATE_PER_SECOND = 1.0
GROUP_PER_SECOND = 20 / 60
CHAT_BURST = 3.0
"""A reply of a card plus its buttons is two or three messages; let one reply out at once."""
MAX_CHAT_BUCKETS = 10_000
"""Full buckets carry no information; prune them once there are this many."""


class TokenBucket:
    """`rate` tokens a second up to `burst`; reservations may run into debt, then wait."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = now

    def _refill(self, now: float) -> None:
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def reserve(self, now: float) -> float:
        """Take a token; returns how long to wait before using it."""
        self._refill(now)
        self._tokens -= 1
        return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def spend(self, now: float) -> None:
        """Take a token without waiting; the debt is capped so bulk work is never starved."""
        self._refill(now)
        self._tokens = max(self._tokens - 1, -self.burst)

    def is_full(self, now: float) -> bool:
        self._refill(now)
        return self._tokens >= self.burst


class SendLimiter:
    """Decides when the next message to a chat may go out."""

    def __init__(
        self,
        *,
        overall_per_second: float = OVERALL_PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._overall = TokenBucket(overall_per_second, overall_per_second, clock())
        self._chats: dict[str, TokenBucket] = {}
        self._paused_until = 0.0

    def _chat(self, chat_id: str, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) >= MAX_CHAT_BUCKETS:
                self._chats = {k: b for k, b in self._chats.items() if not b.is_full(now)}
            # Telegram's group and channel ids are negative, user ids positive.
            rate = GROUP_PER_SECOND if chat_id.startswith("-") else PRIVATE_PER_SECOND
            bucket = self._chats[chat_id] = TokenBucket(rate, CHAT_BURST, now)
        return bucket

    async def wait_turn(self, chat_id: str | None, *, bulk: bool) -> None:
        """Sleep until a request is within the limits, then count it.

        `chat_id` is None for requests that post nothing to a chat (command menus).
        """
        if chat_id is not None:
            await self._wait(self._chat(chat_id, self._clock()).reserve(self._clock()))
        if bulk:
            await self._wait(self._overall.reserve(self._clock()))
        else:
            self._overall.spend(self._clock())
        await self._wait(self._paused_until - self._clock())

    def pause(self, seconds: float) -> None:
        """Hold every send for `seconds` (Telegram said retry_after)."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)

    async def _wait(self, seconds: float) -> None:
        if seconds > 0:
            await self._sleep(seconds)
