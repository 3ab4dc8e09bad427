"""Saved dialog states: one per user and chat."""

from __future__ import annotations

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DialogState

_DIALOG = (
    select(DialogState)
    .where(
        DialogState.user_id == bindparam("user_id"),
        DialogState.channel == bindparam("channel"),
        DialogState.chat_id == bindparam("chat_id"),
    )
    .with_for_update()
)


async def load_dialog(
    *, session: AsyncSession, user_id: int, channel: str, chat_id: str
) -> DialogState | None:
    """Load and lock the state, so two workers cannot advance the same dialog at once."""
    parameters = {"user_id": user_id, "channel": channel, "chat_id": chat_id}
    return await session.scalar(_DIALOG, parameters)


async def save_dialog(*, session: AsyncSession, state: DialogState) -> None:
    session.add(state)
    await session.flush()


async def drop_dialog(*, session: AsyncSession, user_id: int, channel: str, chat_id: str) -> None:
    await session.execute(
        delete(DialogState).where(
            DialogState.user_id == user_id,
            DialogState.channel == channel,
            DialogState.chat_id == chat_id,
        )
    )
