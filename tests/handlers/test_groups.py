"""A team's group chat: linked by its manager, and never shown anyone's private data."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.router import Router
from storage.models import AuditLog, TeamChat
from storage.queries.users import team_chats_of
from tests.support import ADMIN, MANAGER, REP, count_rows, fetch_one, say, text_of

pytestmark = pytest.mark.usefixtures("people")
GROUP = "-100200300"


async def in_group(router: Router, text: str, user: str) -> str:
    replies = await say(
        router, text, user_id=user, chat_id=GROUP, is_group=True, language_code="en"
    )
    return text_of(replies)


async def test_group_link_team_by_manager_links_the_managed_team(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    answer = await in_group(router, "/link_team@salesbot", MANAGER)

    assert answer == "This group now gets 华东一组's digests and urgent news."
    chat = await fetch_one(sessions, TeamChat, TeamChat.chat_id == GROUP)
    async with sessions() as session:
        assert [c.chat_id for c in await team_chats_of(session=session, team_id=chat.team_id)] == [
            GROUP
        ]
    assert await count_rows(sessions, AuditLog, AuditLog.entity == "team_chat") == 1


async def test_group_link_team_by_rep_is_refused_and_links_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    answer = await in_group(router, "/link_team", REP)

    assert answer == "Only a manager or an admin of this team can do that."
    assert await count_rows(sessions, TeamChat) == 0


async def test_group_link_team_by_admin_needs_an_existing_team(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    assert await in_group(router, "/link_team", ADMIN) == "Name the team: /link_team TEAM"
    assert (
        await in_group(router, "/link_team 不存在组", ADMIN) == "There is no team called 不存在组."
    )
    assert await count_rows(sessions, TeamChat) == 0

    assert "华南组" in await in_group(router, "/link_team 华南组", ADMIN)
    assert await count_rows(sessions, TeamChat) == 1


async def test_group_unlink_team_by_manager_removes_the_link(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await in_group(router, "/link_team", MANAGER)

    assert await in_group(router, "/unlink_team", REP) == (
        "Only a manager or an admin of this team can do that."
    )
    assert await in_group(router, "/unlink_team", MANAGER) == (
        "This group no longer gets 华东一组's digests."
    )
    assert await count_rows(sessions, TeamChat) == 0


async def test_group_other_commands_redirect_to_a_private_chat(router: Router) -> None:
    answer = await in_group(router, "/brief 华为", REP)

    assert answer == "Let's talk privately, so your data stays yours: open a chat with me."
