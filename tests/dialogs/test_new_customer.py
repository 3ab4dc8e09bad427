"""Adding a customer step by step, through the real router, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.config import Settings
from bot.router import Router
from storage.models import AuditLog, Contact, Customer, DialogState, User
from tests.support import (
    REP,
    Conversation,
    FrozenClock,
    add_people,
    button_data,
    count_rows,
    fetch_one,
    text_of,
)

NAME = "宁波测试衡器有限公司"
EXISTING = "上海英浩电子有限公司"
"""A demo customer; a new name with the same core ("上海英浩电子") must be flagged."""


async def test_new_customer_full_dialog_saves_customer_contact_and_audit(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    chat = Conversation(router)

    assert text_of(await chat.say("/new_customer")) == (
        "New customer. What is the company's full name?"
    )
    grade = await chat.say(f"  {NAME} ")
    assert text_of(grade) == f"Grade of {NAME}? A: priority, B: general, C: last."
    assert "dlg:new_customer:grade:A" in button_data(grade)
    contact = await chat.press("dlg:new_customer:grade:A")
    assert contact[0].edit  # a pressed answer replaces the question it answered
    assert text_of(contact).startswith("Who is your contact there?")
    assert text_of(await chat.say("王建国 采购经理")) == "Phone number?"
    assert text_of(await chat.say("0574-8888 1234")) == "Region? e.g. 江苏省苏州市"
    confirm = await chat.say("浙江省宁波市")
    assert text_of(confirm).splitlines() == [
        "Please check:",
        f"Name: {NAME}",
        "Grade: A",
        "Contact: 王建国 采购经理",
        "Phone: 0574-8888 1234",
        "Region: 浙江省宁波市",
    ]

    saved = await chat.press("dlg:new_customer:confirm:save")

    assert saved[0].text == f"Saved {NAME}."
    assert f"🏢 {NAME}" in saved[1].text
    assert "Owner: 王磊" in saved[1].text
    customer = await fetch_one(sessions, Customer, Customer.legal_name == NAME)
    assert (customer.grade, customer.phone, customer.region, customer.source) == (
        "A",
        "0574-8888 1234",
        "浙江省宁波市",
        "chat",
    )
    assert customer.owner_id == people[REP].id
    contact_row = await fetch_one(sessions, Contact, Contact.customer_id == customer.id)
    assert (contact_row.name, contact_row.title) == ("王建国", "采购经理")
    audit = await fetch_one(sessions, AuditLog, AuditLog.entity == "customer")
    assert audit.entity_id == customer.id and audit.user_id == people[REP].id
    assert await count_rows(sessions, DialogState) == 0


async def test_new_customer_all_skipped_saves_customer_without_contact(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME, "c"):
        await chat.say(text)
    await chat.press("dlg:new_customer:contact:skip")
    await chat.say("跳过")
    confirm = await chat.say("-")
    assert "Contact: —" in text_of(confirm) and "Region: —" in text_of(confirm)

    saved = await chat.say("save")

    assert saved[0].text == f"Saved {NAME}."
    customer = await fetch_one(sessions, Customer)
    assert (customer.grade, customer.phone, customer.region) == ("C", None, None)
    assert await count_rows(sessions, Contact) == 0


async def test_new_customer_restart_mid_dialog_continues_on_new_app(
    settings: Settings, clock: FrozenClock
) -> None:
    """The process dies after the grade; a new App on the same database picks up there."""
    before = App(settings, clock=clock)
    try:
        await add_people(before.sessions)
        chat = Conversation(before.router)
        for text in ("/new_customer", NAME, "A"):
            await chat.say(text)
    finally:
        await before.close()

    after = App(settings, clock=clock)
    try:
        assert after.router is not before.router
        assert after.router.dialogs is not before.router.dialogs
        chat = Conversation(after.router)
        assert text_of(await chat.say("王建国 采购经理")) == "Phone number?"
        await chat.say("13812345678")
        confirm = await chat.say("浙江省宁波市")
        assert f"Name: {NAME}" in text_of(confirm) and "Grade: A" in text_of(confirm)
        saved = await chat.press("dlg:new_customer:confirm:save")

        assert saved[0].text == f"Saved {NAME}."
        async with after.sessions() as session:
            customer = await session.scalar(select(Customer).where(Customer.legal_name == NAME))
            assert customer is not None
            assert (customer.grade, customer.phone) == ("A", "13812345678")
            assert [c.name for c in customer.contacts] == ["王建国"]
        assert await count_rows(after.sessions, DialogState) == 0
    finally:
        await after.close()


async def test_new_customer_restart_state_is_in_the_database(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME, "B"):
        await chat.say(text)

    state = await fetch_one(sessions, DialogState)

    assert (state.dialog, state.state, state.history) == (
        "new_customer",
        "contact",
        ["name", "grade"],
    )
    assert state.data["legal_name"] == NAME and state.data["grade"] == "B"


@pytest.mark.parametrize("bad", ["E", "AA", "优先", "1"])
async def test_new_customer_bad_grade_is_reasked(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User], bad: str
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME):
        await chat.say(text)

    replies = await chat.say(bad)

    assert [reply.text for reply in replies] == [
        "The grade is A, B or C.",
        f"Grade of {NAME}? A: priority, B: general, C: last.",
    ]
    state = await fetch_one(sessions, DialogState)
    assert state.state == "grade" and state.data["grade"] == ""
    assert text_of(await chat.say("b级")).startswith("Who is your contact there?")


@pytest.mark.parametrize(("name", "reason"), [("X", "A name has 2 to 100 characters.")])
async def test_new_customer_bad_name_is_reasked(
    router: Router,
    sessions: async_sessionmaker[AsyncSession],
    people: dict[str, User],
    name: str,
    reason: str,
) -> None:
    chat = Conversation(router)
    await chat.say("/new_customer")

    replies = await chat.say(name)

    assert replies[0].text == reason
    assert (await fetch_one(sessions, DialogState)).state == "name"


async def test_new_customer_bad_phone_is_reasked(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", NAME, "A", "跳过"):
        await chat.say(text)

    replies = await chat.say("call me maybe")

    assert replies[0].text == "That does not look like a phone number (7 to 15 digits)."
    assert (await fetch_one(sessions, DialogState)).state == "phone"


async def test_new_customer_similar_name_warns_and_no_saves_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession], demo: object
) -> None:
    chat = Conversation(router)
    customers_before = await count_rows(sessions, Customer)
    await chat.say("/new_customer")

    warning = await chat.say("上海英浩电子股份有限公司")

    assert text_of(warning).startswith("These customers look similar:")
    assert f"• {EXISTING}" in text_of(warning)
    assert "Is 上海英浩电子股份有限公司 a different company?" in text_of(warning)
    assert button_data(warning)[:2] == [
        "dlg:new_customer:similar:yes",
        "dlg:new_customer:similar:no",
    ]
    stopped = await chat.press("dlg:new_customer:similar:no")
    assert text_of(stopped) == "Stopped adding a customer. Nothing was saved."
    assert await count_rows(sessions, Customer) == customers_before
    assert await count_rows(sessions, DialogState) == 0


async def test_new_customer_similar_name_confirmed_goes_on_to_grade(
    router: Router, sessions: async_sessionmaker[AsyncSession], demo: object
) -> None:
    chat = Conversation(router)
    for text in ("/new_customer", "上海英浩电子股份有限公司"):
        await chat.say(text)

    replies = await chat.say("yes")

    assert text_of(replies).startswith("Grade of 上海英浩电子股份有限公司?")
    assert (await fetch_one(sessions, DialogState)).state == "grade"


async def test_new_customer_existing_name_is_refused(
    router: Router, sessions: async_sessionmaker[AsyncSession], demo: object
) -> None:
    chat = Conversation(router)
    customers_before = await count_rows(sessions, Customer)
    await chat.say("/new_customer")

    replies = await chat.say(EXISTING)

    assert replies[0].text == f"{EXISTING} is already a customer. Type another name, or /cancel."
    assert (await fetch_one(sessions, DialogState)).state == "name"
    assert await count_rows(sessions, Customer) == customers_before


async def test_new_customer_name_taken_meanwhile_saves_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    """A teammate adds the same company while the rep is still answering."""
    rep, teammate = Conversation(router), Conversation(router, user="李娜")
    for text in ("/new_customer", NAME, "A", "跳过", "跳过", "跳过"):
        await rep.say(text)
    for text in ("/new_customer", NAME, "B", "跳过", "跳过", "跳过", "save"):
        await teammate.say(text)

    replies = await rep.say("save")

    assert replies[0].text == f"{NAME} is already a customer. Type another name, or /cancel."
    assert await count_rows(sessions, Customer) == 1
    assert (await fetch_one(sessions, Customer)).grade == "B"
    assert await count_rows(sessions, DialogState) == 0
