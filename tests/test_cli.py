"""The `salesbot` command, run as a user runs it: a subprocess with DATABASE_URL set; in
process only to see which event loop it runs on."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import uvloop

from bot import cli
from bot.config import Settings
from tests.support import ADMIN, REP, TEAM, translate

DEMO_FILES = ("demo.db", "demo.db-wal", "demo.db-shm")


def salesbot(
    database: Path, *args: str, stdin: str = "", cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `salesbot ARGS` on the SQLite file `database`, with `stdin` piped in."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TELEGRAM_", "WECOM_", "DATABASE_", "DEFAULT_LANGUAGE"))
    }
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{database}"
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or database.parent,  # away from the project's own .env
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`salesbot demo --no-chat`, once per module; each test gets a copy."""
    database = tmp_path_factory.mktemp("demo") / "demo.db"
    loaded = salesbot(database, "demo", "--no-chat")
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == "Demo loaded: 5 people, 300 customers, 2913 products."
    return database


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path) -> Path:
    for name in DEMO_FILES:
        source = demo_template.parent / name
        if source.exists():
            shutil.copy(source, tmp_path / name)
    return tmp_path / "demo.db"


def _query(database: Path, sql: str, *params: object) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(sql, params).fetchall()


def test_cli_demo_no_chat_loads_the_company(demo_db: Path) -> None:
    assert _query(demo_db, "SELECT count(*) FROM customers") == [(300,)]
    assert _query(demo_db, "SELECT count(*) FROM products") == [(2913,)]
    assert _query(demo_db, "SELECT name, role FROM users ORDER BY id")[0] == (ADMIN, "admin")


def test_cli_demo_into_database_with_customers_refuses(demo_db: Path) -> None:
    again = salesbot(demo_db, "demo", "--no-chat")

    assert again.returncode == 1
    assert "already has customers" in again.stdout
    assert _query(demo_db, "SELECT count(*) FROM customers") == [(300,)]


def test_cli_chat_piped_help_prints_help(demo_db: Path) -> None:
    chat = salesbot(demo_db, "chat", "--as", REP, stdin="/help\n")

    assert chat.returncode == 0, chat.stderr
    assert chat.stdout.startswith(translate("Here is what I can do for you:", "zh_CN"))
    assert "/new_customer — " + translate("add a customer step by step", "zh_CN") in chat.stdout
    assert "/invite" not in chat.stdout  # a rep's help
    assert "Traceback" not in chat.stderr


def test_cli_chat_piped_dialog_saves_customer(demo_db: Path) -> None:
    lines = ["/lang en", "/new_customer", "瑶琨莹珂有限公司", "2", "Skip", "1", "1", "Save"]

    chat = salesbot(demo_db, "chat", "--as", REP, stdin="\n".join(lines) + "\n")

    assert chat.returncode == 0, chat.stderr
    assert "Saved 瑶琨莹珂有限公司." in chat.stdout
    assert _query(
        demo_db,
        "SELECT c.grade, u.name FROM customers c JOIN users u ON u.id = c.owner_id "
        "WHERE c.legal_name = ?",
        "瑶琨莹珂有限公司",
    ) == [("B", REP)]


def test_cli_invite_prints_code_that_start_accepts(demo_db: Path) -> None:
    invite = salesbot(demo_db, "invite", "--role", "rep", "--team", TEAM)
    assert invite.returncode == 0, invite.stderr
    code = invite.stdout.splitlines()[0]
    assert len(code) == 8 and code.isalnum() and code.isupper()
    assert f"/start {code}" in invite.stdout

    joined = salesbot(demo_db, "chat", "--as", "孙悦", stdin=f"/start {code}\n/whoami\n")

    assert joined.returncode == 0, joined.stderr
    welcome = translate(
        "Welcome, {name}! You joined as {role}.",
        "zh_CN",
        name="孙悦",
        role=translate("rep", "zh_CN"),
    )
    assert welcome in joined.stdout
    assert translate("Name: {name}", "zh_CN", name="孙悦") in joined.stdout  # /whoami knows her
    assert _query(
        demo_db,
        "SELECT u.role, t.name, i.platform, i.platform_user_id FROM users u "
        "JOIN teams t ON t.id = u.team_id JOIN channel_identities i ON i.user_id = u.id "
        "WHERE u.name = ?",
        "孙悦",
    ) == [("rep", TEAM, "terminal", "孙悦")]
    assert _query(demo_db, "SELECT uses_left FROM invites WHERE code = ?", code) == [(0,)]

    # The admin hears of it the next time she opens the terminal.
    admin = salesbot(demo_db, "chat", "--as", ADMIN, stdin="")
    assert "孙悦" in admin.stdout
    assert _query(demo_db, "SELECT count(*) FROM pushes WHERE sent_at IS NULL") == [(0,)]


def test_cli_invite_rep_without_team_is_refused(demo_db: Path) -> None:
    invite = salesbot(demo_db, "invite", "--role", "rep")

    assert invite.returncode == 2
    assert "--team" in invite.stderr
    assert _query(demo_db, "SELECT count(*) FROM invites") == [(0,)]


def test_cli_commands_run_on_uvloop(monkeypatch: pytest.MonkeyPatch) -> None:
    loops: list[type[asyncio.AbstractEventLoop]] = []

    async def database(settings: Settings, action: str, revision: str) -> int:
        loops.append(type(asyncio.get_running_loop()))
        return 0

    monkeypatch.setattr(cli, "get_settings", lambda: Settings(_env_file=None))
    monkeypatch.setattr(cli, "configure_logging", lambda level: None)
    monkeypatch.setattr(cli, "database", database)

    assert cli.main(["db", "upgrade"]) == 0
    assert loops == [uvloop.Loop]
