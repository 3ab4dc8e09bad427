"""Saved dialog states: one per user and chat, loaded, replaced and dropped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.engine import unit_of_work
from storage.models import DialogState, Role, User
from storage.queries.dialogs import drop_dialog, lock_dialog, save_dialog
from storage.queries.users import bind_identity, find_sender
from tests.support import count_rows

NOW = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


@pytest.fixture
async def user_id(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with unit_of_work(sessions) as session:
        user = User(name="王磊", role=Role.REP, managed_teams=[])
        session.add(user)
        await session.flush()
        await bind_identity(
            session=session, user=user, platform="terminal", platform_user_id="u1", chat_id="u1"
        )
        return user.id


async def _dialog_of(session: AsyncSession, chat_id: str) -> DialogState | None:
    """The chat's dialog as the router reads it, with the sender."""
    sender = await find_sender(
        session=session, platform="terminal", platform_user_id="u1", chat_id=chat_id
    )
    return sender.dialog if sender else None


def _state(user_id: int, chat_id: str = "chat-1", state: str = "name") -> DialogState:
    return DialogState(
        user_id=user_id,
        channel="terminal",
        chat_id=chat_id,
        dialog="new_customer",
        state=state,
        data={"legal_name": "宁波测试衡器有限公司", "similar": None},
        history=["name"],
        updated_at=NOW,
    )


async def test_dialogs_saved_state_loads_back_with_its_data(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    async with unit_of_work(sessions) as session:
        await save_dialog(session=session, state=_state(user_id, state="grade"))

    async with unit_of_work(sessions) as session:
        loaded = await _dialog_of(session, "chat-1")
        assert loaded is not None
        assert (loaded.state, loaded.history, loaded.updated_at) == ("grade", ["name"], NOW)
        assert loaded.data == {"legal_name": "宁波测试衡器有限公司", "similar": None}
        other_chat = await _dialog_of(session, "chat-2")
        assert other_chat is None


async def test_dialogs_drop_removes_only_that_chat(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    async with unit_of_work(sessions) as session:
        await save_dialog(session=session, state=_state(user_id, "chat-1"))
        await save_dialog(session=session, state=_state(user_id, "chat-2"))

    async with unit_of_work(sessions) as session:
        await drop_dialog(session=session, user_id=user_id, channel="terminal", chat_id="chat-1")

    assert await count_rows(sessions, DialogState) == 1
    assert await count_rows(sessions, DialogState, DialogState.chat_id == "chat-2") == 1


async def test_dialogs_second_state_for_same_chat_is_refused(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    async with unit_of_work(sessions) as session:
        await save_dialog(session=session, state=_state(user_id))

    with pytest.raises(IntegrityError):
        async with unit_of_work(sessions) as session:
            await save_dialog(session=session, state=_state(user_id))

    assert await count_rows(sessions, DialogState) == 1


async def test_dialogs_sender_comes_with_that_chats_dialog_only(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    async with unit_of_work(sessions) as session:
        await save_dialog(session=session, state=_state(user_id, "chat-1", state="grade"))

    async with unit_of_work(sessions) as session:
        found = {
            chat: await find_sender(
                session=session, platform="terminal", platform_user_id="u1", chat_id=chat
            )
            for chat in ("chat-1", "chat-2", None)
        }
        stranger = await find_sender(
            session=session, platform="terminal", platform_user_id="u2", chat_id="chat-1"
        )
    assert {chat: sender.user.id for chat, sender in found.items() if sender} == {
        "chat-1": user_id,
        "chat-2": user_id,
        None: user_id,
    }
    dialog = found["chat-1"].dialog if found["chat-1"] else None
    assert dialog is not None and (dialog.chat_id, dialog.state) == ("chat-1", "grade")
    assert [found[chat].dialog for chat in ("chat-2", None) if found[chat]] == [None, None]
    assert stranger is None


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_dialogs_lock_reads_again_what_another_update_changed_meanwhile(
    sessions: async_sessionmaker[AsyncSession], user_id: int
) -> None:
    """The dialog read with the user is unlocked; locking it must see a step another worker
    committed since, and a dialog another worker ended must not come back."""
    async with unit_of_work(sessions) as session:
        await save_dialog(session=session, state=_state(user_id, "chat-1", state="name"))
        await save_dialog(session=session, state=_state(user_id, "chat-2", state="name"))

    async with unit_of_work(sessions) as session:
        first, second = [await _dialog_of(session, chat) for chat in ("chat-1", "chat-2")]
        assert first is not None and second is not None
        async with unit_of_work(sessions) as other:
            moved = await other.get_one(DialogState, first.id)
            moved.state = "grade"
            await drop_dialog(session=other, user_id=user_id, channel="terminal", chat_id="chat-2")

        assert first.state == "name"
        locked = await lock_dialog(session=session, state=first)
        assert locked is not None and locked.state == "grade"
        assert await lock_dialog(session=session, state=second) is None
