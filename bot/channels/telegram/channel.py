"""The Telegram channel on python-telegram-bot: polling or webhook, replies, pushes, files.

PTB owns the Bot API; we own the mapping. Updates from different chats run concurrently,
updates from one chat one after another (a per-chat lock), so a dialog's steps and their
answers keep their order.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import warnings
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import TypeVar
from urllib.parse import urlsplit

from aiohttp import web
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    CallbackQuery,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InputFile,
    InputTextMessageContent,
    Message,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    InlineQueryHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBDeprecationWarning

from bot.channels.telegram.limits import SendLimiter
from bot.channels.telegram.render import (
    TEXT_LIMIT,
    Part,
    PartKind,
    keyboard,
    notice_text,
    plan,
    split_first,
    to_html,
)
from bot.channels.telegram.transport import AiohttpRequest
from bot.channels.telegram.updates import PLATFORM, to_incoming
from bot.config import Language, Settings
from bot.messages import AttachmentKind, Incoming, Media, Reply
from bot.router import Router
from bot.web import WebServer

logger = logging.getLogger(__name__)

T = TypeVar("T")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY]
CONCURRENT_UPDATES = 256
"""Updates in flight at once; each mostly waits on the database or the Bot API."""
WEBHOOK_CONNECTIONS = 100
"""Telegram's most: each webhook request is held while its update is handled."""
STARTING_SECONDS = 30.0
"""How long a webhook update that arrives as the process starts waits for the channel to run
(the web server listens first); after that Telegram is asked to deliver it again."""
SEND_ATTEMPTS = 5
NETWORK_BACKOFF_SECONDS = 0.5
"""First pause after a network error, doubled per attempt (0.5, 1, 2, 4 s)."""
INLINE_CACHE_SECONDS = 10
"""Results are per user and change as customers are added; cache briefly, never share."""
KEPT_KINDS = frozenset({AttachmentKind.PHOTO, AttachmentKind.DOCUMENT})
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
"""The Bot API's getFile limit; a larger file stays a reference."""
MEDIA_SCHEME = "media:"
"""Prefix of a file_ref that names our stored copy, relative to the media directory."""
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]")
_SAFE_SUFFIX = re.compile(r"^\.[A-Za-z0-9]{1,10}$")


