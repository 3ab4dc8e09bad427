"""The `salesbot` command: run, chat, demo, invite, admin, db."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from datetime import timedelta
from pathlib import Path

import uvloop
from telegram.error import TelegramError

from bot.app import App, configure_logging, settled_heap
from bot.channels.base import ServedChannel
from bot.channels.telegram import TelegramChannel, invite_link
from bot.channels.terminal import PLATFORM as TERMINAL
from bot.channels.terminal import TerminalChannel, stdin_lines
from bot.config import PROJECT_ROOT, Settings, get_settings
from bot.pushes import PushDispatcher
from bot.services.demo import DEMO_REP, load_demo
from bot.services.onboarding import create_admin, create_invite
from bot.web import WebServer
from storage.engine import unit_of_work
from storage.migrate import downgrade
from storage.models import Role
from storage.queries.customers import count_customers
from storage.queries.users import bind_identity, find_identity, find_users_by_name

DEMO_DATABASE = PROJECT_ROOT / "salesbot-demo.db"


def _quiet(settings: Settings) -> None:
    """A chat in the terminal shows only warnings on stderr, so stdout stays the chat."""
    level = logging.getLevelName(settings.log_level.upper())
    configure_logging(logging.getLevelName(max(level, logging.WARNING)))


async def _terminal_user(app: App, name: str) -> int | None:
    """The user behind `--as NAME`: a terminal identity, or a user of that exact name.

    The terminal is the server's own console, so whoever runs it may speak as any user;
    an unknown name is an unknown user, who can join with `/start CODE`.
    """
    async with unit_of_work(app.sessions) as session:
        identity = await find_identity(session=session, platform=TERMINAL, platform_user_id=name)
        if identity is not None:
            return identity.user_id
        users = await find_users_by_name(session=session, name=name)
        if len(users) != 1:
            return None
        await bind_identity(
            session=session, user=users[0], platform=TERMINAL, platform_user_id=name, chat_id=name
        )
        return users[0].id


async def chat(app: App, name: str) -> None:
    await app.start()
    channel = TerminalChannel(app.router, name)
    user_id = await _terminal_user(app, name)
    pushes = PushDispatcher(
        app.sessions, {TERMINAL: channel}, app.clock, user_ids=[user_id] if user_id else []
    )
    interactive = sys.stdin.isatty()
    if interactive:
        print(f"salesbot · {name} · /help · Ctrl-D to leave\n")
        await pushes.deliver_due()
    stop = asyncio.Event()
    poller = asyncio.create_task(pushes.run(app.settings.push_poll_seconds, stop))
    try:
        await channel.run(stdin_lines(), prompt="> " if interactive else "")
    finally:
        stop.set()
        await poller
        await pushes.deliver_due()


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def demo(settings: Settings, *, no_chat: bool, name: str) -> int:
    if not no_chat:
        _remove_database(DEMO_DATABASE)
        settings = settings.model_copy(
            update={"database_url": f"sqlite+aiosqlite:///{DEMO_DATABASE}"}
        )
    app = App(settings)
    try:
        await app.upgrade()
        async with unit_of_work(app.sessions) as session:
            if await count_customers(session=session):
                print("The database already has customers; demo data goes into an empty one.")
                return 1
            summary = await load_demo(session=session)
        print(
            f"Demo loaded: {summary.users} people, {summary.customers} customers, "
            f"{summary.products} products."
        )
        if not no_chat:
            await chat(app, name)
        return 0
    finally:
        await app.close()


async def invite(settings: Settings, role: str, team: str | None, uses: int, days: int) -> int:
    app = App(settings)
    try:
        await app.upgrade()
        async with unit_of_work(app.sessions) as session:
            made = await create_invite(
                session=session,
                role=Role(role),
                team_name=team,
                now=app.clock(),
                valid_for=timedelta(days=days),
                uses=uses,
            )
        print(made.code)
        print(f"Send /start {made.code} to the assistant (valid {days} days, {uses} use(s)).")
        await _print_links(settings, made.code)
        return 0
    finally:
        await app.close()


async def admin_create(settings: Settings, name: str) -> int:
    app = App(settings)
    try:
        await app.upgrade()
        async with unit_of_work(app.sessions) as session:
            made = await create_admin(
                session=session,
                name=name,
                now=app.clock(),
                valid_for=timedelta(days=settings.invite_valid_days),
            )
        print(f"Admin {name} created. From your chat app send: /start {made.code}")
        await _print_links(settings, made.code)
        print(f"In the terminal: salesbot chat --as {name}")
        return 0
    finally:
        await app.close()


async def _print_links(settings: Settings, code: str) -> None:
    """The invite as a link to open, for each configured platform that has such links."""
    if settings.telegram_bot_token is None:
        return
    try:
        print(f"Telegram: {await invite_link(settings, code)}")
    except TelegramError as error:
        print(f"(No Telegram link: the Bot API did not answer: {error})", file=sys.stderr)


def configured_channels(app: App) -> list[ServedChannel]:
    """Every platform whose settings are present (WeCom joins here)."""
    channels: list[ServedChannel] = []
    if app.settings.telegram_bot_token is not None:
        channels.append(TelegramChannel(app.router, app.settings))
    return channels


async def serve(app: App, channels: list[ServedChannel], stop: asyncio.Event) -> None:
    """One process: the web server, every channel, and the push outbox, until `stop`."""
    web = WebServer(app.settings.web_host, app.settings.web_port)
    for channel in channels:
        channel.mount(web)
    await web.start()
    started: list[ServedChannel] = []
    try:
        for channel in channels:
            await channel.start()
            started.append(channel)
        pushes = PushDispatcher(app.sessions, {c.name: c for c in channels}, app.clock)
        poller = asyncio.create_task(pushes.run(app.settings.push_poll_seconds, stop))
        try:
            await stop.wait()
        finally:
            stop.set()
            await poller
    finally:
        await web.stop()  # the callbacks in flight finish, while their channels still run
        for channel in reversed(started):
            await channel.stop()


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, stop.set)
    return stop


async def run(settings: Settings, *, stop: asyncio.Event | None = None) -> int:
    """`salesbot run`; `stop` ends it (SIGINT or SIGTERM when not given)."""
    app = App(settings)
    try:
        channels = configured_channels(app)
        if not channels:
            print(
                "No chat platform is configured yet: set TELEGRAM_BOT_TOKEN or the WECOM_* "
                "settings (see .env.example). For the terminal: salesbot chat --as NAME",
                file=sys.stderr,
            )
            return 2
        await app.start()
        with settled_heap():
            await serve(app, channels, stop or _stop_on_signals())
        return 0
    finally:
        await app.close()


async def database(settings: Settings, action: str, revision: str) -> int:
    app = App(settings)
    try:
        if action == "upgrade":
            await app.upgrade()
        else:
            await downgrade(settings.database_url, revision)
        print(f"Database {action}d.")
        return 0
    finally:
        await app.close()


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="salesbot", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="run every configured chat channel")
    chat_command = commands.add_parser("chat", help="chat in the terminal as a user")
    chat_command.add_argument("--as", dest="name", required=True, help="the user's name")
    demo_command = commands.add_parser("demo", help="load the example company and chat")
    demo_command.add_argument("--no-chat", action="store_true", help="only load DATABASE_URL")
    demo_command.add_argument("--as", dest="name", default=DEMO_REP, help="chat as this user")
    invite_command = commands.add_parser("invite", help="print an invite code")
    invite_command.add_argument("--role", choices=[r.value for r in Role], required=True)
    invite_command.add_argument("--team")
    invite_command.add_argument("--uses", type=int, default=1)
    invite_command.add_argument("--days", type=int, default=None)
    admin_command = commands.add_parser("admin", help="manage admins")
    admin_actions = admin_command.add_subparsers(dest="action", required=True)
    admin_actions.add_parser("create", help="make an admin").add_argument("--name", required=True)
    db_command = commands.add_parser("db", help="database schema")
    db_command.add_argument("action", choices=["upgrade", "downgrade"])
    db_command.add_argument("revision", nargs="?", default="-1")
    return root


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `salesbot invite | head -1`: the reader has what it wanted
        sys.stderr.close()
        return 0


def _main(argv: list[str] | None) -> int:
    args = parser().parse_args(argv)
    settings = get_settings()
    if args.command in {"chat", "demo"}:
        _quiet(settings)
    else:
        configure_logging(settings.log_level)
    match args.command:
        case "chat":
            with contextlib.suppress(KeyboardInterrupt):
                uvloop.run(_chat_and_close(App(settings), args.name))
            return 0
        case "demo":
            return uvloop.run(demo(settings, no_chat=args.no_chat, name=args.name))
        case "invite":
            if args.role != Role.ADMIN and not args.team:
                print("Reps and managers belong to a team: --team NAME", file=sys.stderr)
                return 2
            days = args.days or settings.invite_valid_days
            return uvloop.run(invite(settings, args.role, args.team, args.uses, days))
        case "admin":
            return uvloop.run(admin_create(settings, args.name))
        case "db":
            return uvloop.run(database(settings, args.action, args.revision))
        case _:
            return uvloop.run(run(settings))


async def _chat_and_close(app: App, name: str) -> None:
    try:
        await chat(app, name)
    finally:
        await app.close()


if __name__ == "__main__":
    sys.exit(main())
