"""How fast `salesbot run` answers Telegram, next to a bare python-telegram-bot echo bot.

Both run as their own processes in webhook mode against the fake Bot API hosted here; this
process is the load: 200 simulated users POST updates to the webhook, and a reply counts when
the fake receives its sendMessage. Two measurements per bot:

- throughput: 3 messages from each user as fast as the bot takes them (600 updates; three per
  chat stay within the per-chat burst, so Telegram's 1 message/s per chat does not cap it);
- latency: open loop at 200 updates/s for 10 s, each user once a second, p50/p95/p99.

"CPU ms" is the bot process's CPU time per update over the burst, from /proc: on a shared
machine it moves far less from run to run than the rates do, so it is the figure to compare
versions by. "busy %" is the bot's CPU time over the open loop's wall time, a share of one
core: the tail follows it (one event loop uses one core), and on this kind of machine the
same code's share moves with the machine's speed.

Every message is a search, as reps type them (a trade name, pinyin, initials, a model), over
the demo company's customers and catalogue; the echo bot just echoes the same text. A third
run serves our Telegram channel with a router that answers at once without a database: the
channel's own cost, so what is left of salesbot's is the turn (database and search).

Targets: salesbot ≥ 50 % of the echo bot's updates/s; p99 ≤ 150 ms at 200 updates/s.

The rates move with the machine (by half, within minutes, on a shared one). `--instructions`
counts instead what one update costs, webhook to reply: each bot runs under valgrind's
callgrind and answers 70 searches one at a time, counted after a warm-up; the same to about 1 %
from run to run, so versions of the whole path (channel and turn) can be compared by it.

    .venv/bin/python bench/telegram_throughput.py [--rate 200] [--seconds 10] [--instructions]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import aiohttp
import uvloop
from aiohttp import web

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.services.demo import load_demo  # noqa: E402
from storage.engine import create_engine, create_session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import Role, User  # noqa: E402
from storage.queries.users import bind_identity, get_or_create_team  # noqa: E402
from tests.channels.fake_bot_api import TOKEN, FakeBotApi, message_update  # noqa: E402

USERS = 200
BURST_PER_USER = 3
SECRET = "bench-secret"
FIRST_USER_ID = 100_000


class TimingBotApi(FakeBotApi):
    """The fake Bot API, noting when each chat's reply arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[str, deque[float]] = defaultdict(deque)
        self.latencies: list[float] = []
        self.last_reply = 0.0
        self.replies = 0

    async def _api_sendMessage(self, params: dict[str, Any]) -> Any:
        result = await super()._api_sendMessage(params)
        now = time.perf_counter()
        queue = self.pending[str(params["chat_id"])]
        if queue:
            self.latencies.append(now - queue.popleft())
        self.replies += 1
        self.last_reply = now
        return result


SEARCHES = (
    "heilongjiangkaihui",
    "xingyu",
    "hljkh",
    "黑龙江凯汇",
    "F1 20kg",
    "316 无磁 5公斤",
    "sw-f1-20kg",
)
"""What the simulated reps type, in turn; each answer is one message (a card or a pick list),
so one sendMessage marks one update answered."""


async def seed(database_url: str) -> None:
    """The demo company (customers, catalogue) plus the simulated reps on Telegram."""
    await upgrade(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    async with sessions() as session, session.begin():
        await load_demo(session=session)
        team = await get_or_create_team(session=session, name="华东一组")
        for n in range(USERS):
            user = User(name=f"rep{n}", role=Role.REP, team_id=team.id, language="zh_CN")
            session.add(user)
            await session.flush()
            chat = str(FIRST_USER_ID + n)
            await bind_identity(
                session=session,
                user=user,
                platform="telegram",
                platform_user_id=chat,
                chat_id=chat,
            )
    await engine.dispose()


async def fresh_postgres(server: str) -> str:
    """An empty database on the given server for this run; `drop_postgres` removes it."""
    name = f"salesbot_bench_{os.getpid()}_{int(time.time())}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


async def drop_postgres(server: str, database_url: str) -> None:
    name = make_url(database_url).database
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_healthy(
    http: aiohttp.ClientSession, port: int, process: asyncio.subprocess.Process, limit: float
) -> None:
    deadline = time.perf_counter() + limit
    while time.perf_counter() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"bot exited with {process.returncode}")
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                if response.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError("bot did not come up")


async def post(
    http: aiohttp.ClientSession, api: TimingBotApi, url: str, user_id: int, sent_at: float
) -> None:
    api.pending[str(user_id)].append(sent_at)
    update = message_update(api, user_id, SEARCHES[api.next_update_id() % len(SEARCHES)])
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with http.post(url, json=update, headers=headers) as response:
        response.raise_for_status()


