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

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cards import stale_button
from bot.config import Language, Settings
from bot.context import Context
from bot.dialogs.engine import DialogEngine
from bot.dialogs.new_customer import NewCustomerDialog
from bot.dialogs.script_edit import ScriptEditDialog, ScriptSuggestionDialog
from bot.dialogs.visit import VisitDialog
from bot.handlers import (
    customers,
    general,
    groups,
    inline,
    objections,
    onboarding,
    products,
    search,
    text,
    visits,
)
from bot.i18n import N_, _, language_from_platform, set_language, using
from bot.messages import Incoming, InlineResult, Reply
from bot.services.search.service import SearchService
from storage.engine import is_lost_connection, unit_of_work
from storage.models import DialogState, Role, User
from storage.queries.updates import claim_update
from storage.queries.users import (
    Sender,
    active_users_on,
    deactivate_chat,
    find_sender,
    reactivate_identity,
)

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
class KnownChat:
    """A private chat of an active user, for per-chat platform settings (command menus)."""

    chat_id: str
    role: Role
    language: Language | None


@dataclass(frozen=True, slots=True)
class ButtonRoute:
    prefix: str
    handler: Handler


async def _show_help(incoming: Incoming, ctx: Context) -> list[Reply]:
    role = Role(ctx.known_user.role)
    return general.show_help(ctx, [(c.name, c.summary) for c in COMMANDS if role in c.roles])


COMMANDS: tuple[Command, ...] = (
    Command("help", _show_help, N_("what I can do for you")),
    Command("c", search.search_customers, N_("find a customer: /c 华为, /c shenyang, /c hljrhb")),
    Command("p", search.search_products, N_("find a product: /p F1 20kg, /p SW-F1-20KG")),
    Command("new_customer", customers.start_new_customer, N_("add a customer step by step")),
    Command(
        "visit", visits.start_visit, N_("log a visit step by step (or just type what happened)")
    ),
    Command("visits", visits.list_visits, N_("the last week's visits; correct or delete yours")),
    Command("brief", visits.show_brief, N_("before a visit: /brief 华为")),
    Command("todo", visits.show_todo, N_("your follow-ups: overdue, today, this week")),
    Command("remind", visits.remind, N_("add a follow-up: /remind 华为 周五 送样品")),
    Command("plan", visits.plan_day, N_("today's visit plan: /plan 华为 10点 收款; 英浩 下午3点")),
    Command("obj", objections.ask_objection, N_("answer an objection: /obj 太贵了")),
    Command("scripts", objections.show_scripts, N_("which objection scripts work")),
    Command(
        "script_edit",
        objections.start_script_edit,
        N_("add or edit an objection script"),
        frozenset({Role.MANAGER, Role.ADMIN}),
    ),
    Command(
        "suggestions",
        objections.show_suggestions,
        N_("review reps' suggested answers"),
        frozenset({Role.MANAGER, Role.ADMIN}),
    ),
    Command("whoami", general.whoami, N_("who you are to me")),
    Command("lang", general.change_language, N_("change language: /lang en, zh_CN or zh_TW")),
    Command("cancel", general.cancel, N_("stop what you are doing")),
    Command(
        "link_team",
        groups.link_team_privately,
        N_("in a team's group: post the team's digests there"),
        frozenset({Role.MANAGER, Role.ADMIN}),
    ),
    Command(
        "unlink_team",
        groups.link_team_privately,
        N_("in a team's group: stop posting there"),
        frozenset({Role.MANAGER, Role.ADMIN}),
    ),
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
    ButtonRoute("prod", products.show_product_card),
    ButtonRoute("visit", visits.press_visit_button),
    ButtonRoute("fu", visits.press_follow_up_button),
    ButtonRoute(objections.PREFIX, objections.press),
)

DIALOG_PASSTHROUGH_COMMANDS = frozenset({"obj"})
"""Asked in the middle of a dialog (a visit being logged) without leaving it."""
DIALOG_PASSTHROUGH_BUTTONS = (f"{objections.PREFIX}:t:", f"{objections.PREFIX}:o:")
"""Presses that answer or rate an objection; they never start or end a dialog."""


def _passes_dialogs(incoming: Incoming) -> bool:
    if incoming.button_data is not None:
        return incoming.button_data.startswith(DIALOG_PASSTHROUGH_BUTTONS)
    return incoming.command in DIALOG_PASSTHROUGH_COMMANDS


