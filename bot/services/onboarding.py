"""Invites and joining: how a person becomes a user with a role and a team."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invite, Role, Team, User
from storage.queries.audit import record_change
from storage.queries.users import (
    add_invite,
    bind_identity,
    find_invite,
    get_or_create_team,
    take_invite_use,
)

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""No 0/O or 1/I/L: codes get read aloud and typed on phones."""
CODE_LENGTH = 8


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED_UP = "used_up"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class Joined:
    user: User
    team: Team | None
    inviter_id: int | None


def normalize_code(code: str) -> str:
    return "".join(code.split()).upper()


async def create_invite(
    *,
    session: AsyncSession,
    role: Role,
    team_name: str | None,
    now: datetime,
    valid_for: timedelta,
    uses: int = 1,
    created_by: User | None = None,
    for_user: User | None = None,
) -> Invite:
    team = await get_or_create_team(session=session, name=team_name) if team_name else None
    invite = Invite(
        code="".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH)),
        role=role,
        team_id=team.id if team else None,
        created_by_id=created_by.id if created_by else None,
        for_user_id=for_user.id if for_user else None,
        expires_at=now + valid_for,
        uses_left=uses,
    )
    await add_invite(session=session, invite=invite)
    await record_change(
        session=session,
        user_id=created_by.id if created_by else None,
        action="create",
        entity="invite",
        entity_id=invite.id,
        after={"role": str(role), "team": team_name, "uses": uses},
    )
    return invite


async def redeem_invite(
    *,
    session: AsyncSession,
    code: str,
    now: datetime,
    platform: str,
    platform_user_id: str,
    chat_id: str,
    name: str,
    language: str | None,
) -> Joined | InviteProblem:
    """Bind a platform identity to a new user if the code is good; change nothing otherwise."""
    code = normalize_code(code)
    invite = await find_invite(session=session, code=code)
    if invite is None:
        return InviteProblem.UNKNOWN
    # Checked before the use is spent: a refused code must leave `uses_left` as it was.
    user = await session.get(User, invite.for_user_id) if invite.for_user_id else None
    if invite.for_user_id is not None and (user is None or not user.active):
        return InviteProblem.UNKNOWN
    if not await take_invite_use(session=session, code=code, now=now):
        return InviteProblem.EXPIRED if invite.expires_at <= now else InviteProblem.USED_UP
    if user is None:
        manages = invite.role == Role.MANAGER and invite.team is not None
        user = User(
            name=name,
            role=invite.role,
            team_id=invite.team_id,
            language=language,
            managed_teams=[invite.team] if manages else [],
        )
        session.add(user)
        await session.flush()
    await bind_identity(
        session=session,
        user=user,
        platform=platform,
        platform_user_id=platform_user_id,
        chat_id=chat_id,
        display_name=name,
    )
    await record_change(
        session=session,
        user_id=user.id,
        action="join",
        entity="user",
        entity_id=user.id,
        after={"role": str(invite.role), "team_id": invite.team_id, "invite": invite.id},
    )
    return Joined(user=user, team=invite.team, inviter_id=invite.created_by_id)


async def create_admin(
    *, session: AsyncSession, name: str, now: datetime, valid_for: timedelta
) -> Invite:
    """Make an admin from the command line, where no invite can exist yet.

    Returns a one-use code that links the admin's chat app to the new user.
    """
    user = User(name=name, role=Role.ADMIN, managed_teams=[])
    session.add(user)
    await session.flush()
    await record_change(
        session=session,
        user_id=None,
        action="create",
        entity="user",
        entity_id=user.id,
        after={"role": str(Role.ADMIN), "name": name},
    )
    return await create_invite(
        session=session,
        role=Role.ADMIN,
        team_name=None,
        now=now,
        valid_for=valid_for,
        for_user=user,
    )
