"""Helpers shared by the tests: updates to feed the router, people to talk as, rows to count.

Fixtures live in `conftest.py`; these are plain functions so a test can import them by name.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.channels.terminal import PLATFORM as TERMINAL
from bot.config import Language, get_settings
from bot.i18n import _catalog
from bot.messages import Incoming, Reply
from bot.router import Router
from storage.models import Role, User
from storage.queries.users import bind_identity, get_or_create_team

ADMIN = "陈静"
MANAGER = "张伟"
REP = "王磊"
TEAMMATE = "李娜"
OTHER_TEAM_REP = "赵强"
TEAM = "华东一组"


class FrozenClock:
    """A clock that stands still until a test moves it; pass it as `clock=`."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def make_incoming(**overrides: Any) -> Incoming:
    """An update from the demo rep in the terminal, with a fresh update id; override anything."""
    user_id = overrides.pop("user_id", REP)
    values: dict[str, Any] = {
        "channel": TERMINAL,
        "chat_id": user_id,
        "user_id": user_id,
        "update_id": uuid.uuid4().hex,
        "display_name": user_id,
    }
    values.update(overrides)
    return Incoming(**values)


async def say(router: Router, text: str, **overrides: Any) -> list[Reply]:
    """Type `text` as the demo rep (or whoever `overrides` names)."""
    return await router.handle(make_incoming(text=text, **overrides))


async def press(router: Router, data: str, **overrides: Any) -> list[Reply]:
    """Press the button carrying `data`."""
    return await router.handle(make_incoming(button_data=data, **overrides))


def text_of(replies: Sequence[Reply]) -> str:
    return "\n".join(reply.text for reply in replies)


def button_data(replies: Sequence[Reply]) -> list[str]:
    return [button.data for reply in replies for row in reply.buttons for button in row]


def translate(message: str, language: Language, /, **values: Any) -> str:
    """`message` as the catalog of `language` has it, formatted with `values`."""
    text = _catalog(language, get_settings().locale_dir).gettext(message)
    return text.format(**values) if values else text


async def add_user(
    session: AsyncSession,
    name: str,
    role: Role,
    *,
    team: str | None = None,
    language: str | None = None,
    platform: str = TERMINAL,
) -> User:
    """A user with an identity on `platform` whose platform id and chat are the user's name."""
    team_row = await get_or_create_team(session=session, name=team) if team else None
    user = User(
        name=name,
        role=role,
        team_id=team_row.id if team_row else None,
        language=language,
        managed_teams=[team_row] if role == Role.MANAGER and team_row else [],
    )
    session.add(user)
    await session.flush()
    await bind_identity(
        session=session, user=user, platform=platform, platform_user_id=name, chat_id=name
    )
    return user


async def add_people(sessions: async_sessionmaker[AsyncSession]) -> dict[str, User]:
    """The demo company's five people, without its customers and products (cheaper)."""
    people = [
        (ADMIN, Role.ADMIN, None),
        (MANAGER, Role.MANAGER, TEAM),
        (REP, Role.REP, TEAM),
        (TEAMMATE, Role.REP, TEAM),
        (OTHER_TEAM_REP, Role.REP, "华南组"),
    ]
    async with sessions() as session, session.begin():
        return {
            name: await add_user(session, name, role, team=team) for name, role, team in people
        }


async def count_rows(
    sessions: async_sessionmaker[AsyncSession], model: type, *criteria: Any
) -> int:
    """Rows of `model` matching `criteria`, read in a transaction of its own."""
    async with sessions() as session:
        statement = select(func.count()).select_from(model)
        if criteria:
            statement = statement.where(*criteria)
        return await session.scalar(statement) or 0


async def fetch_one(
    sessions: async_sessionmaker[AsyncSession], model: type, *criteria: Any
) -> Any:
    """The one row of `model` matching `criteria`, or None."""
    async with sessions() as session:
        return await session.scalar(select(model).where(*criteria))


async def fetch_all(
    sessions: async_sessionmaker[AsyncSession],
    model: type,
    *criteria: Any,
    order_by: Callable[..., Any] | Any = None,
) -> list[Any]:
    async with sessions() as session:
        statement = select(model).where(*criteria)
        if order_by is not None:
            statement = statement.order_by(order_by)
        return list(await session.scalars(statement))


class Conversation:
    """One person talking to a router in one language, as a test writes it."""

    def __init__(self, router: Router, user: str = REP, language_code: str | None = "en") -> None:
        self.router = router
        self.user = user
        self.language_code = language_code

    async def say(self, text: str, **overrides: Any) -> list[Reply]:
        overrides.setdefault("language_code", self.language_code)
        return await say(self.router, text, user_id=self.user, **overrides)

    async def press(self, data: str, **overrides: Any) -> list[Reply]:
        overrides.setdefault("language_code", self.language_code)
        return await press(self.router, data, user_id=self.user, **overrides)


PLAIN_TEXT = "(the plain-text handler answered)"


async def _plain_text(incoming: Incoming, ctx: Any) -> list[Reply]:
    return [Reply(PLAIN_TEXT)]


def router_marking_plain_text(app: App) -> Router:
    """The app's router, but its plain-text handler (search) answers `PLAIN_TEXT`.

    For tests about where typed text goes (into a dialog, or past it), not what search finds.
    """
    return Router(app.sessions, app.settings, clock=app.clock, text_handler=_plain_text)
