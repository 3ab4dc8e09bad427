"""The dialog engine's generic moves (re-ask, /back, commands, stale buttons, expiry).

Driven through the real router with the new-customer dialog, on both databases.
"""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.router import Router
from storage.models import Customer, DialogState, User
from tests.support import (
    PLAIN_TEXT,
    Conversation,
    FrozenClock,
    count_rows,
    fetch_one,
    router_marking_plain_text,
    text_of,
)

pytestmark = pytest.mark.usefixtures("people")

NAME = "无锡测试天平有限公司"
GRADE_QUESTION = f"Grade of {NAME}? A: priority, B: general, C: last."
CONTACT_QUESTION = "Who is your contact there? Name and title, e.g. 王建国 采购经理."


async def _at_contact(chat: Conversation) -> None:
    for text in ("/new_customer", NAME, "B"):
        await chat.say(text)


async def test_engine_back_returns_to_previous_step(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    await _at_contact(chat)

    replies = await chat.say("/back")

    assert text_of(replies) == GRADE_QUESTION
    state = await fetch_one(sessions, DialogState)
    assert (state.state, state.history) == ("grade", ["name"])
    # Answering again replaces the earlier answer.
    assert text_of(await chat.say("C")) == CONTACT_QUESTION
    assert (await fetch_one(sessions, DialogState)).data["grade"] == "C"


async def test_engine_back_button_returns_to_previous_step(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    await _at_contact(chat)

    replies = await chat.press("dlg:back")

    assert text_of(replies) == GRADE_QUESTION
    assert (await fetch_one(sessions, DialogState)).state == "grade"


async def test_engine_back_twice_reaches_first_question(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    await _at_contact(chat)
    await chat.say("返回")

    replies = await chat.say("/back")

    assert text_of(replies) == "New customer. What is the company's full name?"
    state = await fetch_one(sessions, DialogState)
    assert (state.state, state.history) == ("name", [])


async def test_engine_back_on_first_question_stays_there(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    await chat.say("/new_customer")

    replies = await chat.say("/back")

    assert [reply.text for reply in replies] == [
        "This is the first question; /cancel to stop.",
        "New customer. What is the company's full name?",
    ]
    assert (await fetch_one(sessions, DialogState)).state == "name"


@pytest.mark.parametrize("command", ["/help", "/whoami", "/new_customer", "/lang en"])
async def test_engine_command_mid_dialog_reasks_question(
    router: Router, sessions: async_sessionmaker[AsyncSession], command: str
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME):
        await chat.say(text)

    replies = await chat.say(command)

    assert [reply.text for reply in replies] == [
        "You are in the middle of adding a customer. Answer the question, /back or /cancel.",
        GRADE_QUESTION,
    ]
    state = await fetch_one(sessions, DialogState)
    assert (state.state, state.data["legal_name"]) == ("grade", NAME)
    assert (await fetch_one(sessions, User, User.name == chat.user)).language is None


async def test_engine_button_of_earlier_question_is_stale(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    await _at_contact(chat)

    replies = await chat.press("dlg:new_customer:grade:A")

    assert [reply.text for reply in replies] == [
        "That button belongs to an earlier question.",
        CONTACT_QUESTION,
    ]
    state = await fetch_one(sessions, DialogState)
    assert (state.state, state.data["grade"]) == ("contact", "B")


async def test_engine_button_of_another_dialog_is_stale(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    await _at_contact(chat)

    replies = await chat.press("dlg:visit:contact:skip")

    assert replies[0].text == "That button belongs to an earlier question."
    assert (await fetch_one(sessions, DialogState)).data["contact_name"] is None


async def test_engine_dialog_idle_too_long_expires(
    app: App, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router_marking_plain_text(app))
    for text in ("/new_customer", NAME):
        await chat.say(text)
    clock.advance(minutes=app.settings.dialog_idle_minutes, seconds=1)

    replies = await chat.say("A")

    # The stale answer is no longer a grade: it goes on as ordinary text (a search).
    assert text_of(replies) == PLAIN_TEXT
    assert await count_rows(sessions, DialogState) == 0
    assert await count_rows(sessions, Customer) == 0


async def test_engine_dialog_idle_within_limit_continues(
    app: App, router: Router, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME):
        await chat.say(text)
    clock.advance(minutes=app.settings.dialog_idle_minutes - 1)
    assert text_of(await chat.say("A")) == CONTACT_QUESTION
    # Each answer restarts the idle time.
    clock.advance(minutes=app.settings.dialog_idle_minutes - 1)

    replies = await chat.say("跳过")

    assert text_of(replies) == "Phone number?"
    assert (await fetch_one(sessions, DialogState)).state == "phone"


async def test_engine_expired_dialog_button_says_expired(
    app: App, router: Router, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME):
        await chat.say(text)
    clock.advance(hours=2)

    replies = await chat.press("dlg:new_customer:grade:A")

    assert text_of(replies) == "That question has expired. Start again when you are ready."
    assert await count_rows(sessions, DialogState) == 0


async def test_engine_expired_dialog_lets_command_through(
    router: Router, clock: FrozenClock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME):
        await chat.say(text)
    clock.advance(days=1)

    replies = await chat.say("/new_customer")

    assert text_of(replies) == "New customer. What is the company's full name?"
    state = await fetch_one(sessions, DialogState)
    assert (state.state, state.data["legal_name"]) == ("name", "")


async def test_engine_dialog_is_per_chat(
    app: App, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """The same user in another chat (a group, another platform) is not mid-dialog there."""
    chat = Conversation(router_marking_plain_text(app))
    for text in ("/new_customer", NAME):
        await chat.say(text)

    replies = await chat.say("A", chat_id="group-1")

    assert text_of(replies) == PLAIN_TEXT
    assert (await fetch_one(sessions, DialogState)).state == "grade"