class TelegramChannel:
    """Reps on Telegram: everything the router offers, the way Telegram shows it."""

    name = PLATFORM

    def __init__(self, router: Router, settings: Settings) -> None:
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        self._router = router
        self._settings = settings
        self._webhook_url = settings.telegram_webhook_url
        self._secret = (
            settings.telegram_webhook_secret.get_secret_value()
            if settings.telegram_webhook_secret
            else None
        )
        if self._webhook_url and not self._secret:
            # Without it anyone who finds the URL can speak as any of our users.
            raise ValueError("TELEGRAM_WEBHOOK_URL needs TELEGRAM_WEBHOOK_SECRET")
        self._limiter = SendLimiter(overall_per_second=settings.telegram_messages_per_second)
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._menus: asyncio.Task[None] | None = None
        self._running = asyncio.Event()
        builder = (
            Application.builder()
            .token(settings.telegram_bot_token.get_secret_value())
            .concurrent_updates(CONCURRENT_UPDATES)
            .request(AiohttpRequest())
            .get_updates_request(AiohttpRequest(connections=1))
        )
        if settings.telegram_api_base_url:
            builder = builder.base_url(settings.telegram_api_base_url)
        if settings.telegram_api_base_file_url:
            builder = builder.base_file_url(settings.telegram_api_base_file_url)
        if self._webhook_url:
            builder = builder.updater(None)
        self.application = builder.build()
        self.application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self._on_message))
        self.application.add_handler(CallbackQueryHandler(self._on_press))
        self.application.add_handler(InlineQueryHandler(self._on_inline_query))
        self.application.add_error_handler(self._on_error)

    @property
    def username(self) -> str:
        return self.application.bot.username

    # Lifecycle

    def mount(self, server: WebServer) -> None:
        """Add the webhook route, in webhook mode; the path is the one in the webhook URL."""
        if self._webhook_url:
            server.add_post(urlsplit(self._webhook_url).path or "/", self._on_webhook)

    async def start(self) -> None:
        """getMe, command menus, then updates: a webhook if configured, else long polling."""
        await self.application.initialize()
        await self._set_menus()
        await self.application.start()
        self._running.set()
        if self._webhook_url:
            await self.application.bot.set_webhook(
                self._webhook_url,
                secret_token=self._secret,
                allowed_updates=ALLOWED_UPDATES,
                max_connections=WEBHOOK_CONNECTIONS,
            )
        else:
            assert self.application.updater is not None
            await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        self._menus = asyncio.create_task(self._set_chat_menus())
        logger.info(
            "telegram: @%s ready (%s)",
            self.username,
            "webhook" if self._webhook_url else "polling",
        )

    async def stop(self) -> None:
        """Stop taking updates and finish the ones in flight.

        The webhook stays registered: another process may be serving it, and Telegram keeps
        updates for us while none is.
        """
        self._running.clear()
        if self._menus is not None:
            self._menus.cancel()
        if self.application.updater is not None and self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    # Updates

    def _lock(self, chat_id: str) -> asyncio.Lock:
        lock = self._locks.get(chat_id)
        if lock is None:
            lock = self._locks[chat_id] = asyncio.Lock()
        return lock

    async def _on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        incoming = to_incoming(update, self.username)
        if incoming is None:
            return
        async with self._lock(incoming.chat_id):
            replies = await self._router.handle(await self._keep_file(incoming))
            await self._deliver(incoming.chat_id, replies, bulk=False)

    async def _on_press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Every press is answered, so the client's spinner stops; a notice shows as a toast."""
        query = update.callback_query
        assert query is not None
        incoming = to_incoming(update, self.username)
        if incoming is None:
            await self._answer(query, None)
            return
        async with self._lock(incoming.chat_id):
            replies = await self._router.handle(incoming)
            notices = [reply.text for reply in replies if reply.notice]
            await self._answer(query, notice_text(notices[0]) if notices else None)
            pressed = query.message if isinstance(query.message, Message) else None
            rest = [reply for reply in replies if not reply.notice]
            await self._deliver(incoming.chat_id, rest, bulk=False, pressed=pressed)

    async def _answer(self, query: CallbackQuery, text: str | None) -> None:
        try:
            await query.answer(text=text)
        except TelegramError as error:
            # A press older than Telegram's answer window; nothing is waiting for it any more.
            logger.info("telegram: callback query not answered: %s", error)

    async def _on_inline_query(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.inline_query
        assert query is not None
        results = await self._router.inline_query(
            PLATFORM,
            str(query.from_user.id),
            query.query,
            language_code=query.from_user.language_code,
        )
        articles = [
            InlineQueryResultArticle(
                id=result.id,
                title=result.title,
                description=result.description,
                input_message_content=InputTextMessageContent(
                    to_html(split_first(result.message_text, TEXT_LIMIT)[0]),
                    parse_mode=ParseMode.HTML,
                ),
            )
            for result in results
        ]
        await query.answer(articles, cache_time=INLINE_CACHE_SECONDS, is_personal=True)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """Telegram's POST: checked against the secret, handled, then acknowledged.

        Acknowledged only once handled, so an update whose transaction never committed (the
        process died) is delivered again by Telegram; handled here rather than through PTB's
        update queue, which would cost it two more rounds of the event loop under load
        (`docs/architecture.md`). PTB's update processor still bounds how many run at once.
        One that arrives as the process starts waits for the channel to run; if it does not
        run in time, Telegram is told to deliver it again.
        """
        given = request.headers.get(SECRET_HEADER, "")
        assert self._secret is not None
        if not hmac.compare_digest(given.encode(), self._secret.encode()):
            logger.warning("telegram webhook: wrong secret token from %s", request.remote)
            return web.Response(status=403)
        if not self._running.is_set() and not await self._started_in_time():
            return web.Response(status=503)
        try:
            update = Update.de_json(await request.json(), self.application.bot)
        except (ValueError, KeyError, TypeError):
            logger.warning("telegram webhook: malformed update from %s", request.remote)
            return web.Response(status=400)
        application = self.application
        await application.update_processor.process_update(
            update, application.process_update(update)
        )
        return web.Response()

    async def _started_in_time(self) -> bool:
        try:
            await asyncio.wait_for(self._running.wait(), STARTING_SECONDS)
        except TimeoutError:
            return False
        return True

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        logger.error("telegram: update failed", exc_info=context.error)

    # Sending

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> bool:
        """A push: paced to Telegram's overall limit; False when the chat cannot be reached."""
        async with self._lock(chat_id):
            return await self._deliver(chat_id, replies, bulk=True)

    async def _deliver(
        self,
        chat_id: str,
        replies: Sequence[Reply],
        *,
        bulk: bool,
        pressed: Message | None = None,
    ) -> bool:
        try:
            for reply in replies:
                await self._show(chat_id, reply, bulk=bulk, pressed=pressed)
                if reply.edit:
                    pressed = None  # there is one pressed message to edit, and it is done
            return True
        except Forbidden as error:
            logger.info("telegram: chat %s refused us: %s", chat_id, error)
            await self._router.chat_unreachable(PLATFORM, chat_id)
        except TelegramError as error:
            logger.warning("telegram: could not deliver to chat %s: %s", chat_id, error)
        return False

    async def _show(
        self, chat_id: str, reply: Reply, *, bulk: bool, pressed: Message | None
    ) -> None:
        parts = plan(reply)
        markup = keyboard(reply.buttons)
        if not parts:
            return
        first = 0
        if reply.edit and pressed is not None and parts[0].kind is PartKind.TEXT:
            edit_markup = markup if len(parts) == 1 else None
            if await self._edit(pressed, parts[0].text, edit_markup, bulk=bulk):
                first = 1
        for index in range(first, len(parts)):
            last = index == len(parts) - 1
            await self._send_part(chat_id, parts[index], markup if last else None, bulk=bulk)

    async def _edit(
        self, message: Message, text: str, markup: InlineKeyboardMarkup | None, *, bulk: bool
    ) -> bool:
        """Replace the pressed message; False when Telegram will not let us (then we send)."""
        chat_id = str(message.chat_id)
        try:
            await self._call(
                chat_id,
                lambda: message.edit_text(
                    to_html(text), parse_mode=ParseMode.HTML, reply_markup=markup
                ),
                bulk=bulk,
            )
        except BadRequest as error:
            if "not modified" in error.message.lower():
                return True
            logger.info("telegram: cannot edit message in %s: %s", chat_id, error)
            return False
        return True

    async def _send_part(
        self, chat_id: str, part: Part, markup: InlineKeyboardMarkup | None, *, bulk: bool
    ) -> None:
        bot = self.application.bot
        text = to_html(part.text) if part.text else None
        if part.kind is PartKind.TEXT:
            assert text is not None
            await self._call(
                chat_id,
                lambda: bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup
                ),
                bulk=bulk,
            )
            return
        assert part.media is not None
        media = part.media
        send = bot.send_photo if part.kind is PartKind.PHOTO else bot.send_document
        await self._call(
            chat_id,
            lambda: send(
                chat_id,
                _input_file(media),
                caption=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            ),
            bulk=bulk,
        )

    async def _call(
        self, chat_id: str | None, request: Callable[[], Awaitable[T]], *, bulk: bool
    ) -> T:
        """One Bot API request within the limits: 429 waits as told, network errors back off.

        A timed-out send may have reached Telegram, so a retry can show a message twice;
        losing a message is worse.
        """
        backoff = NETWORK_BACKOFF_SECONDS
        for attempt in range(1, SEND_ATTEMPTS + 1):
            await self._limiter.wait_turn(chat_id, bulk=bulk)
            try:
                return await request()
            except RetryAfter as error:
                if attempt == SEND_ATTEMPTS:
                    raise
                seconds = retry_seconds(error)
                logger.warning("telegram: flood control, pausing sends %.1fs", seconds)
                self._limiter.pause(seconds)
            except (BadRequest, Forbidden):
                raise
            except NetworkError as error:
                if attempt == SEND_ATTEMPTS:
                    raise
                logger.warning("telegram: %s; retrying in %.1fs", error, backoff)
                await asyncio.sleep(backoff)
                backoff *= 2
        raise AssertionError("unreachable: the last attempt returns or raises")

    # Files

    async def _keep_file(self, incoming: Incoming) -> Incoming:
        """Store a sent photo or document before the core sees it, so a visit refers to our
        copy (under the media directory) rather than to a Telegram id that may expire."""
        attachment = incoming.attachment
        if attachment is None or attachment.kind not in KEPT_KINDS:
            return incoming
        if attachment.size is not None and attachment.size > MAX_DOWNLOAD_BYTES:
            return incoming
        try:
            path = await self.download(attachment.file_ref)
        except TelegramError as error:
            logger.warning("telegram: file not downloaded, keeping its id: %s", error)
            return incoming
        stored = path.relative_to(self._settings.media_dir).as_posix()
        return replace(
            incoming, attachment=replace(attachment, file_ref=f"{MEDIA_SCHEME}{stored}")
        )

    async def download(self, file_ref: str) -> Path:
        """Fetch a file a user sent into the media directory; the same file is fetched once.

        Named by Telegram's file_unique_id, which is stable across bots and re-sends.
        """
        file = await self.application.bot.get_file(file_ref)
        suffix = PurePosixPath(file.file_path or "").suffix
        name = _SAFE_NAME.sub("_", file.file_unique_id)
        if _SAFE_SUFFIX.match(suffix):
            name += suffix.lower()
        target = self._settings.media_dir / PLATFORM / name
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f"{target.name}.part")
        await file.download_to_drive(partial)
        partial.replace(target)
        return target

    # Command menus

    def _menu_languages(self) -> dict[str | None, Language]:
        """Telegram's menu languages are two-letter codes, so `zh` serves both scripts.

        It gets the deployment's own script when that is Chinese (zh_TW in Taiwan), else
        Simplified; a user who chose Traditional gets it through their chat's own menu.
        """
        default = self._settings.default_language
        chinese: Language = default if default in ("zh_CN", "zh_TW") else "zh_CN"
        return {None: default, "zh": chinese, "en": "en"}

    async def _set_menus(self) -> None:
        """Menus for private chats (what every role may do) and groups (only /help).

        A menu is a convenience: failing to set one is logged, and the bot starts anyway.
        """
        try:
            for code, language in self._menu_languages().items():
                for scope, group in (
                    (BotCommandScopeAllPrivateChats(), False),
                    (BotCommandScopeAllGroupChats(), True),
                ):
                    menu = self._router.command_menu(language, group=group)
                    await self._set_menu(scope, menu, code)
        except TelegramError as error:
            logger.warning("telegram: command menus not set: %s", error)

    async def _set_chat_menus(self) -> None:
        """Each known user's chat gets their role's commands in their chosen language.

        Runs in the background after start: one request per user, paced like pushes.
        """
        try:
            for chat in await self._router.known_chats(PLATFORM):
                language = chat.language or self._settings.default_language
                menu = self._router.command_menu(language, chat.role)
                try:
                    await self._call(
                        None,
                        lambda chat_id=chat.chat_id, menu=menu: self._set_menu(
                            BotCommandScopeChat(chat_id), menu, None
                        ),
                        bulk=True,
                    )
                except TelegramError as error:
                    logger.info("telegram: no command menu for chat %s: %s", chat.chat_id, error)
        except Exception:
            logger.exception("telegram: setting per-chat command menus failed")

    async def _set_menu(
        self, scope: BotCommandScope, menu: list[tuple[str, str]], language_code: str | None
    ) -> None:
        commands = [BotCommand(name, description[:256]) for name, description in menu]
        await self.application.bot.set_my_commands(
            commands, scope=scope, language_code=language_code
        )


def retry_seconds(error: RetryAfter) -> float:
    """`retry_after` in seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def _input_file(media: Media) -> InputFile | Path:
    if media.content is not None:
        return InputFile(media.content, filename=media.file_name)
    assert media.path is not None
    return Path(media.path)
