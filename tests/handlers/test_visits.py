"""Visits outside the log dialog: plain-text routing, the customer card, /brief, /todo,
/remind, /plan, /visits, and correcting or deleting a visit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.router import Router
from bot.services.objections import seed_objection_library
from storage.engine import unit_of_work
from storage.models import (
    AuditLog,
    Customer,
    DialogState,
    FollowUp,
    FollowUpStatus,
    ScriptUse,
    Visit,
    VisitPlan,
)
from storage.queries.visits import visit_page_of_customer
from tests.dialogs.conftest import VisitWorld
from tests.support import (
    MANAGER,
    REP,
    Conversation,
    FrozenClock,
    button_data,
    count_rows,
    fetch_one,
    text_of,
)

CONFIRM = "dlg:visit:review:save"


async def _log(chat: Conversation, text: str) -> None:
    await chat.say(text)
    await chat.press(CONFIRM)


async def test_plain_text_visit_log_gives_draft_card_and_saves_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    card = await Conversation(router).say("华为 见了王总 谈F1砝码报价 嫌贵 下周三回访")

    assert "Customer: 北京华为技术有限公司" in text_of(card)
    assert "Objections: price too high" in text_of(card)
    assert CONFIRM in button_data(card)
    assert await count_rows(sessions, Visit) == 0


async def test_plain_text_lookup_goes_past_the_visit_log(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    await Conversation(router).say("华为")

    assert await count_rows(sessions, DialogState) == 0


async def test_plain_text_log_for_other_teams_customer_asks_for_customer(
    router: Router, world: VisitWorld
) -> None:
    replies = await Conversation(router).say("拜访广州南方衡器 见了王总 谈报价")

    assert text_of(replies).startswith("Which customer did you visit?")


async def test_customer_card_after_visit_shows_history_follow_up_and_cadence(
    router: Router, world: VisitWorld
) -> None:
    chat = Conversation(router)
    await _log(chat, "华为 见了王总 订了 SW-F1-20KG-C 20个 共5000元 下周三送货")

    (card,) = await chat.press(f"cust:{world.huawei}")

    assert "03-02 · ordering" in card.text
    assert "→ 下周三送货" in card.text
    assert "0 days since the last visit (at least every 91)." in card.text
    assert "Orders to date: 5,000 · collected: 0" in card.text
    assert {f"visit:log:{world.huawei}", f"fu:add:{world.huawei}"} <= set(button_data([card]))


async def test_customer_card_never_visited_shows_overdue(
    router: Router, world: VisitWorld
) -> None:
    (card,) = await Conversation(router).press(f"cust:{world.huawei}")

    assert "Never visited (visit at least every 91 days)." in card.text


async def test_customer_card_history_pages_through_visits(
    router: Router, clock: FrozenClock, world: VisitWorld
) -> None:
    chat = Conversation(router)
    for day in range(4):
        clock.advance(days=1)
        await _log(chat, f"华为 见了王总 第{day}次 下周三回访")

    await _log(chat, "华为 见了王总 订了 SW-F1-20KG-C 20个 共5000元 下周三送货")

    (first,) = await chat.press(f"cust:{world.huawei}")
    assert "Visits (1/2):" in first.text
    assert "Orders to date: 5,000" in first.text
    (older,) = await chat.press(f"visit:history:{world.huawei}:1")
    assert "Visits (2/2):" in older.text
    assert "Orders to date: 5,000" in older.text  # totals count every visit, not the page's
    assert older.edit


async def test_customer_card_reads_its_visit_lines_without_loading_the_visits(
    router: Router, app: App, world: VisitWorld
) -> None:
    """A visit loads its rep, contacts and orders (two more queries each page): 2.4 ms for a
    page of five, where the card shows four columns of each."""
    chat = Conversation(router)
    await _log(chat, "华为 见了王总 订了 SW-F1-20KG-C 20个 共5000元 下周三送货")
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(app.engine.sync_engine, "before_cursor_execute", note)
    try:
        (card,) = await chat.press(f"cust:{world.huawei}")
    finally:
        event.remove(app.engine.sync_engine, "before_cursor_execute", note)

    assert "Visits (1/1):" in card.text
    assert "见了王总" in card.text
    assert [s for s in statements if "visit_contacts" in s or "visit_orders" in s] == [
        next(s for s in statements if "FROM visits" in s)
    ]


async def test_customer_visit_page_past_the_end_still_has_the_totals(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    await _log(Conversation(router), "华为 见了王总 订了 SW-F1-20KG-C 20个 共5000元 下周三送货")

    async with unit_of_work(sessions) as session:
        huawei = await session.get_one(Customer, world.huawei)
        first = await visit_page_of_customer(session=session, customer=huawei, limit=3)
        beyond = await visit_page_of_customer(session=session, customer=huawei, limit=3, offset=3)

    assert (len(first.visits), first.total, first.ordered) == (1, 1, 5000)
    assert (beyond.visits, beyond.total, beyond.ordered) == ([], 1, 5000)


async def test_brief_after_visits_gives_at_most_ten_lines(
    router: Router, world: VisitWorld
) -> None:
    chat = Conversation(router)
    await _log(chat, "华为 见了王总 订了 SW-F1-20KG-C 20个 下周三送货")
    await _log(chat, "华为 见了李经理 投诉 砝码生锈 嫌贵 明天送新的过去")

    (brief,) = await chat.say("/brief 华为")

    lines = brief.text.splitlines()
    assert len(lines) <= 10
    assert lines[0] == "📋 北京华为技术有限公司"
    assert any("price too high" in line for line in lines)
    assert any(line.startswith("Last order 2026-03-02: SW-F1-20KG-C × 20") for line in lines)
    assert any("王建国" in line and "李明" in line for line in lines)


async def test_remind_then_todo_done_and_snooze(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    answer = await chat.say("/remind 华为 周五 送样品")
    assert text_of(answer) == "I will remind you on 2026-03-06: 北京华为技术有限公司, 送样品."
    await chat.say("/remind 华为 今天 打电话")

    todo = await chat.say("/todo")
    assert [r.text for r in todo if not r.buttons] == ["Today (1)", "This week (1)"]
    follow_up = await fetch_one(sessions, FollowUp, FollowUp.what == "打电话")
    snoozed = await chat.press(f"fu:snooze:{follow_up.id}")
    assert snoozed[0].edit
    follow_up = await fetch_one(sessions, FollowUp, FollowUp.what == "打电话")
    assert (follow_up.due_on, follow_up.snoozes) == (date(2026, 3, 3), 1)

    await chat.press(f"fu:done:{follow_up.id}")
    again = await chat.press(f"fu:done:{follow_up.id}")

    follow_up = await fetch_one(sessions, FollowUp, FollowUp.what == "打电话")
    assert follow_up.status == FollowUpStatus.DONE
    assert again[0].text == "That button is no longer valid."


async def test_remind_unreadable_date_saves_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    replies = await Conversation(router).say("/remind 华为 改天 送样品")

    assert text_of(replies).startswith("I could not read a date in that.")
    assert await count_rows(sessions, FollowUp) == 0


async def test_plan_recorded_then_compared_with_log(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    saved = await chat.say("/plan 华为 10点 收款; 苏州精工仪器 下午3点 服务")
    assert text_of(saved).startswith("Plan for 2026-03-02: 2 visits.")
    assert await count_rows(sessions, VisitPlan) == 1
    await _log(chat, "华为 见了王总 收款3万 下周三回访")

    report = text_of(await chat.say("/plan"))

    assert "✅ 10:00 北京华为技术有限公司 · collection" in report
    assert "⬜ 15:00 苏州精工仪器有限公司 · service" in report


async def test_visit_correct_own_recent_visit_updates_and_audits(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    await _log(chat, "华为 见了王总 谈报价 下周三回访")
    visit = await fetch_one(sessions, Visit)

    card = await chat.press(f"visit:edit:{visit.id}")
    assert CONFIRM in button_data(card)
    await chat.press("dlg:visit:review:edit_outcome")
    await chat.say("报价已发 客户满意")
    updated = await chat.press(CONFIRM)

    assert "updated" in text_of(updated)
    visit = await fetch_one(sessions, Visit)
    assert visit.outcome == "报价已发 客户满意"
    audit = await fetch_one(sessions, AuditLog, AuditLog.action == "update")
    assert audit.before["outcome"] != audit.after["outcome"]
    assert await count_rows(sessions, FollowUp) == 1


async def test_visit_delete_with_confirmation_removes_and_audits(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    await _log(chat, "华为 见了王总 谈报价 下周三回访")
    visit = await fetch_one(sessions, Visit)

    ask = await chat.press(f"visit:delete:{visit.id}")
    assert f"visit:delete_ok:{visit.id}" in button_data(ask)
    assert await count_rows(sessions, Visit) == 1
    await chat.press(f"visit:delete_ok:{visit.id}")
    again = await chat.press(f"visit:delete_ok:{visit.id}")

    assert await count_rows(sessions, Visit) == 0
    assert await count_rows(sessions, AuditLog, AuditLog.action == "delete") == 1
    assert again[0].text == "That visit no longer exists."


async def test_visits_manager_reads_team_visits_but_cannot_change(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    await _log(Conversation(router), "华为 见了王总 谈报价 下周三回访")
    visit = await fetch_one(sessions, Visit)
    manager = Conversation(router, user=MANAGER)

    listed = await manager.say("/visits")
    refused = await manager.press(f"visit:delete_ok:{visit.id}")

    assert "北京华为技术有限公司 · 王磊" in text_of(listed)
    assert button_data(listed) == []
    assert text_of(refused) == "Only the rep who logged a visit can change it, within a week."
    assert await count_rows(sessions, Visit) == 1


async def test_visits_rep_old_visit_cannot_be_changed(
    router: Router,
    clock: FrozenClock,
    sessions: async_sessionmaker[AsyncSession],
    world: VisitWorld,
) -> None:
    await _log(Conversation(router), "华为 见了王总 谈报价 下周三回访")
    visit = await fetch_one(sessions, Visit)
    clock.advance(days=8)

    refused = await Conversation(router, user=REP).press(f"visit:edit:{visit.id}")

    assert text_of(refused) == "Only the rep who logged a visit can change it, within a week."


async def test_visit_correct_follow_up_date_moves_its_follow_up(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    await _log(chat, "华为 见了王总 谈报价 下周三回访")
    visit = await fetch_one(sessions, Visit)

    await chat.press(f"visit:edit:{visit.id}")
    await chat.press("dlg:visit:review:edit_follow_up")
    await chat.say("周五")
    await chat.press(CONFIRM)

    follow_up = await fetch_one(sessions, FollowUp)
    assert await count_rows(sessions, FollowUp) == 1
    assert follow_up.due_on == date(2026, 3, 6)


async def test_brief_after_midnight_shanghai_counts_days_in_the_reps_zone(
    router: Router, clock: FrozenClock, world: VisitWorld
) -> None:
    clock.now = clock.now.replace(hour=18, minute=30)  # 02:30 on 3 March in Shanghai
    chat = Conversation(router)
    await _log(chat, "华为 见了王总 谈F1砝码报价 下周三回访")

    (brief,) = await chat.say("/brief 华为")

    lines = brief.text.splitlines()
    assert lines[1] == "0 days since the last visit (at least every 91)."
    assert lines[2].startswith("Last visit: 03-03 ·")


async def test_visit_log_naming_an_objection_links_the_answer_used(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    async with sessions() as session, session.begin():
        await seed_objection_library(session=session)
    chat = Conversation(router)
    await chat.say("/obj 太贵了")

    await _log(chat, "华为 见了王总 谈F1砝码报价 嫌贵 下周三回访")

    visit = await fetch_one(sessions, Visit)
    use = await fetch_one(sessions, ScriptUse)
    assert visit.objections == ["price"]
    assert use.visit_id == visit.id
