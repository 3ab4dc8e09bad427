"""Invites and joining as a service: a good code makes a user, a bad one changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.onboarding import (
    CODE_ALPHABET,
    CODE_LENGTH,
    InviteProblem,
    Joined,
    create_admin,
    create_invite,
    normalize_code,
    redeem_invite,
)
from storage.engine import unit_of_work
from storage.models import AuditLog, ChannelIdentity, Invite, Role, Team, User
from storage.queries.users import managed_teams_of
from tests.conftest import START
from tests.support import count_rows, fetch_one

WEEK = timedelta(days=7)


async def _redeem(
    sessions: async_sessionmaker[AsyncSession], code: str, who: str = "新同事", now=START
) -> Joined | InviteProblem:
    async with unit_of_work(sessions) as session:
        return await redeem_invite(
            session=session,
            code=code,
            now=now,
            platform="telegram",
            platform_user_id=f"tg-{who}",
            chat_id=f"tg-{who}",
            name=who,
            language="zh_TW",
        )


async def _make(
    sessions: async_sessionmaker[AsyncSession], role: Role = Role.REP, uses: int = 1
) -> Invite:
    async with unit_of_work(sessions) as session:
        return await create_invite(
            session=session, role=role, team_name="华东一组", now=START, valid_for=WEEK, uses=uses
        )


async def test_onboarding_invite_code_is_readable(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    invite = await _make(sessions)

    assert len(invite.code) == CODE_LENGTH and set(invite.code) <= set(CODE_ALPHABET)
    assert invite.expires_at == START + WEEK
    assert normalize_code(f" {invite.code[:4].lower()} {invite.code[4:]} ") == invite.code


async def test_onboarding_good_code_makes_user_with_role_team_and_identity(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    invite = await _make(sessions, Role.MANAGER)

    joined = await _redeem(sessions, invite.code.lower())

    assert isinstance(joined, Joined)
    user = await fetch_one(sessions, User, User.name == "新同事")
    team = await fetch_one(sessions, Team, Team.id == user.team_id)
    assert (user.role, team.name, user.language) == ("manager", "华东一组", "zh_TW")
    async with sessions() as session:
        managed = await managed_teams_of(session=session, user=user)
    assert [team.name for team in managed] == ["华东一组"]
    identity = await fetch_one(sessions, ChannelIdentity, ChannelIdentity.user_id == user.id)
    assert (identity.platform, identity.platform_user_id) == ("telegram", "tg-新同事")
    assert (await fetch_one(sessions, Invite)).uses_left == 0
    assert await count_rows(sessions, AuditLog, AuditLog.action == "join") == 1


@pytest.mark.parametrize(
    ("uses", "now", "problem"),
    [
        (0, START, InviteProblem.USED_UP),
        (1, START + WEEK, InviteProblem.EXPIRED),
        (1, START + WEEK + timedelta(days=30), InviteProblem.EXPIRED),
    ],
)
async def test_onboarding_bad_code_changes_nothing(
    sessions: async_sessionmaker[AsyncSession], uses: int, now, problem: InviteProblem
) -> None:
    invite = await _make(sessions, uses=uses)

    assert await _redeem(sessions, invite.code, now=now) is problem

    assert await count_rows(sessions, User) == 0
    assert await count_rows(sessions, ChannelIdentity) == 0
    assert (await fetch_one(sessions, Invite)).uses_left == uses


async def test_onboarding_unknown_code_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _make(sessions)

    assert await _redeem(sessions, "ZZZZZZZZ") is InviteProblem.UNKNOWN

    assert await count_rows(sessions, User) == 0
    assert (await fetch_one(sessions, Invite)).uses_left == 1


async def test_onboarding_code_used_once_refuses_second_person(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    invite = await _make(sessions)
    assert isinstance(await _redeem(sessions, invite.code, who="甲"), Joined)

    assert await _redeem(sessions, invite.code, who="乙") is InviteProblem.USED_UP
    assert await count_rows(sessions, User) == 1


async def test_onboarding_admin_code_links_existing_user(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        invite = await create_admin(session=session, name="陈静", now=START, valid_for=WEEK)

    joined = await _redeem(sessions, invite.code, who="陈静的手机")

    assert isinstance(joined, Joined)
    assert await count_rows(sessions, User) == 1
    admin = await fetch_one(sessions, User)
    assert (admin.name, admin.role) == ("陈静", "admin")
    identity = await fetch_one(sessions, ChannelIdentity)
    assert identity.user_id == admin.id


async def test_onboarding_admin_code_for_deactivated_user_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with unit_of_work(sessions) as session:
        invite = await create_admin(session=session, name="陈静", now=START, valid_for=WEEK)
    async with unit_of_work(sessions) as session:
        admin = await session.get(User, invite.for_user_id)
        admin.active = False

    assert await _redeem(sessions, invite.code) is InviteProblem.UNKNOWN

    assert await count_rows(sessions, ChannelIdentity) == 0
    assert (await fetch_one(sessions, Invite)).uses_left == 1
