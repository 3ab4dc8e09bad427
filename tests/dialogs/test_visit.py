"""Logging a visit: the guided `/visit` and the one-message card, through the real router."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.app import App
from bot.channels.terminal import TerminalChannel
from bot.config import Settings
from bot.messages import Attachment, AttachmentKind, Location, Reply
from bot.router import Router
from storage.models import AuditLog, DialogState, FollowUp, User, Visit, VisitPurpose
from tests.dialogs.conftest import HUAWEI, VisitWorld
from tests.support import (
    REP,
    Conversation,
    FrozenClock,
    button_data,
    count_rows,
    fetch_all,
    fetch_one,
    make_incoming,
    text_of,
)

# The clock stands at Monday 2026-03-02 09:30 in Shanghai.
NEXT_WEDNESDAY = date(2026, 3, 11)
CONFIRM = "dlg:visit:review:save"


def choice(replies: Sequence[Reply], data: str) -> str:
    """The number the terminal shows for the button carrying `data`."""
    shown = [reply for reply in replies if reply.buttons][-1]
    return str(button_data([shown]).index(data) + 1)


async def test_visit_guided_terminal_end_to_end_saves_visit_follow_up_and_audit(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    out = io.StringIO()
    terminal = TerminalChannel(router, REP, out=out)

    await terminal.handle_line("/visit")
    purpose = await terminal.handle_line("华为")
    contacts = await terminal.handle_line(choice(purpose, "dlg:visit:purpose:ordering"))
    contacts = await terminal.handle_line(choice(contacts, f"dlg:visit:contacts:c{world.wang}"))
    assert "✅ 王建国" in [b.label for r in contacts for row in r.buttons for b in row]
    await terminal.handle_line(choice(contacts, "dlg:visit:contacts:done"))
    await terminal.handle_line("谈了年度采购，嫌贵")
    await terminal.handle_line("SW-F1-20KG-C 20个 共5000元")
    await terminal.handle_line("送样品")
    location = await terminal.handle_line("下周三")
    photos = await terminal.handle_line(choice(location, "dlg:visit:location:skip"))
    review = await terminal.handle_line(choice(photos, "dlg:visit:photos:done"))
    assert HUAWEI in text_of(review)
    assert await count_rows(sessions, Visit) == 0  # nothing saved before the confirm

    await terminal.handle_line(choice(review, CONFIRM))

    visit = await fetch_one(sessions, Visit)
    assert visit.purpose == VisitPurpose.ORDERING
    assert [c.name for c in visit.contacts] == ["王建国"]
    assert visit.outcome == "谈了年度采购，嫌贵"
    assert [(o.product_text, int(o.quantity), int(o.amount)) for o in visit.orders] == [
        ("SW-F1-20KG-C", 20, 5000)
    ]
    assert visit.orders[0].product_id is not None
    assert (visit.next_step, visit.follow_up_on) == ("送样品", NEXT_WEDNESDAY)
    follow_up = await fetch_one(sessions, FollowUp)
    assert (follow_up.what, follow_up.due_on, follow_up.visit_id) == (
        "送样品",
        NEXT_WEDNESDAY,
        visit.id,
    )
    assert await count_rows(sessions, AuditLog, AuditLog.entity == "visit") == 1
    assert await count_rows(sessions, DialogState) == 0
    assert "[1]" in out.getvalue()  # the terminal showed numbered choices


async def _restart(app: App, settings: Settings, clock: FrozenClock) -> App:
    await app.close()
    return App(settings, clock=clock)


async def test_visit_guided_restart_midway_continues_and_saves(
    app: App, settings: Settings, clock: FrozenClock, world: VisitWorld
) -> None:
    chat = Conversation(app.router)
    await chat.say("/visit")
    await chat.say("华为")
    await chat.press("dlg:visit:purpose:service")
    await chat.press("dlg:visit:contacts:done")

    restarted = await _restart(app, settings, clock)
    try:
        chat = Conversation(restarted.router)
        orders = await chat.say("校准了20个砝码")
        assert "dlg:visit:orders:skip" in button_data(orders)
        await chat.press("dlg:visit:orders:skip")
        await chat.say("下周三送证书")  # a next step with its date needs no date question
        await chat.press("dlg:visit:location:skip")
        await chat.press("dlg:visit:photos:done")
        saved = await chat.press(CONFIRM)
        visit = await fetch_one(restarted.sessions, Visit)
    finally:
        await restarted.close()
    assert "Visit to 北京华为技术有限公司 saved." in text_of(saved)
    assert (visit.purpose, visit.follow_up_on) == (VisitPurpose.SERVICE, NEXT_WEDNESDAY)


async def test_visit_quick_log_restart_before_confirm_then_confirm_saves(
    app: App, settings: Settings, clock: FrozenClock, world: VisitWorld
) -> None:
    card = await Conversation(app.router).say("华为 见了王总 谈F1砝码报价 嫌贵 下周三回访")
    assert CONFIRM in button_data(card)

    restarted = await _restart(app, settings, clock)
    try:
        await Conversation(restarted.router).press(CONFIRM)
        visit = await fetch_one(restarted.sessions, Visit)
    finally:
        await restarted.close()
    assert visit.objections == ["price"]
    assert visit.raw_text == "华为 见了王总 谈F1砝码报价 嫌贵 下周三回访"


async def test_visit_confirm_double_tapped_saves_once(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    await chat.say("华为 见了王总 谈报价 下周三回访")

    first = await chat.press(CONFIRM)
    second = await chat.press(CONFIRM)

    assert "saved" in text_of(first)
    assert await count_rows(sessions, Visit) == 1
    assert await count_rows(sessions, FollowUp) == 1
    assert second[0].text == "That button is no longer valid."


async def test_visit_confirm_without_next_step_asks_then_takes_reason(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    await chat.say("华为 见了王总 谈得不错")

    asked = await chat.press(CONFIRM)
    assert text_of(asked).startswith("What is the next step?")
    why = await chat.press("dlg:visit:next_step:skip")
    assert text_of(why).startswith("A visit without a next step")
    review = await chat.say("客户下月才有预算")
    assert "Next step: none: 客户下月才有预算" in text_of(review)
    await chat.press(CONFIRM)

    visit = await fetch_one(sessions, Visit)
    assert (visit.next_step, visit.no_next_step_reason) == (None, "客户下月才有预算")
    assert await count_rows(sessions, FollowUp) == 0


async def test_visit_card_correct_purpose_returns_to_card(
    router: Router, world: VisitWorld
) -> None:
    chat = Conversation(router)
    await chat.say("华为 见了王总 谈报价 下周三回访")

    purposes = await chat.press("dlg:visit:review:edit_purpose")
    assert "dlg:visit:purpose:collection" in button_data(purposes)
    card = await chat.press("dlg:visit:purpose:collection")

    assert "Purpose: collection" in text_of(card)
    assert CONFIRM in button_data(card)


async def test_visit_follow_up_date_unreadable_asks_again_and_keeps_none(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    await chat.say("华为 见了王总 谈报价 下周三回访")
    await chat.press("dlg:visit:review:edit_follow_up")

    again = await chat.say("过几天吧")

    assert text_of(again).startswith("I could not read that date.")
    state = await fetch_one(sessions, DialogState)
    assert state.state == "follow_up"
    assert state.data["follow_up_on"] == NEXT_WEDNESDAY.isoformat()


async def test_visit_ambiguous_customer_pick_list_then_card(
    router: Router, world: VisitWorld
) -> None:
    chat = Conversation(router)
    picks = await chat.say("去了苏州精工 谈了年度校准")

    assert text_of(picks) == "Which one do you mean?"
    first, second = world.jinggong
    assert {f"dlg:visit:pick_customer:{first}", f"dlg:visit:pick_customer:{second}"} <= set(
        button_data(picks)
    )
    card = await chat.press(f"dlg:visit:pick_customer:{second}")
    assert "Customer: 苏州精工量具有限公司" in text_of(card)


async def test_visit_location_and_photo_saved_with_distance(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    await chat.say("/visit")
    await chat.say("华为")
    await chat.press("dlg:visit:purpose:service")
    await chat.press("dlg:visit:contacts:done")
    await chat.say("校准")
    await chat.press("dlg:visit:orders:skip")
    await chat.say("下周三回访")
    await router.handle(make_incoming(location=Location(31.2404, 121.4737), language_code="en"))
    photo = Attachment(AttachmentKind.PHOTO, file_ref="tg:photo:1", file_name="shelf.jpg")
    received = await router.handle(make_incoming(attachment=photo, language_code="en"))
    assert "Received: 1" in text_of(received)
    await chat.press("dlg:visit:photos:done")
    await chat.press(CONFIRM)

    visit = await fetch_one(sessions, Visit)
    assert visit.distance_m is not None and 1000 < visit.distance_m < 1200
    assert visit.attachments == [
        {"kind": "photo", "file_ref": "tg:photo:1", "file_name": "shelf.jpg"}
    ]


async def test_visit_new_contact_named_in_log_is_added_on_confirm(
    router: Router, sessions: async_sessionmaker[AsyncSession], world: VisitWorld
) -> None:
    chat = Conversation(router)
    card = await chat.say("华为 见了赵经理 谈报价 下周三回访")
    assert "赵经理 (new)" in text_of(card)

    await chat.press(CONFIRM)

    visit = await fetch_one(sessions, Visit)
    assert [c.name for c in visit.contacts] == ["赵经理"]
    assert len(await fetch_all(sessions, User)) == 5  # people untouched
