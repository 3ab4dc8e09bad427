"""Delivering the push outbox: printed once in the terminal, marked sent, never sent twice."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.channels.terminal import PLATFORM as TERMINAL
from bot.channels.terminal import TerminalChannel
from bot.messages import Reply, buttons
from bot.pushes import PushDispatcher
from storage.engine import unit_of_work
from storage.models import Invite, Push, User
from storage.queries.pushes import enqueue_push
from tests.support import ADMIN, REP, FrozenClock, fetch_one, make_incoming


class DeadChannel:
    """A channel whose chats cannot be reached (the user blocked the bot)."""

    name = TERMINAL

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> bool:
        return False


async def _enqueue(app: App, user: User, text: str, *, minutes: float = 0) -> int:
    async with unit_of_work(app.sessions) as session:
        push = await enqueue_push(
            session=session,
            user_id=user.id,
            replies=[Reply(text, buttons=buttons([("Open", "cust:1")])).to_dict()],
            due_at=app.clock() + timedelta(minutes=minutes),
        )
        return push.id


async def test_pushes_due_push_is_printed_once_and_marked_sent(
    app: App,
    people: dict[str, User],
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    out = io.StringIO()
    terminal = TerminalChannel(app.router, REP, out=out)
    dispatcher = PushDispatcher(app.sessions, {TERMINAL: terminal}, app.clock)
    push_id = await _enqueue(app, people[REP], "李娜 joined as rep.")

    assert await dispatcher.deliver_due() == 1

    assert out.getvalue() == "李娜 joined as rep.\n  [1] Open\n\n"
    push = await fetch_one(sessions, Push, Push.id == push_id)
    assert push.sent_at == clock() and push.attempts == 1
    assert await dispatcher.deliver_due() == 0
    clock.advance(hours=1)
    assert await dispatcher.deliver_due() == 0
    assert out.getvalue().count("李娜 joined as rep.") == 1


async def test_pushes_future_push_waits_until_due(
    app: App, people: dict[str, User], clock: FrozenClock
) -> None:
    out = io.StringIO()
    dispatcher = PushDispatcher(
        app.sessions, {TERMINAL: TerminalChannel(app.router, REP, out=out)}, app.clock
    )
    await _enqueue(app, people[REP], "Visit 苏州恒达 at 10:00", minutes=30)

    assert await dispatcher.deliver_due() == 0
    clock.advance(minutes=30)
    assert await dispatcher.deliver_due() == 1
    assert "Visit 苏州恒达 at 10:00" in out.getvalue()


async def test_pushes_only_listed_users_are_delivered(
    app: App, people: dict[str, User], sessions: async_sessionmaker[AsyncSession]
) -> None:
    """`salesbot chat --as 王磊` delivers 王磊's pushes and leaves the admin's waiting."""
    out = io.StringIO()
    dispatcher = PushDispatcher(
        app.sessions,
        {TERMINAL: TerminalChannel(app.router, REP, out=out)},
        app.clock,
        user_ids=[people[REP].id],
    )
    mine = await _enqueue(app, people[REP], "for the rep")
    theirs = await _enqueue(app, people[ADMIN], "for the admin")

    assert await dispatcher.deliver_due() == 1

    assert "for the rep" in out.getvalue() and "for the admin" not in out.getvalue()
    assert (await fetch_one(sessions, Push, Push.id == mine)).sent_at is not None
    pending = await fetch_one(sessions, Push, Push.id == theirs)
    assert (pending.sent_at, pending.claimed_by) == (None, None)


async def test_pushes_undeliverable_push_is_released_for_retry(
    app: App, people: dict[str, User], sessions: async_sessionmaker[AsyncSession]
) -> None:
    push_id = await _enqueue(app, people[REP], "nobody hears this")
    dead = PushDispatcher(app.sessions, {TERMINAL: DeadChannel()}, app.clock)

    assert await dead.deliver_due() == 0

    push = await fetch_one(sessions, Push, Push.id == push_id)
    assert (push.sent_at, push.claimed_by, push.attempts) == (None, None, 1)
    out = io.StringIO()
    alive = PushDispatcher(
        app.sessions, {TERMINAL: TerminalChannel(app.router, REP, out=out)}, app.clock
    )
    assert await alive.deliver_due() == 1
    assert "nobody hears this" in out.getvalue()


@pytest.mark.usefixtures("people")
async def test_pushes_join_notice_reaches_admin_terminal(
    app: App, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """A rep joins with an admin's code; the admin's terminal prints the notice."""
    await app.router.handle(
        make_incoming(text="/invite rep 华东一组", user_id=ADMIN, language_code="en")
    )
    code = (await fetch_one(sessions, Invite)).code
    out = io.StringIO()
    admin_terminal = TerminalChannel(app.router, ADMIN, out=out)
    dispatcher = PushDispatcher(app.sessions, {TERMINAL: admin_terminal}, app.clock)

    await app.router.handle(
        make_incoming(text=f"/start {code}", channel="wecom", user_id="wx-77", display_name="孙悦")
    )

    assert await dispatcher.deliver_due() == 1
    assert "孙悦" in out.getvalue()