GROUP_COMMANDS = frozenset({"help", "link_team", "unlink_team"})
"""All a group chat may ask: nothing there may show one rep's data to the others."""

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
        search_service: SearchService | None = None,
    ) -> None:
        self._sessions = session_factory
        self._settings = settings
        self._clock = clock
        self._commands = {command.name: command for command in COMMANDS}
        self._text_handler = text_handler or text.understand_text
        self.dialogs = DialogEngine(
            [NewCustomerDialog(), VisitDialog(), ScriptEditDialog(), ScriptSuggestionDialog()]
        )
        self.search = search_service or SearchService()

    def _context(
        self,
        session: AsyncSession,
        user: User | None,
        language: Language,
        dialog: DialogState | None = None,
    ) -> Context:
        return Context(
            session=session,
            settings=self._settings,
            user=user,
            language=language,
            clock=self._clock,
            dialogs=self.dialogs,
            search=self.search,
            dialog=dialog,
        )

    @property
    def commands(self) -> Sequence[Command]:
        return COMMANDS

    def command_menu(
        self, language: Language, role: Role | None = None, *, group: bool = False
    ) -> list[tuple[str, str]]:
        """`(name, summary)` in `language` for a platform's command menu.

        No role means the commands every role has (the menu before a chat is known).
        """
        with using(language):
            return [
                (command.name, _(command.summary))
                for command in COMMANDS
                if (command.name in GROUP_COMMANDS if group else True)
                and (command.roles == EVERYONE if role is None else role in command.roles)
            ]

    async def known_chats(self, channel: str) -> list[KnownChat]:
        """The private chats of active users on `channel`."""
        async with unit_of_work(self._sessions) as session:
            rows = await active_users_on(session=session, platform=channel)
        return [
            KnownChat(
                chat_id=identity.chat_id,
                role=Role(user.role),
                language=user.language,  # type: ignore[arg-type]
            )
            for identity, user in rows
        ]

    async def chat_unreachable(self, channel: str, chat_id: str) -> None:
        """The platform refused a chat for good (the user blocked us): stop pushing there.

        The identity comes back to life when its user writes again (see `_identify`).
        """
        async with unit_of_work(self._sessions) as session:
            changed = await deactivate_chat(session=session, platform=channel, chat_id=chat_id)
        logger.info("chat unreachable: %s %s (%d identities paused)", channel, chat_id, changed)

    async def inline_query(
        self, channel: str, user_id: str, text: str, *, language_code: str | None = None
    ) -> list[InlineResult]:
        """Results for a query typed in any chat; none for unknown users. Never raises."""
        try:
            async with unit_of_work(self._sessions) as session:
                user = await self._user_of(channel, user_id, session)
                if user is None:
                    return []
                language: Language = (
                    user.language  # type: ignore[assignment]
                    or language_from_platform(language_code)
                    or self._settings.default_language
                )
                ctx = self._context(session, user, language)
                with using(language):
                    return await inline.inline_results(text, ctx)
        except Exception:
            logger.exception("inline query failed: channel=%s", channel)
            return []

    async def handle(self, incoming: Incoming) -> list[Reply]:
        """Handle one update; never raises, so a channel can always answer something."""
        set_language(
            language_from_platform(incoming.language_code) or self._settings.default_language
        )
        try:
            return await self._unit_of_work(incoming)
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

    async def _unit_of_work(self, incoming: Incoming) -> list[Reply]:
        """The update's transaction; run again once if the connection had died (a database
        restart). Even a commit cut off halfway is safe to repeat: the update's key, if it was
        committed, makes the second run a duplicate."""
        try:
            return await self._transaction(incoming)
        except DBAPIError as error:
            if not is_lost_connection(error) or incoming.update_id is None:
                raise
            logger.warning("database connection lost; running update %s again", incoming.update_id)
        return await self._transaction(incoming)

    async def _transaction(self, incoming: Incoming) -> list[Reply]:
        async with unit_of_work(self._sessions) as session:
            return await self._turn(incoming, session)

    async def _turn(self, incoming: Incoming, session: AsyncSession) -> list[Reply]:
        if incoming.update_id is not None and not await claim_update(
            session=session, platform=incoming.channel, update_id=incoming.update_id
        ):
            logger.info("duplicate update skipped: %s %s", incoming.channel, incoming.update_id)
            return []

        sender = await self._identify(incoming, session)
        user = sender.user if sender else None
        language: Language = (
            (user.language if user and user.language else None)  # type: ignore[assignment]
            or language_from_platform(incoming.language_code)
            or self._settings.default_language
        )
        set_language(language)
        ctx = self._context(session, user, language, sender.dialog if sender else None)

        if len(incoming.text) > self._settings.max_message_chars:
            return [
                Reply(
                    _("That message is too long for me ({limit} characters at most).").format(
                        limit=self._settings.max_message_chars
                    )
                )
            ]

        if incoming.is_group:
            return await groups.in_group(incoming, ctx)
        if user is None:
            handler = UNKNOWN_USER_COMMANDS.get(incoming.command or "")
            return await (handler or onboarding.explain_joining)(incoming, ctx)

        if incoming.command == "cancel":
            return await general.cancel(incoming, ctx)
        if _passes_dialogs(incoming):
            if incoming.command is not None:
                return await self._command(incoming, ctx, user)
            return await self._press(incoming, ctx)
        replies = await self.dialogs.handle(incoming, ctx)
        if replies is not None:
            return replies
        if incoming.button_data is not None:
            return await self._press(incoming, ctx)
        if incoming.command is not None:
            return await self._command(incoming, ctx, user)
        return await self._text_handler(incoming, ctx)

    async def _identify(self, incoming: Incoming, session: AsyncSession) -> Sender | None:
        """The sender if known and active, with the chat's dialog (none in a group)."""
        sender = await find_sender(
            session=session,
            platform=incoming.channel,
            platform_user_id=incoming.user_id,
            chat_id=None if incoming.is_group else incoming.chat_id,
        )
        if sender is None or not sender.user.active:
            return None
        if not sender.identity_active and not incoming.is_group:
            await reactivate_identity(session=session, identity_id=sender.identity_id)
        return sender

    async def _user_of(self, channel: str, user_id: str, session: AsyncSession) -> User | None:
        sender = await find_sender(
            session=session, platform=channel, platform_user_id=user_id, chat_id=None
        )
        return sender.user if sender is not None and sender.user.active else None

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
        return [stale_button()]
