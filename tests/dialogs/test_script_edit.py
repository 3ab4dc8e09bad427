"""Managers edit objection scripts step by step; every save is a version."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.config import Settings
from bot.router import Router
from bot.services.objections import seed_objection_library
from storage.models import ObjectionScript, ScriptVersion, User
from tests.support import MANAGER, REP, Conversation, FrozenClock, count_rows, fetch_one, text_of

PRICE = "price.default"
NEW_ANSWER = "价格重要，我们按总成本帮{customer}算一笔账，再请主管审批。"


async def seed(sessions: async_sessionmaker[AsyncSession]) -> ObjectionScript:
    async with sessions() as session, session.begin():
        await seed_objection_library(session=session)
    return await fetch_one(sessions, ObjectionScript, ObjectionScript.code == PRICE)


async def test_script_edit_new_answer_saved_as_version_two(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    script = await seed(sessions)
    manager = Conversation(router, MANAGER, "zh-hans")
    old_answer = script.answers["zh_CN"]

    await manager.say("/script_edit")
    await manager.press("dlg:script_edit:type:price")
    await manager.press(f"dlg:script_edit:script:{script.id}")
    await manager.press("dlg:script_edit:level:any")
    await manager.press("dlg:script_edit:industry:any")
    await manager.say(NEW_ANSWER)
    done = await manager.press("dlg:script_edit:confirm:save")

    saved = await fetch_one(sessions, ObjectionScript, ObjectionScript.id == script.id)
    versions = await count_rows(sessions, ScriptVersion, ScriptVersion.script_id == script.id)
    first = await fetch_one(
        sessions,
        ScriptVersion,
        ScriptVersion.script_id == script.id,
        ScriptVersion.version == 1,
    )
    assert saved.version == 2 and versions == 2
    assert saved.answers["zh_CN"] == NEW_ANSWER
    assert saved.answers["en"] == script.answers["en"]
    assert first.answers["zh_CN"] == old_answer
    assert "2" in text_of(done)


async def test_script_edit_new_variant_for_level_and_industry(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)
    manager = Conversation(router, MANAGER, "zh-hans")
    before = await count_rows(sessions, ObjectionScript)

    await manager.say("/script_edit")
    await manager.press("dlg:script_edit:type:no_budget")
    await manager.press("dlg:script_edit:script:new")
    await manager.press("dlg:script_edit:level:operations")
    await manager.say("电梯")
    await manager.say("明白，预算的事我来和您领导沟通，您先帮我确认一下设备型号好吗？")
    await manager.press("dlg:script_edit:confirm:save")

    assert await count_rows(sessions, ObjectionScript) == before + 1
    row = await fetch_one(
        sessions,
        ObjectionScript,
        ObjectionScript.level == "operations",
        ObjectionScript.industry == "电梯",
    )
    assert row.version == 1 and row.author_id == people[MANAGER].id


async def test_script_edit_rep_is_refused(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)

    replies = await Conversation(router, REP, "en").say("/script_edit")

    assert "not available" in text_of(replies)


async def test_script_edit_restart_continues_where_manager_was(
    app: App,
    settings: Settings,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    people: dict[str, User],
) -> None:
    script = await seed(sessions)
    await Conversation(app.router, MANAGER, "zh-hans").say("/script_edit")
    await Conversation(app.router, MANAGER, "zh-hans").press("dlg:script_edit:type:price")

    restarted = App(settings, clock=clock)
    try:
        manager = Conversation(restarted.router, MANAGER, "zh-hans")
        await manager.press(f"dlg:script_edit:script:{script.id}")
        await manager.press("dlg:script_edit:level:decision")
        await manager.press("dlg:script_edit:industry:any")
        await manager.press("dlg:script_edit:answer:keep")
        await manager.press("dlg:script_edit:confirm:deactivate")
    finally:
        await restarted.close()

    saved = await fetch_one(sessions, ObjectionScript, ObjectionScript.id == script.id)
    assert (saved.version, saved.active, saved.level) == (2, False, "decision")
