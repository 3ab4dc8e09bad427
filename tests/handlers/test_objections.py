"""`/obj` through the real router: answers, context, outcomes, suggestions, mid-visit use."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.router import Router
from bot.services.objections import seed_objection_library
from storage.models import (
    Contact,
    Customer,
    DialogState,
    ObjectionScript,
    ScriptSuggestion,
    ScriptUse,
    ScriptVersion,
    User,
)
from tests.support import (
    MANAGER,
    REP,
    Conversation,
    button_data,
    count_rows,
    fetch_one,
    text_of,
)


async def seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        await seed_objection_library(session=session)


async def add_customer(
    sessions: async_sessionmaker[AsyncSession], owner: User, *, title: str = "总经理"
) -> Customer:
    async with sessions() as session, session.begin():
        customer = Customer(
            legal_name="华康制药有限公司",
            industry="制药",
            owner_id=owner.id,
            contacts=[Contact(name="王建国", title=title)],
        )
        session.add(customer)
    return customer


def outcome_button(replies: list, key: str) -> str:
    return next(
        data for data in button_data(replies) if data.startswith("obj:o:") and data.endswith(key)
    )


async def test_obj_plain_price_objection_answers_with_outcome_buttons(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)
    rep = Conversation(router, REP, "zh-hans")

    replies = await rep.say("/obj 你们家东西也太贵了吧")

    assert "不是最便宜的" in text_of(replies)
    assert "贵公司" in text_of(replies)
    assert "{" not in text_of(replies) and "[[" not in text_of(replies)
    assert len([d for d in button_data(replies) if d.startswith("obj:o:")]) == 3
    assert await count_rows(sessions, ScriptUse) == 1


async def test_obj_outcome_press_counts_once_and_moves_on_change(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)
    rep = Conversation(router, REP, "en")
    replies = await rep.say("/obj too pricey")

    await rep.press(outcome_button(replies, ":w"))
    again = await rep.press(outcome_button(replies, ":w"))
    await rep.press(outcome_button(replies, ":f"))

    assert again[0].notice
    script = await fetch_one(sessions, ObjectionScript, ObjectionScript.code == "price.default")
    assert (script.worked_count, script.failed_count, script.use_count) == (0, 1, 1)


async def test_obj_after_customer_card_fills_customer_and_decision_variant(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)
    customer = await add_customer(sessions, people[REP])
    rep = Conversation(router, REP, "zh-hans")
    await rep.press(f"cust:{customer.id}")

    replies = await rep.say("/obj 太贵了")

    text = text_of(replies)
    assert "华康制药有限公司" in text
    assert "王总" in text  # 王建国, 总经理: addressed the way a rep would
    assert "五年" in text  # the decision-maker variant speaks of total cost of ownership


async def test_obj_card_viewed_long_ago_answers_without_customer(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User], clock
) -> None:
    await seed(sessions)
    customer = await add_customer(sessions, people[REP])
    rep = Conversation(router, REP, "zh-hans")
    await rep.press(f"cust:{customer.id}")
    clock.advance(hours=2)

    replies = await rep.say("/obj 太贵了")

    assert "华康制药" not in text_of(replies)


async def test_card_opened_again_within_a_minute_is_not_noted_again(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User], clock
) -> None:
    customer = await add_customer(sessions, people[REP])
    rep = Conversation(router, REP, "zh-hans")
    noted: list[datetime | None] = []
    for seconds in (0, 40, 30):
        clock.advance(seconds=seconds)
        await rep.press(f"cust:{customer.id}")
        user = await fetch_one(sessions, User, User.id == people[REP].id)
        noted.append(user.last_customer_at)

    first = clock.now - timedelta(seconds=70)
    assert noted == [first, first, clock.now]


async def test_obj_ambiguous_text_offers_likely_objections_as_buttons(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)
    rep = Conversation(router, REP, "en")

    replies = await rep.say(
        "/obj we already have a supplier and the competitor is cheaper than you"
    )
    choices = [d for d in button_data(replies) if d.startswith("obj:t:")]
    chosen = await rep.press(choices[0])

    assert 2 <= len(choices) <= 3
    assert "obj:t:competitor_cheaper" in choices and "obj:t:existing_supplier" in choices
    assert any(d.startswith("obj:o:") for d in button_data(chosen))


async def test_obj_non_objection_lists_objections_instead(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)

    replies = await Conversation(router, REP, "en").say("/obj F1 20kg 砝码")

    assert len([d for d in button_data(replies) if d.startswith("obj:t:")]) == 14
    assert await count_rows(sessions, ScriptUse) == 0


async def test_obj_weak_objection_offers_its_likely_type_first(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)

    replies = await Conversation(router, REP, "en").say("/obj 我们跟一家苏州的厂合作七八年了")
    choices = [d for d in button_data(replies) if d.startswith("obj:t:")]

    assert choices[0] == "obj:t:existing_supplier"
    assert len(choices) == len(set(choices)) == 14
    assert await count_rows(sessions, ScriptUse) == 0


async def test_obj_mid_visit_transcript_uses_visit_customer_and_keeps_dialog(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User], clock
) -> None:
    await seed(sessions)
    customer = await add_customer(sessions, people[REP], title="采购经理")
    async with sessions() as session, session.begin():
        session.add(
            DialogState(
                user_id=people[REP].id,
                channel="terminal",
                chat_id=REP,
                dialog="visit",
                state="outcome",
                data={"customer_id": customer.id, "contact_ids": [customer.contacts[0].id]},
                history=[],
                updated_at=clock(),
            )
        )
    rep = Conversation(router, REP, "zh-hans")

    transcript = []
    for line in ("/obj 客户说我们在内部自己校就行",):
        replies = await rep.say(line)
        transcript += [f"> {line}", text_of(replies)]
    print("\n".join(transcript))

    text = "\n".join(transcript)
    assert "华康制药有限公司 · 王建国 · 采购经理" in text
    assert "王经理" in text and "效率" in text  # the management variant of "we do it in-house"
    assert await count_rows(sessions, DialogState, DialogState.dialog == "visit") == 1


async def test_suggestion_approved_by_manager_becomes_next_version(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)
    rep = Conversation(router, REP, "zh-hans")
    manager = Conversation(router, MANAGER, "zh-hans")
    replies = await rep.say("/obj 回头再说")
    suggest = next(d for d in button_data(replies) if d.startswith("obj:s:"))

    await rep.press(suggest)
    await rep.say("理解，您先考虑。我周四上午再打给您，听听您还有哪些顾虑，可以吗？")
    pending = await manager.say("/suggestions")
    approve = next(d for d in button_data(pending) if d.startswith("obj:a:"))
    done = await manager.press(approve)

    script_id = int(suggest.rsplit(":", 1)[1])
    script = await fetch_one(sessions, ObjectionScript, ObjectionScript.id == script_id)
    assert script.version == 2
    assert script.answers["zh_CN"].startswith("理解，您先考虑")
    assert "周四" not in script.answers["en"]
    assert await count_rows(sessions, ScriptVersion, ScriptVersion.script_id == script_id) == 2
    assert await count_rows(sessions, ScriptSuggestion, ScriptSuggestion.status == "approved") == 1
    assert "2" in text_of(done)


async def test_suggestion_review_by_rep_is_refused(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)

    replies = await Conversation(router, REP, "en").say("/suggestions")

    assert "not available" in text_of(replies)


async def test_scripts_overview_lists_every_objection_with_figures(
    router: Router, sessions: async_sessionmaker[AsyncSession], people: dict[str, User]
) -> None:
    await seed(sessions)
    rep = Conversation(router, REP, "en")
    replies = await rep.say("/obj too pricey")
    await rep.press(outcome_button(replies, ":w"))

    overview = text_of(await rep.say("/scripts"))

    assert overview.count("💬") == 14
    assert "used 1, 👍 1 👎 0" in overview
