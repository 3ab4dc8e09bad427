"""Users, teams, platform identities and invites."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    ChannelIdentity,
    DialogState,
    Invite,
    Role,
    Team,
    TeamChat,
    User,
    manager_teams,
    utcnow,
)


async def find_identity(
    *, session: AsyncSession, platform: str, platform_user_id: str
) -> ChannelIdentity | None:
    return await session.scalar(
        select(ChannelIdentity).where(
            ChannelIdentity.platform == platform,
            ChannelIdentity.platform_user_id == platform_user_id,
        )
    )


async def get_user(*, session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def find_users_by_name(*, session: AsyncSession, name: str) -> list[User]:
    return list(await session.scalars(select(User).where(User.name == name).order_by(User.id)))


async def list_users(*, session: AsyncSession, role: Role | None = None) -> list[User]:
    statement = select(User).where(User.active.is_(True)).order_by(User.id)
    if role is not None:
        statement = statement.where(User.role == role)
    return list(await session.scalars(statement))


async def bind_identity(
    *,
    session: AsyncSession,
    user: User,
    platform: str,
    platform_user_id: str,
    chat_id: str,
    display_name: str | None = None,
) -> ChannelIdentity:
    identity = ChannelIdentity(
        user_id=user.id,
        platform=platform,
        platform_user_id=platform_user_id,
        chat_id=chat_id,
        display_name=display_name,
    )
    session.add(identity)
    await session.flush()
    return identity


async def identities_of(
    *, session: AsyncSession, user_id: int, platform: str | None = None
) -> list[ChannelIdentity]:
    statement = select(ChannelIdentity).where(
        ChannelIdentity.user_id == user_id, ChannelIdentity.active.is_(True)
    )
    if platform is not None:
        statement = statement.where(ChannelIdentity.platform == platform)
    return list(await session.scalars(statement))


async def get_or_create_team(*, session: AsyncSession, name: str) -> Team:
    """The team called `name`, made if missing, also when two updates make it at once.

    A plain select-then-insert lets two concurrent transactions both miss the team and one of
    them fail on the unique name (PostgreSQL); the insert skips a conflicting row instead, and
    waits for the other transaction to commit it first.
    """
    team = await session.scalar(select(Team).where(Team.name == name))
    if team is not None:
        return team
    insert = pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(Team).values(name=name, created_at=utcnow()).on_conflict_do_nothing()
    )
    return (await session.scalars(select(Team).where(Team.name == name))).one()


async def team_of(*, session: AsyncSession, user: User) -> Team | None:
    return await session.get(Team, user.team_id) if user.team_id is not None else None


async def find_team(*, session: AsyncSession, name: str) -> Team | None:
    return await session.scalar(select(Team).where(Team.name == name))


async def add_invite(*, session: AsyncSession, invite: Invite) -> Invite:
    session.add(invite)
    await session.flush()
    return invite


async def find_invite(*, session: AsyncSession, code: str) -> Invite | None:
    return await session.scalar(select(Invite).where(Invite.code == code))


async def take_invite_use(*, session: AsyncSession, code: str, now: datetime) -> bool:
    """Spend one use of a valid invite atomically; False when none is left or it expired."""
    result = await session.execute(
        update(Invite)
        .where(Invite.code == code, Invite.uses_left > 0, Invite.expires_at > now)
        .values(uses_left=Invite.uses_left - 1)
    )
    return bool(result.rowcount)


async def reactivate_identity(*, session: AsyncSession, identity_id: int) -> None:
    """A user a push could not reach wrote to us again: their chat is reachable again."""
    await session.execute(
        update(ChannelIdentity).where(ChannelIdentity.id == identity_id).values(active=True)
    )


async def deactivate_chat(*, session: AsyncSession, platform: str, chat_id: str) -> int:
    """Stop pushing to a chat that refused us (blocked bot); returns identities changed."""
    result = await session.execute(
        update(ChannelIdentity)
        .where(
            ChannelIdentity.platform == platform,
            ChannelIdentity.chat_id == chat_id,
            ChannelIdentity.active.is_(True),
        )
        .values(active=False)
    )
    return result.rowcount or 0


async def active_users_on(
    *, session: AsyncSession, platform: str
) -> list[tuple[ChannelIdentity, User]]:
    """Every reachable identity on a platform with its active user (for per-chat settings)."""
    rows = await session.execute(
        select(ChannelIdentity, User)
        .join(User, User.id == ChannelIdentity.user_id)
        .where(
            ChannelIdentity.platform == platform,
            ChannelIdentity.active.is_(True),
            User.active.is_(True),
        )
        .order_by(ChannelIdentity.id)
    )
    return [(identity, user) for identity, user in rows]


class Sender(NamedTuple):
    """Who wrote: their platform identity (two columns: loading it as an object was about 4 %
    of a `/help` turn's work), its user, and the chat's saved dialog if any."""

    identity_id: int
    identity_active: bool
    user: User
    dialog: DialogState | None


_SENDER = (
    select(ChannelIdentity.id, ChannelIdentity.active, User, DialogState)
    .join(User, User.id == ChannelIdentity.user_id)
    .outerjoin(
        DialogState,
        and_(
            DialogState.user_id == User.id,
            DialogState.channel == ChannelIdentity.platform,
            DialogState.chat_id == bindparam("chat_id"),
        ),
    )
    .where(
        ChannelIdentity.platform == bindparam("platform"),
        ChannelIdentity.platform_user_id == bindparam("platform_user_id"),
    )
)


async def find_sender(
    *, session: AsyncSession, platform: str, platform_user_id: str, chat_id: str | None
) -> Sender | None:
    """Identity, user and dialog in one round trip: the router asks this on every update.

    The dialog is read without a lock (PostgreSQL cannot lock the nullable side of an outer
    join); `lock_dialog` takes it when the dialog is used. No `chat_id`: no dialog.
    """
    parameters = {"platform": platform, "platform_user_id": platform_user_id, "chat_id": chat_id}
    row = (await session.execute(_SENDER, parameters)).first()
    return Sender(*row) if row else None


async def link_team_chat(
    *, session: AsyncSession, team: Team, platform: str, chat_id: str, by: User, now: datetime
) -> TeamChat:
    """Point a group chat at a team (a group serves one team; linking again moves it)."""
    chat = await find_team_chat(session=session, platform=platform, chat_id=chat_id)
    if chat is None:
        chat = TeamChat(platform=platform, chat_id=chat_id)
        session.add(chat)
    chat.team = team
    chat.linked_by_id = by.id
    chat.linked_at = now
    await session.flush()
    return chat


async def find_team_chat(*, session: AsyncSession, platform: str, chat_id: str) -> TeamChat | None:
    return await session.scalar(
        select(TeamChat).where(TeamChat.platform == platform, TeamChat.chat_id == chat_id)
    )


async def team_chats_of(*, session: AsyncSession, team_id: int) -> list[TeamChat]:
    """Where a team's digests go."""
    return list(await session.scalars(select(TeamChat).where(TeamChat.team_id == team_id)))


async def managed_teams_of(*, session: AsyncSession, user: User) -> list[Team]:
    """The teams a manager manages (empty for everyone else)."""
    return list(
        await session.scalars(
            select(Team)
            .join(manager_teams, manager_teams.c.team_id == Team.id)
            .where(manager_teams.c.user_id == user.id)
            .order_by(Team.name)
        )
    )
