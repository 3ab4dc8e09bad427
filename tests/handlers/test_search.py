"""Search from the chat: plain text, /c and /p, pick lists, cards, and who sees what."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.config import Settings
from bot.router import Router
from bot.services.demo import DemoSummary
from storage.models import Customer, DialogState, Product
from tests.support import (
    OTHER_TEAM_REP,
    REP,
    Conversation,
    count_rows,
    fetch_one,
    text_of,
)

pytestmark = pytest.mark.usefixtures("demo")


async def test_search_plain_text_pinyin_opens_card_of_own_customer(router: Router) -> None:
    replies = await Conversation(router).say("heilongjiangkaihui")

    assert replies[0].text.startswith("🏢 黑龙江凯汇特钢有限公司")
    assert "Owner: 李娜" in replies[0].text


async def test_search_shared_trade_name_offers_the_other_one(router: Router) -> None:
    replies = await Conversation(router).say("兴宇")

    assert replies[0].text.startswith("🏢 兴宇食品（兰州）有限公司")
    assert replies[1].text == "Other matches:"
    label = replies[1].buttons[0][0].label
    assert label == "保定兴宇精细化工有限公司 · 河北省保定市 · other team"


async def test_search_close_answers_are_a_pick_list_not_a_guess(router: Router) -> None:
    replies = await Conversation(router).say("xingyu")

    assert replies[0].text == "Customers matching “xingyu”:"
    labels = [button.label for row in replies[0].buttons for button in row]
    assert labels == [
        "兴宇食品（兰州）有限公司 · 甘肃省兰州市 · C · 王磊",
        "保定兴宇精细化工有限公司 · 河北省保定市 · other team",
    ]


async def test_search_other_teams_customer_opens_name_only(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    other = await fetch_one(sessions, Customer, Customer.legal_name == "保定兴宇精细化工有限公司")

    replies = await Conversation(router).press(f"cust:{other.id}")

    assert replies[0].text.splitlines() == [
        "🏢 保定兴宇精细化工有限公司",
        "This customer belongs to another team; ask your manager for details.",
    ]


async def test_search_hidden_setting_leaves_other_teams_out(
    settings: Settings, clock, demo: DemoSummary
) -> None:
    hidden = App(settings.model_copy(update={"others_customers": "hidden"}), clock=clock)
    try:
        replies = await Conversation(hidden.router).say("xingyu")
    finally:
        await hidden.close()

    assert replies[0].text.startswith("🏢 兴宇食品（兰州）有限公司")
    assert "保定" not in text_of(replies)


async def test_search_manager_sees_every_team_in_full(router: Router) -> None:
    replies = await Conversation(router, user="张伟").say("保定兴宇")

    assert "Owner: 赵强" in replies[0].text


async def test_search_product_model_lists_candidates_with_prices(router: Router) -> None:
    replies = await Conversation(router).say("F1 20kg")

    assert replies[0].text.splitlines()[:2] == [
        "Products matching “F1 20kg”:",
        "1. 304不锈钢圆柱形砝码 F1级 20kg",
    ]
    assert replies[0].buttons[0][0].label == "SW-F1-20KG-C · ¥1,182.00 / 个"


async def test_search_product_button_opens_spec_card_with_family(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    product = await fetch_one(sessions, Product, Product.sku == "SW-F1-20KG-C")

    card = (await Conversation(router).press(f"prod:{product.id}"))[0]

    lines = card.text.splitlines()
    assert lines[:2] == ["⚖️ 304不锈钢圆柱形砝码 F1级 20kg", "SKU SW-F1-20KG-C · ¥1,182.00 / 个"]
    assert "  等级　　　　 F1" in lines
    assert "  • SW-F1-20KG-C-CNAS · ¥1,302.00 / 个" in lines
    labels = [button.label for row in card.buttons for button in row]
    assert labels == [
        "SW-F1-20KG-C-CNAS",
        "SW-F1-20KG-C-JJG",
        "SW-F1-5KG-C",
        "SW-F1-10KG-C",
    ]


async def test_search_c_command_looks_only_at_customers(router: Router) -> None:
    replies = await Conversation(router).say("/c hljkh")

    assert replies[0].text.startswith("🏢 黑龙江凯汇特钢有限公司")
    assert all("⚖️" not in reply.text for reply in replies)


async def test_search_p_command_finds_sku_typed_loosely(router: Router) -> None:
    replies = await Conversation(router).say("/p swf120kgc")

    assert replies[0].text.splitlines()[1] == "SKU SW-F1-20KG-C · ¥1,182.00 / 个"
    assert all("🏢" not in reply.text for reply in replies)


async def test_search_nothing_found_says_how_to_search(router: Router) -> None:
    replies = await Conversation(router).say("完全不存在的名字")

    assert text_of(replies) == (
        "Nothing found for “完全不存在的名字”. Try pinyin, initials or part of the name."
    )


@pytest.mark.parametrize("query", ["", "   ", "！？。", "🙂🙂", "x" * 500])
async def test_search_odd_queries_answer_without_error(router: Router, query: str) -> None:
    replies = await Conversation(router).say(f"/c {query}")

    assert replies
    assert "went wrong" not in text_of(replies)


async def test_search_new_customer_warns_of_same_trade_name(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    chat = Conversation(router)
    await chat.say("/new_customer")

    replies = await chat.say("兰州兴宇食品有限公司")

    assert "• 兴宇食品（兰州）有限公司" in replies[0].text
    state = await fetch_one(sessions, DialogState)
    assert state.state == "similar"


async def test_search_sees_customer_added_by_another_worker(
    app: App, settings: Settings, clock, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await Conversation(app.router).say("兴宇")  # this worker's index is built
    other_worker = App(settings, clock=clock)
    try:
        chat = Conversation(other_worker.router, user=OTHER_TEAM_REP)
        for text in ("/new_customer", "青岛澜沧精密仪器有限公司", "B", "skip", "skip", "skip"):
            await chat.say(text)
        await chat.say("save")
    finally:
        await other_worker.close()
    assert await count_rows(sessions, Customer, Customer.legal_name.like("青岛澜沧%")) == 1

    async with app.sessions() as session, session.begin():
        await app.search.refresh(session=session, force=True)
    replies = await Conversation(app.router, user="张伟").say("lancang")

    assert replies[0].text.startswith("🏢 青岛澜沧精密仪器有限公司")


async def test_search_keys_follow_a_rename(
    app: App, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, session.begin():
        customer = await session.scalar(
            select(Customer).where(Customer.legal_name == "兴宇食品（兰州）有限公司")
        )
        assert customer is not None
        customer.legal_name = "瑞丰食品（兰州）有限公司"

    async with sessions() as session, session.begin():
        await app.search.refresh(session=session, force=True)
    replies = await Conversation(app.router, user=REP).say("ruifeng")

    assert replies[0].text.startswith("🏢 瑞丰食品（兰州）有限公司")