async def wait_replies(api: TimingBotApi, expected: int, limit: float = 60) -> None:
    deadline = time.perf_counter() + limit
    while api.replies < expected:
        if time.perf_counter() > deadline:
            raise RuntimeError(f"only {api.replies} of {expected} replies arrived")
        await asyncio.sleep(0.005)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux); NaN elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def not_collecting() -> Iterator[None]:
    """This process is the load and the fake Bot API: a full collection of its heap (the seeded
    demo company, every request the fake recorded) pauses it for 100-150 ms, which would show
    as the bot's latency. It collects between measurements, never during one."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


async def measure(
    api: TimingBotApi,
    http: aiohttp.ClientSession,
    url: str,
    rate: float,
    seconds: float,
    pid: int,
) -> dict[str, float]:
    users = [FIRST_USER_ID + n for n in range(USERS)]
    # Warm-up: one message per user (first-time caches, connections), not counted.
    await asyncio.gather(*(post(http, api, url, u, time.perf_counter()) for u in users))
    await wait_replies(api, USERS)

    api.replies, api.latencies = 0, []
    start, cpu = time.perf_counter(), cpu_seconds(pid)
    burst = [u for _ in range(BURST_PER_USER) for u in users]
    await asyncio.gather(*(post(http, api, url, u, time.perf_counter()) for u in burst))
    await wait_replies(api, len(burst))
    throughput = len(burst) / (api.last_reply - start)
    cpu_per_update = (cpu_seconds(pid) - cpu) / len(burst)
    await asyncio.sleep(1.5)  # let the per-chat buckets refill before the open loop

    api.replies, api.latencies = 0, []
    total = int(rate * seconds)
    start, cpu = time.perf_counter(), cpu_seconds(pid)
    tasks = []
    for n in range(total):
        scheduled = start + n / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(post(http, api, url, users[n % USERS], scheduled)))
    await asyncio.gather(*tasks)
    await wait_replies(api, total)
    busy = (cpu_seconds(pid) - cpu) / (time.perf_counter() - start)
    latencies = sorted(api.latencies)
    cuts = statistics.quantiles(latencies, n=100)
    return {
        "throughput": throughput,
        "cpu": cpu_per_update * 1000,
        "busy": busy * 100,
        "p50": cuts[49] * 1000,
        "p95": cuts[94] * 1000,
        "p99": cuts[98] * 1000,
    }


COUNTED = 70
"""Updates counted under callgrind (ten of each search); it runs the bot about 50 times slower."""
COUNT_WARM_UP = 30


async def count_instructions(
    api: TimingBotApi, http: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process
) -> float:
    """Millions of instructions an update costs a bot running under callgrind, one at a time."""

    async def one(n: int) -> None:
        answered = api.replies
        await post(http, api, url, FIRST_USER_ID + n % USERS, time.perf_counter())
        await wait_replies(api, answered + 1, limit=120)

    for n in range(COUNT_WARM_UP):
        await one(n)
    callgrind("--instr=on", process.pid)
    for n in range(COUNTED):
        await one(n)
    callgrind("--instr=off", process.pid)
    process.terminate()
    _, stderr = await process.communicate()
    return collected(stderr.decode()) / COUNTED / 1e6


def callgrind(switch: str, pid: int) -> None:
    """Switch counting on or off in a process running under callgrind."""
    subprocess.run(["callgrind_control", switch, str(pid)], check=True, capture_output=True)


def collected(stderr: str) -> int:
    """The instructions callgrind counted, from what it printed as the process ended."""
    found = re.search(r"Collected : (\d+)", stderr)
    if found is None:
        raise RuntimeError(f"no count from callgrind:\n{stderr[-2000:]}")
    return int(found[1])


async def settled(api: TimingBotApi) -> None:
    """Start-up requests (a command menu per chat, paced) are over: none for a second."""
    seen = -1
    while len(api.calls) != seen:
        seen = len(api.calls)
        await asyncio.sleep(1)


async def bench(rate: float, seconds: float, postgres: str | None, instructions: bool) -> None:
    api = TimingBotApi()
    await api.start()
    results: dict[str, dict[str, float]] = {}
    counts: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as directory:
        database_url = (
            await fresh_postgres(postgres)
            if postgres
            else f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        )
        await seed(database_url)
        for name in ("salesbot", "echo") if instructions else ("salesbot", "echo", "channel"):
            port = free_port()
            url = f"http://127.0.0.1:{port}/telegram"
            env = {
                **os.environ,
                "DATABASE_URL": database_url,
                "TELEGRAM_BOT_TOKEN": TOKEN,
                "TELEGRAM_API_BASE_URL": api.base_url,
                "TELEGRAM_API_BASE_FILE_URL": api.base_file_url,
                "TELEGRAM_WEBHOOK_URL": url,
                "TELEGRAM_WEBHOOK_SECRET": SECRET,
                "WEB_PORT": str(port),
                "LOG_LEVEL": "WARNING",
            }
            command_of = {
                "salesbot": ["-m", "bot.cli", "run"],
                "echo": [__file__, "--echo"],
                "channel": [__file__, "--channel-only"],
            }
            env["PYTHONPATH"] = str(PROJECT_ROOT)
            stderr = None
            if instructions:
                env["PYTHONHASHSEED"] = "0"
                # callgrind.out lands in the bot's working directory, the run's temporary one
                command = ["valgrind", "--tool=callgrind", "--instr-atstart=no"]
                command += ["--callgrind-out-file=callgrind.out"]
                command += [sys.executable, *command_of[name]]
                stderr = asyncio.subprocess.PIPE
            else:
                command = [sys.executable, *command_of[name]]
            webhooks = len(api.calls_of("setWebhook"))
            process = await asyncio.create_subprocess_exec(
                *command, env=env, cwd=directory, stderr=stderr
            )
            try:
                connector = aiohttp.TCPConnector(limit=256)
                async with aiohttp.ClientSession(connector=connector) as http:
                    limit = 180 if instructions else 10
                    await wait_healthy(http, port, process, limit)
                    if name != "echo":  # our channel takes updates once it set its webhook
                        await api.wait_for("setWebhook", webhooks + 1, within=limit)
                    api.pending.clear()
                    api.replies = 0
                    if instructions:
                        await settled(api)
                        counts[name] = await count_instructions(api, http, url, process)
                        continue
                    with not_collecting():
                        results[name] = await measure(api, http, url, rate, seconds, process.pid)
            finally:
                if process.returncode is None:
                    process.terminate()
                    await process.communicate()
        if postgres:
            await drop_postgres(postgres, database_url)
    await api.stop()

    if instructions:
        print(f"\nM instructions an update, webhook to reply, {COUNTED} searches one at a time")
        for name, count in counts.items():
            print(f"{name:10}{count:8.3f}")
        ratio = counts["salesbot"] / counts["echo"]
        print(f"salesbot/echo: {ratio:.2f}")
        return
    print(f"\n{USERS} users; open loop at {rate:.0f} updates/s for {seconds:.0f} s")
    print(
        f"{'':10}{'updates/s':>11}{'CPU ms':>8}{'busy %':>8}"
        f"{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    )
    for name, figures in results.items():
        print(
            f"{name:10}{figures['throughput']:11.0f}{figures['cpu']:8.2f}{figures['busy']:8.0f}"
            f"{figures['p50']:9.1f}{figures['p95']:9.1f}{figures['p99']:9.1f}"
        )
    ratio = results["salesbot"]["throughput"] / results["echo"]["throughput"]
    p99 = results["salesbot"]["p99"]
    print(f"salesbot/echo throughput: {ratio:.0%} (target ≥ 50%)")
    print(f"salesbot p99: {p99:.1f} ms (target ≤ 150 ms)")


def echo_bot() -> None:
    """A bare PTB echo bot with the same webhook shape as ours: the baseline, as PTB's
    examples run it (asyncio's own loop, PTB's httpx transport)."""
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    async def main() -> None:
        application = (
            Application.builder()
            .token(os.environ["TELEGRAM_BOT_TOKEN"])
            .base_url(os.environ["TELEGRAM_API_BASE_URL"])
            .updater(None)
            .concurrent_updates(256)
            .build()
        )
        application.add_handler(MessageHandler(filters.TEXT, echo))

        async def webhook(request: web.Request) -> web.Response:
            update = Update.de_json(await request.json(), application.bot)
            await application.update_queue.put(update)
            return web.Response()

        async def healthz(request: web.Request) -> web.Response:
            return web.Response(text="ok")

        server = web.Application()
        server.router.add_post("/telegram", webhook)
        server.router.add_get("/healthz", healthz)
        runner = web.AppRunner(server, access_log=None)
        await runner.setup()
        async with application:
            await application.start()
            await web.TCPSite(
                runner, "127.0.0.1", int(os.environ["WEB_PORT"]), backlog=1024
            ).start()
            await asyncio.Event().wait()

    asyncio.run(main())


def channel_only() -> None:
    """Our Telegram channel as `salesbot run` starts it, with a router that answers at once."""
    from bot.channels.telegram import TelegramChannel
    from bot.config import Settings
    from bot.messages import Incoming, Reply
    from bot.web import WebServer

    class AnsweringRouter:
        """What the channel asks of the router, answered without a database."""

        async def handle(self, incoming: Incoming) -> list[Reply]:
            return [Reply(f"与“{incoming.text}”匹配的客户：\n1. 兰州兴宇食品有限公司")]

        async def inline_query(self, *args: Any, **kwargs: Any) -> list[Any]:
            return []

        def command_menu(self, *args: Any, **kwargs: Any) -> list[tuple[str, str]]:
            return [("help", "help")]

        async def known_chats(self, channel: str) -> list[Any]:
            return []

        async def chat_unreachable(self, channel: str, chat_id: str) -> None:
            return None

    async def main() -> None:
        settings = Settings()
        channel = TelegramChannel(AnsweringRouter(), settings)  # type: ignore[arg-type]
        server = WebServer(settings.web_host, settings.web_port)
        channel.mount(server)
        await server.start()
        await channel.start()
        await asyncio.Event().wait()

    uvloop.run(main())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--postgres", help="a PostgreSQL server URL to run salesbot on instead of SQLite"
    )
    parser.add_argument(
        "--instructions", action="store_true", help="count each update's instructions instead"
    )
    parser.add_argument("--echo", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--channel-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.echo:
        echo_bot()
    elif arguments.channel_only:
        channel_only()
    else:
        asyncio.run(
            bench(arguments.rate, arguments.seconds, arguments.postgres, arguments.instructions)
        )
