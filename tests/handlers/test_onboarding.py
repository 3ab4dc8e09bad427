"""Joining through the router with `/start CODE`: clear answers, nothing made by a bad code."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.router import Router
from bot.services.onboarding import create_invite
from storage.engine import unit_of_work
from storage.models import ChannelIdentity, Invite, Push, Role, Team, User
from storage.queries.users import managed_teams_of
from tests.support import (
    ADMIN,
    TEAM,
    Conversation,
    count_rows,
    fetch_all,
    fetch_one,
    text_of,
    translate,
)

pytestmark = pytest.mark.usefixtures("people")

NEWCOMER = "tg-5550001"


async def _invite(app: App, *, uses: int = 1, days: int = 7, role: Role = Role.REP) -> str:
    """An invite made on the command line (no inviter), as `salesbot invite` does."""
    async with unit_of_work(app.sessions) as session:
        invite = await create_invite(
            session=session,
            role=role,
            team_name=TEAM,
            now=app.clock(),
            valid_for=timedelta(days=days),
            uses=uses,
        )
        return invite.code


def _newcomer(router: Router) -> Conversation:
    return Conversation(router, user=NEWCOMER, language_code="en")


async def _nothing_joined(sessions: async_sessionmaker[AsyncSession]) -> None:
    assert await count_rows(sessions, User) == 5
    assert await count_rows(sessions, ChannelIdentity) == 5
    assert await count_rows(sessions, Push) == 0


async def test_onboarding_unknown_code_is_refused_and_makes_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    replies = await _newcomer(router).say("/start NOSUCH99")

    assert text_of(replies) == "That invite code is not valid. Check it with your admin."
    await _nothing_joined(sessions)


async def test_onboarding_used_up_code_is_refused_and_makes_nothing(
    app: App, router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = await _invite(app, uses=0)

    replies = await _newcomer(router).say(f"/start {code}")

    assert text_of(replies) == (
        "That invite code has already been used. Ask your admin for a new one."
    )
    await _nothing_joined(sessions)
    assert (await fetch_one(sessions, Invite)).uses_left == 0


async def test_onboarding_expired_code_is_refused_and_makes_nothing(
    app: App, router: Router, clock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = await _invite(app, days=7)
    clock.advance(days=7, seconds=1)

    replies = await _newcomer(router).say(f"/start {code}")

    assert text_of(replies) == "That invite code has expired. Ask your admin for a new one."
    await _nothing_joined(sessions)
    assert (await fetch_one(sessions, Invite)).uses_left == 1


async def test_onboarding_start_without_code_explains_joining(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    replies = await _newcomer(router).say("/start")

    assert "/start CODE" in text_of(replies)
    await _nothing_joined(sessions)


async def test_onboarding_good_code_binds_identity_and_tells_admins(
    app: App, router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    code = await _invite(app)

    replies = await _newcomer(router).say(f"/start {code}", display_name="孙悦")

    assert text_of(replies) == (
        f"Welcome, 孙悦! You joined as rep. Team: {TEAM}\n/help lists what I can do."
    )
    user = await fetch_one(sessions, User, User.name == "孙悦")
    team = await fetch_one(sessions, Team, Team.id == user.team_id)
    assert (user.role, team.name, user.language) == ("rep", TEAM, "en")
    identity = await fetch_one(
        sessions, ChannelIdentity, ChannelIdentity.platform_user_id == NEWCOMER
    )
    assert identity.user_id == user.id and identity.chat_id == NEWCOMER
    assert (await fetch_one(sessions, Invite)).uses_left == 0
    admin = await fetch_one(sessions, User, User.name == ADMIN)
    pushes = await fetch_all(sessions, Push)
    assert [push.user_id for push in pushes] == [admin.id]
    # In the admin's language (the default), not the newcomer's.
    joined_as = translate(
        "{name} joined as {role}.", "zh_CN", name="孙悦", role=translate("rep", "zh_CN")
    )
    team_line = translate("Team: {team}", "zh_CN", team=TEAM)
    assert pushes[0].replies[0]["text"] == f"{joined_as} {team_line}"
    assert pushes[0].due_at == app.clock() and pushes[0].sent_at is None
    # Now a known user: the next message is answered as one.
    whoami = await _newcomer(router).say("/whoami")
    assert "Name: 孙悦" in text_of(whoami) and "Role: rep" in text_of(whoami)
    assert f"Team: {TEAM}" in text_of(whoami)


async def test_onboarding_chat_invite_tells_only_the_inviter(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await Conversation(router, user=ADMIN).say("/lang en")
    made = await Conversation(router, user=ADMIN).say("/invite manager 华南组")
    code = (await fetch_one(sessions, Invite)).code
    assert code in text_of(made)

    await _newcomer(router).say(f"/start {code}", display_name="周敏")

    manager = await fetch_one(sessions, User, User.name == "周敏")
    async with sessions() as session:
        managed = await managed_teams_of(session=session, user=manager)
    assert [team.name for team in managed] == ["华南组"]
    pushes = await fetch_all(sessions, Push)
    admin = await fetch_one(sessions, User, User.name == ADMIN)
    assert [push.user_id for push in pushes] == [admin.id]
    assert pushes[0].replies[0]["text"] == "周敏 joined as manager. Team: 华南组"


async def test_onboarding_known_user_start_says_welcome_back(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    replies = await Conversation(router).say("/start ANYCODE1")

    assert text_of(replies) == "Welcome back, 王磊. /help lists what I can do."
    await _nothing_joined(sessions)
