"""The router: one update in, replies out, with one database transaction in between.

Every registration is listed here, in order; the first match wins. The order of a turn:
de-duplicate, identify the user and their language, `/cancel`, the active dialog, commands,
buttons, plain text. Replies are returned only after the transaction committed, so a reply
never announces something that was rolled back.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config import Language, Settings
from bot.context import Context
from bot.dialogs.engine import DialogEngine
from bot.dialogs.new_customer import NewCustomerDialog
from bot.handlers import customers, general, onboarding
from bot.i18n import N_, _, language_from_platform, set_language
from bot.messages import Incoming, Reply
from storage.models import Role, User
from storage.queries.updates import claim_update
from storage.queries.users import find_identity, get_user

logger = logging.getLogger(__name__)

Handler = Callable[[Incoming, Context], Awaitable[list[Reply]]]

EVERYONE = frozenset(Role)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    handler: Handler
    summary: str
    """A msgid for `/help`."""
    roles: frozenset[Role] = EVERYONE


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    prefix: str
    handler: Handler


async def _show_help(incoming: Incoming, ctx: Context) -> list[Reply]:
    role = Role(ctx.known_user.role)
    return general.show_help(ctx, [(c.name, c.summary) for c in COMMANDS if role in c.roles])


COMMANDS: tuple[Command, ...] = (
    Command("help", _show_help, N_("what I can do for you")),
    Command("new_customer", customers.start_new_customer, N_("add a customer step by step")),
    Command("whoami", general.whoami, N_("who you are to me")),
    Command("lang", general.change_language, N_("change language: /lang en, zh_CN or zh_TW")),
    Command("cancel", general.cancel, N_("stop what you are doing")),
    Command(
        "invite",
        onboarding.create_invite,
        N_("invite someone: /invite rep|manager|admin TEAM"),
        frozenset({Role.ADMIN}),
    ),
)

BUTTONS: tuple[ButtonRoute, ...] = (
    ButtonRoute("lang", general.choose_language),
    ButtonRoute("cust", customers.show_customer_card),
)

UNKNOWN_USER_COMMANDS: dict[str, Handler] = {
    "start": onboarding.start,
    "lang": general.change_language,
    "help": onboarding.explain_joining,
}


def utc_now() -> datetime:
    return datetime.now(UTC)


class Router:
    """Turns each `Incoming` into replies inside one unit of work."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utc_now,
        text_handler: Handler | None = None,
    ) -> None:
        self._sessions = session_factory
        self._settings = settings
        self._clock = clock
        self._commands = {command.name: command for command in COMMANDS}
        self._text_handler = text_handler or general.plain_text
        self.dialogs = DialogEngine([NewCustomerDialog()])

    @property
    def commands(self) -> Sequence[Command]:
        return COMMANDS

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one update; never raises, so a channel can always answer something."""
        set_language(
            language_from_platform(incoming.language_code) or self._settings.default_language
        )
        try:
            async with self._sessions() as session, session.begin():
                return await self._turn(incoming, session)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            logger.exception(
                "update failed: error_id=%s channel=%s update=%s",
                error_id,
                incoming.channel,
                incoming.update_id,
            )
            return [
                Reply(
                    _(
                        "Sorry, something went wrong on my side (error {error_id}). "
                        "Please try again."
                    ).format(error_id=error_id)
                )
            ]

    async def _turn(self, incoming: Incoming, session: AsyncSession) -> list[Reply]:
        if incoming.update_id is not None and not await claim_update(
            session=session, platform=incoming.channel, update_id=incoming.update_id
        ):
            logger.info("duplicate update skipped: %s %s", incoming.channel, incoming.update_id)
            return []

        user = await self._identify(incoming, session)
        language: Language = (
            (user.language if user and user.language else None)  # type: ignore[assignment]
            or language_from_platform(incoming.language_code)
            or self._settings.default_language
        )
        set_language(language)
        ctx = Context(
            session=session,
            settings=self._settings,
            user=user,
            language=language,
            clock=self._clock,
            dialogs=self.dialogs,
        )

        if len(incoming.text) > self._settings.max_message_chars:
            return [
                Reply(
                    _("That message is too long for me ({limit} characters at most).").format(
                        limit=self._settings.max_message_chars
                    )
                )
            ]

        if user is None:
            handler = UNKNOWN_USER_COMMANDS.get(incoming.command or "")
            return await (handler or onboarding.explain_joining)(incoming, ctx)

        if incoming.command == "cancel":
            return await general.cancel(incoming, ctx)
        replies = await self.dialogs.handle(incoming, ctx)
        if replies is not None:
            return replies
        if incoming.button_data is not None:
            return await self._press(incoming, ctx)
        if incoming.command is not None:
            return await self._command(incoming, ctx, user)
        return await self._text_handler(incoming, ctx)

    async def _identify(self, incoming: Incoming, session: AsyncSession) -> User | None:
        identity = await find_identity(
            session=session, platform=incoming.channel, platform_user_id=incoming.user_id
        )
        if identity is None:
            return None
        user = await get_user(session=session, user_id=identity.user_id)
        return user if user is not None and user.active else None

    async def _command(self, incoming: Incoming, ctx: Context, user: User) -> list[Reply]:
        command = self._commands.get(incoming.command or "")
        if command is None and incoming.command == "start":
            return await onboarding.start(incoming, ctx)
        if command is None:
            return [Reply(_("I don't know that command. /help lists what I can do."))]
        if Role(user.role) not in command.roles:
            return [Reply(_("That command is not available to you."))]
        return await command.handler(incoming, ctx)

    async def _press(self, incoming: Incoming, ctx: Context) -> list[Reply]:
        prefix = (incoming.button_data or "").split(":", 1)[0]
        for route in BUTTONS:
            if route.prefix == prefix:
                return await route.handler(incoming, ctx)
        return [Reply(_("That button is no longer valid."))]
