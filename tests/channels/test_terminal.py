"""The terminal channel: numbered choices, typed labels, replies printed as plain text."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.channels.terminal import TerminalChannel
from bot.messages import Media, Reply, buttons
from bot.router import Router
from storage.models import Customer, DialogState, User
from tests.support import REP, count_rows, fetch_one

pytestmark = pytest.mark.usefixtures("people")

NAME = "常州测试砝码有限公司"


@pytest.fixture
def db_url(sqlite_url: str) -> str:
    """The terminal is about rendering; SQLite is enough here."""
    return sqlite_url


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def terminal(router: Router, out: io.StringIO) -> TerminalChannel:
    return TerminalChannel(router, REP, out=out)


def _render_only() -> TerminalChannel:
    return TerminalChannel(router=None, user=REP, out=io.StringIO())  # type: ignore[arg-type]


def test_terminal_buttons_render_as_numbered_choices() -> None:
    channel = _render_only()

    text = channel.render(
        [
            Reply("Grade?", buttons=buttons([("A", "g:A"), ("B", "g:B")], [("« Back", "back")])),
            Reply(document=Media(file_name="report.xlsx", content=b"x")),
        ]
    )

    assert text == "Grade?\n  [1] A   [2] B\n  [3] « Back\n\n📎 report.xlsx"


def test_terminal_typed_number_presses_that_button() -> None:
    channel = _render_only()
    channel.render([Reply("Grade?", buttons=buttons([("A", "g:A"), ("B", "g:B")]))])

    incoming = channel.to_incoming("2\n")

    assert (incoming.button_data, incoming.text) == ("g:B", "")
    assert (incoming.channel, incoming.user_id, incoming.chat_id) == ("terminal", REP, REP)


def test_terminal_typed_label_presses_that_button_ignoring_case() -> None:
    channel = _render_only()
    channel.render([Reply("Save?", buttons=buttons([("Save", "c:save"), ("Cancel", "c:no")]))])

    assert channel.to_incoming(" cancel ").button_data == "c:no"


@pytest.mark.parametrize("line", ["3", "0", "Maybe", "/help"])
def test_terminal_other_text_is_typed_text(line: str) -> None:
    channel = _render_only()
    channel.render([Reply("Grade?", buttons=buttons([("A", "g:A"), ("B", "g:B")]))])

    incoming = channel.to_incoming(line)

    assert (incoming.button_data, incoming.text) == (None, line)


def test_terminal_each_line_is_a_new_update() -> None:
    channel = _render_only()

    assert channel.to_incoming("hi").update_id != channel.to_incoming("hi").update_id


def test_terminal_latest_buttons_replace_earlier_choices() -> None:
    channel = _render_only()
    channel.render([Reply("Q1", buttons=buttons([("A", "q1:A"), ("B", "q1:B")]))])
    channel.render([Reply("Q2", buttons=buttons([("Yes", "q2:yes")]))])

    assert channel.to_incoming("1").button_data == "q2:yes"
    assert channel.to_incoming("2").button_data is None


async def test_terminal_dialog_by_numbers_saves_customer(
    terminal: TerminalChannel, out: io.StringIO, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """Through the real router: "1" picks grade A, "Skip" and "1" press skip and save."""
    for line in ("/lang en", "/new_customer", NAME):
        await terminal.handle_line(line)
    assert "[1] A   [2] B   [3] C" in out.getvalue()
    await terminal.handle_line("1")  # grade A
    await terminal.handle_line("Skip")  # contact
    await terminal.handle_line("1")  # phone: [1] Skip
    await terminal.handle_line("1")  # region: [1] Skip
    assert "[1] Save   [2] Cancel" in out.getvalue()

    replies = await terminal.handle_line("1")

    assert replies[0].text == f"Saved {NAME}."
    assert f"Saved {NAME}." in out.getvalue()
    customer = await fetch_one(sessions, Customer)
    assert (customer.legal_name, customer.grade, customer.phone) == (NAME, "A", None)
    rep = await fetch_one(sessions, User, User.name == REP)
    assert customer.owner_id == rep.id
    assert await count_rows(sessions, DialogState) == 0


async def test_terminal_run_reads_lines_until_the_end(
    terminal: TerminalChannel, out: io.StringIO
) -> None:
    async def lines() -> AsyncIterator[str]:
        for line in ("/lang en\n", "\n", "/cancel\n"):
            yield line

    await terminal.run(lines())

    assert out.getvalue() == "I will speak English from now on.\n\nNothing to cancel.\n\n"
