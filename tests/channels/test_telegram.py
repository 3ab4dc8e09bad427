"""Telegram end to end: `salesbot run` with the real python-telegram-bot stack, fake Bot API."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import aiohttp
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.app import App
from bot.channels.telegram import PLATFORM, TelegramChannel
from bot.channels.telegram import channel as telegram_channel
from bot.channels.telegram.transport import AiohttpRequest
from bot.cli import invite
from bot.config import Settings
from bot.services.onboarding import create_invite
from bot.web import WebServer
from storage.models import (
    ChannelIdentity,
    Customer,
    DialogState,
    ProcessedUpdate,
    Product,
    Role,
    User,
)
from storage.queries.pushes import enqueue_push
from tests.channels.conftest import WEBHOOK_SECRET, add_telegram_user, running
from tests.channels.fake_bot_api import (
    BOT_USER,
    TOKEN,
    FakeBotApi,
    inline_update,
    message_update,
    press_update,
)
from tests.support import count_rows, fetch_one, translate

REP_ID = 1001
ADMIN_ID = 2001
BOT_NAME = BOT_USER["username"]


async def add_customer(
    db: async_sessionmaker[AsyncSession], owner: User, name: str, notes: str | None = None
) -> int:
    async with db() as session, session.begin():
        customer = Customer(legal_name=name, owner_id=owner.id, region="江苏省苏州市", notes=notes)
        session.add(customer)
        await session.flush()
        return customer.id


async def test_telegram_start_with_invite_code_joins_the_user(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    async with db() as session, session.begin():
        made = await create_invite(
            session=session,
            role=Role.REP,
            team_name="华东一组",
            now=datetime.now(UTC),
            valid_for=timedelta(days=7),
        )
    async with running(telegram_settings, fake_api):
        fake_api.add_update(message_update(fake_api, 3001, f"/start {made.code}"))
        [sent] = await fake_api.wait_for("sendMessage", chat_id=3001)
    assert "Wang" in sent.params["text"]
    identity = await fetch_one(db, ChannelIdentity, ChannelIdentity.platform_user_id == "3001")
    assert (identity.platform, identity.chat_id) == (PLATFORM, "3001")


async def test_telegram_help_from_known_rep_lists_commands_in_html(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    async with running(telegram_settings, fake_api):
        fake_api.add_update(message_update(fake_api, REP_ID, "/help"))
        [sent] = await fake_api.wait_for("sendMessage", chat_id=REP_ID)
    assert sent.params["parse_mode"] == "HTML"
    assert "/new_customer" in sent.params["text"]
    assert "/invite" not in sent.params["text"]


async def test_salesbot_run_keeps_the_startup_heap_from_the_collector_while_serving(
    telegram_settings: Settings, fake_api: FakeBotApi
) -> None:
    assert gc.get_freeze_count() == 0
    async with running(telegram_settings, fake_api):
        assert gc.get_freeze_count() > 10_000
    assert gc.get_freeze_count() == 0


async def test_telegram_customer_button_shows_card_with_escaped_name(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    rep = await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    customer_id = await add_customer(db, rep, "<Acme> & Sons 苏州有限公司")
    async with running(telegram_settings, fake_api):
        fake_api.add_update(press_update(fake_api, REP_ID, f"cust:{customer_id}", message_id=7))
        [answered] = await fake_api.wait_for("answerCallbackQuery")
        [sent] = await fake_api.wait_for("sendMessage", chat_id=REP_ID)
    assert "&lt;Acme&gt; &amp; Sons 苏州有限公司" in sent.params["text"]
    assert "text" not in answered.params


async def test_telegram_typed_search_opens_the_customer_card_with_its_buttons(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    """What reps do most: type a half-remembered name in pinyin, get the card to act on."""
    rep = await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    customer_id = await add_customer(db, rep, "苏州华测精密仪器有限公司")
    async with running(telegram_settings, fake_api):
        fake_api.add_update(message_update(fake_api, REP_ID, "suzhou huace"))
        [sent] = await fake_api.wait_for("sendMessage", chat_id=REP_ID)
    assert "苏州华测精密仪器有限公司" in sent.params["text"]
    rows = sent.params["reply_markup"]["inline_keyboard"]
    pressed = [button["callback_data"] for row in rows for button in row]
    assert any(data.startswith("visit:") and str(customer_id) in data for data in pressed)


async def test_telegram_new_customer_grade_press_edits_the_question_in_place(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    async with running(telegram_settings, fake_api):
        fake_api.add_update(message_update(fake_api, REP_ID, "/new_customer"))
        await fake_api.wait_for("sendMessage", chat_id=REP_ID)
        fake_api.add_update(message_update(fake_api, REP_ID, "苏州精工衡器有限公司"))
        _, grade_question = await fake_api.wait_for("sendMessage", 2, chat_id=REP_ID)
        keyboard = grade_question.params["reply_markup"]["inline_keyboard"]
        grade_a = keyboard[0][0]["callback_data"]
        message_id = grade_question.result["message_id"]
        fake_api.add_update(press_update(fake_api, REP_ID, grade_a, message_id=message_id))
        [edited] = await fake_api.wait_for("editMessageText", message_id=message_id)
        await fake_api.wait_for("answerCallbackQuery")
    assert edited.params["text"] == translate(
        "Who is your contact there? Name and title, e.g. 王建国 采购经理.", "zh_CN"
    )
    assert edited.params["reply_markup"]["inline_keyboard"]
    assert len(fake_api.calls_of("sendMessage")) == 2


async def test_telegram_stale_button_press_gets_a_notice_not_a_message(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    async with running(telegram_settings, fake_api):
        fake_api.add_update(
            press_update(fake_api, REP_ID, "dlg:new_customer:grade:A", message_id=9)
        )
        [answered] = await fake_api.wait_for("answerCallbackQuery")
    assert answered.params["text"] == translate("That button is no longer valid.", "zh_CN")
    assert not fake_api.calls_of("sendMessage")


async def test_telegram_inline_query_returns_only_what_the_user_may_see(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    settings = telegram_settings.model_copy(update={"others_customers": "hidden"})
    rep = await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    stranger = await add_telegram_user(db, 4001, "赵强", Role.REP, team="华南组")
    own = await add_customer(db, rep, "华为技术苏州有限公司")
    await add_customer(db, stranger, "华为终端深圳有限公司")
    async with db() as session, session.begin():
        session.add(Product(sku="SW-F1-20KG", name="不锈钢砝码 F1级 20kg", price=Decimal("980")))
    async with running(settings, fake_api):
        fake_api.add_update(inline_update(fake_api, REP_ID, "华为"))
        fake_api.add_update(inline_update(fake_api, REP_ID, "F1 20kg"))
        fake_api.add_update(inline_update(fake_api, 9999, "华为"))
        calls = await fake_api.wait_for("answerInlineQuery", 3)
    by_query = {call.params["inline_query_id"]: call.params for call in calls}
    customers, products, unknown = (by_query[f"iq{n}"] for n in (2, 4, 6))
    assert [r["id"] for r in customers["results"]] == [f"customer:{own}"]
    assert customers["is_personal"] in (True, "true", "True")
    assert [r["title"] for r in products["results"]] == ["不锈钢砝码 F1级 20kg"]
    assert unknown["results"] == []


async def test_telegram_flood_control_waits_the_retry_after_it_was_told(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    fake_api.fail("sendMessage", 429, retry_after=1)
    async with running(telegram_settings, fake_api):
        fake_api.add_update(message_update(fake_api, REP_ID, "/help"))
        refused, sent = await fake_api.wait_for("sendMessage", 2, within=5)
    assert sent.at - refused.at >= 1.0
    assert sent.result is not None


async def test_telegram_network_error_is_retried_after_a_pause(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    fake_api.fail("sendMessage", 502)
    async with running(telegram_settings, fake_api):
        fake_api.add_update(message_update(fake_api, REP_ID, "/help"))
        failed, sent = await fake_api.wait_for("sendMessage", 2)
    assert sent.at - failed.at >= 0.5
    assert sent.result is not None


async def test_telegram_push_to_blocked_chat_marks_identity_inactive_and_keeps_running(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    rep = await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    await add_telegram_user(db, ADMIN_ID, "陈静", Role.ADMIN, team=None)
    async with db() as session, session.begin():
        await enqueue_push(
            session=session,
            user_id=rep.id,
            replies=[{"text": "周报已生成"}],
            due_at=datetime.now(UTC),
        )
    fake_api.block(REP_ID)
    async with running(telegram_settings, fake_api):
        await fake_api.wait_for("sendMessage", chat_id=REP_ID)
        for _ in range(100):
            identity = await fetch_one(db, ChannelIdentity, ChannelIdentity.user_id == rep.id)
            if not identity.active:
                break
            await asyncio.sleep(0.02)
        fake_api.add_update(message_update(fake_api, ADMIN_ID, "/help"))
        await fake_api.wait_for("sendMessage", chat_id=ADMIN_ID)
    assert identity.active is False
    assert len(fake_api.calls_of("sendMessage")) == 2


async def test_telegram_webhook_rejects_a_forged_secret_and_accepts_the_right_one(
    webhook_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    url = webhook_settings.telegram_webhook_url
    assert url is not None
    async with running(webhook_settings, fake_api), aiohttp.ClientSession() as http:
        [registered] = fake_api.calls_of("setWebhook")
        forged = message_update(fake_api, REP_ID, "/whoami")
        headers = {"X-Telegram-Bot-Api-Secret-Token": "guessed"}
        async with http.post(url, json=forged, headers=headers) as response:
            forged_status = response.status
        good = message_update(fake_api, REP_ID, "/help")
        headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
        async with http.post(url, json=good, headers=headers) as response:
            good_status = response.status
        await fake_api.wait_for("sendMessage", chat_id=REP_ID)
    assert (forged_status, good_status) == (403, 200)
    assert registered.params["secret_token"] == WEBHOOK_SECRET
    assert not fake_api.calls_of("getUpdates")
    assert len(fake_api.calls_of("sendMessage")) == 1


async def test_telegram_webhook_duplicate_update_is_acted_on_once(
    webhook_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    url = webhook_settings.telegram_webhook_url
    assert url is not None
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    update = message_update(fake_api, REP_ID, "/whoami")
    later = message_update(fake_api, REP_ID, "/help")
    async with running(webhook_settings, fake_api), aiohttp.ClientSession() as http:
        for body in (update, update, later):
            async with http.post(url, json=body, headers=headers) as response:
                assert response.status == 200
        await fake_api.wait_for("sendMessage", 2, chat_id=REP_ID)
        await asyncio.sleep(0.1)
    assert len(fake_api.calls_of("sendMessage")) == 2


async def test_telegram_webhook_acknowledges_an_update_once_it_is_handled(
    webhook_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    """Telegram gets its 200 only after the update committed and its reply went out, so an
    update whose process dies half-way is delivered again rather than lost."""
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    url = webhook_settings.telegram_webhook_url
    assert url is not None
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}
    update = message_update(fake_api, REP_ID, "/help")
    async with running(webhook_settings, fake_api), aiohttp.ClientSession() as http:
        async with http.post(url, json=update, headers=headers) as response:
            status = response.status
            replies_by_then = len(fake_api.calls_of("sendMessage"))
        handled = await count_rows(
            db, ProcessedUpdate, ProcessedUpdate.update_id == str(update["update_id"])
        )
        [registered] = fake_api.calls_of("setWebhook")
    assert (status, replies_by_then, handled) == (200, 1, 1)
    assert registered.params["max_connections"] == 100


async def test_telegram_webhook_update_arriving_as_the_process_starts_waits_for_the_channel(
    webhook_settings: Settings,
    fake_api: FakeBotApi,
    db: async_sessionmaker[AsyncSession],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The web server listens before the channel runs (a restart with the webhook still
    registered): an update then waits for the channel and is handled, or, if the channel does
    not come up in time, is refused with 503 for Telegram to deliver again."""
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    app = App(webhook_settings)
    channel = TelegramChannel(app.router, webhook_settings)
    server = WebServer("127.0.0.1", 0)
    channel.mount(server)
    await server.start()
    path = urlsplit(webhook_settings.telegram_webhook_url or "").path
    url = f"http://127.0.0.1:{server.port}{path}"
    headers = {"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET}

    async def deliver(text: str) -> int:
        update = message_update(fake_api, REP_ID, text)
        async with http.post(url, json=update, headers=headers) as response:
            return response.status

    try:
        async with aiohttp.ClientSession() as http:
            monkeypatch.setattr(telegram_channel, "STARTING_SECONDS", 0.05)
            too_early = await deliver("/whoami")
            monkeypatch.setattr(telegram_channel, "STARTING_SECONDS", 30.0)
            waiting = asyncio.create_task(deliver("/help"))
            await asyncio.sleep(0.05)
            await channel.start()
            handled = await waiting
            await channel.stop()
    finally:
        await server.stop()
        await app.close()
    assert (too_early, handled) == (503, 200)
    [reply] = fake_api.calls_of("sendMessage")
    assert "/help" in reply.params["text"]
    assert await count_rows(db, ProcessedUpdate) == 1


async def test_telegram_reply_over_4096_characters_is_split(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    rep = await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    notes = " ".join(f"第{n}次拜访记录" for n in range(700))
    customer_id = await add_customer(db, rep, "苏州长备注有限公司", notes=notes)
    async with running(telegram_settings, fake_api):
        fake_api.add_update(press_update(fake_api, REP_ID, f"cust:{customer_id}", message_id=7))
        first, second = await fake_api.wait_for("sendMessage", 2, chat_id=REP_ID)
    assert len(notes) > 4096
    assert first.result and second.result
    assert "第0次拜访记录" in first.params["text"]
    assert "第699次拜访记录" in second.params["text"]


async def test_telegram_group_answers_only_commands_addressed_to_the_bot(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    group = -5001
    async with running(telegram_settings, fake_api):
        for text in ("/help", "华为", f"/whoami@{BOT_NAME}", f"/help@{BOT_NAME}"):
            update = message_update(fake_api, REP_ID, text, chat_id=group, chat_type="group")
            fake_api.add_update(update)
        whoami, help_ = await fake_api.wait_for("sendMessage", 2, chat_id=group)
        await asyncio.sleep(0.1)
    assert whoami.params["text"] == translate(
        "Let's talk privately, so your data stays yours: open a chat with me.", "zh_CN"
    )
    assert "王磊" not in help_.params["text"]
    assert len(fake_api.calls_of("sendMessage")) == 2


async def test_telegram_command_menus_are_set_per_language_and_role(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    await add_telegram_user(db, REP_ID, "王磊", Role.REP, language="zh_TW")
    await add_telegram_user(db, ADMIN_ID, "陈静", Role.ADMIN, team=None, language="en")
    async with running(telegram_settings, fake_api):
        await fake_api.wait_for("setMyCommands", 8)
    menus = {
        (call.params["scope"].get("chat_id"), call.params.get("language_code")): {
            command["command"]: command["description"] for command in call.params["commands"]
        }
        for call in fake_api.calls_of("setMyCommands")
        if call.params["scope"]["type"] in ("chat", "all_private_chats")
    }
    assert set(menus) == {
        (None, None),
        (None, "zh"),
        (None, "en"),
        (REP_ID, None),
        (ADMIN_ID, None),
    }
    assert "invite" in menus[ADMIN_ID, None] and "invite" not in menus[None, None]
    assert menus[None, "en"]["help"] == "what I can do for you"
    assert menus[REP_ID, None]["help"] == translate("what I can do for you", "zh_TW")
    groups = [
        c
        for c in fake_api.calls_of("setMyCommands")
        if c.params["scope"]["type"] == "all_group_chats"
    ]
    assert {tuple(c["command"] for c in call.params["commands"]) for call in groups} == {("help",)}


async def test_telegram_download_fetches_the_file_into_the_media_dir(
    telegram_settings: Settings, fake_api: FakeBotApi
) -> None:
    fake_api.add_file("AgADphoto01", "photos/file_7.jpg", b"\xff\xd8 a jpeg")
    app = App(telegram_settings)
    channel = TelegramChannel(app.router, telegram_settings)
    await channel.application.initialize()
    try:
        path = await channel.download("AgADphoto01")
    finally:
        await channel.application.shutdown()
        await app.close()
    assert path.parent == telegram_settings.media_dir / PLATFORM
    assert path.suffix == ".jpg"
    assert path.read_bytes() == b"\xff\xd8 a jpeg"


async def test_invite_with_telegram_configured_prints_a_deep_link(
    telegram_settings: Settings, fake_api: FakeBotApi, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await invite(telegram_settings, "rep", "华东一组", 1, 7) == 0
    out = capsys.readouterr().out
    code = out.splitlines()[0]
    assert f"Telegram: https://t.me/{BOT_NAME}?start={code}" in out.splitlines()


async def test_telegram_photo_in_visit_dialog_is_stored_and_referenced(
    telegram_settings: Settings, fake_api: FakeBotApi, db: async_sessionmaker[AsyncSession]
) -> None:
    rep = await add_telegram_user(db, REP_ID, "王磊", Role.REP)
    customer_id = await add_customer(db, rep, "苏州精工衡器有限公司")
    async with db() as session, session.begin():
        session.add(
            DialogState(
                user_id=rep.id,
                channel=PLATFORM,
                chat_id=str(REP_ID),
                dialog="visit",
                state="photos",
                data={"customer_id": customer_id, "customer_name": "苏州精工衡器有限公司"},
                history=[],
                updated_at=datetime.now(UTC),
            )
        )
    fake_api.add_file("AgADvisit01", "photos/file_9.jpg", b"\xff\xd8 the scale")
    photo = [{"file_id": "AgADvisit01", "file_unique_id": "u-visit-01", "width": 90, "height": 90}]
    async with running(telegram_settings, fake_api):
        fake_api.add_update(message_update(fake_api, REP_ID, "", photo=photo))
        await fake_api.wait_for("sendMessage", chat_id=REP_ID)

    state = await fetch_one(db, DialogState, DialogState.user_id == rep.id)
    [stored] = state.data["attachments"]
    assert stored["file_ref"].startswith("media:telegram/")
    path = telegram_settings.media_dir / stored["file_ref"].removeprefix("media:")
    assert path.read_bytes() == b"\xff\xd8 the scale"


async def test_telegram_transport_sends_json_and_uploads_as_multipart(
    fake_api: FakeBotApi,
) -> None:
    """Requests go as JSON (typed values, nested markup); files as multipart with their bytes."""
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("打开", callback_data="cust:7")]])
    photo = b"\x89PNG\r\n\x1a\n-chart-"
    bot = Bot(TOKEN, base_url=fake_api.base_url, request=AiohttpRequest())
    async with bot:
        text = "华为 &amp; <b>报价</b>"
        await bot.send_message(REP_ID, text, parse_mode="HTML", reply_markup=markup)
        await bot.send_photo(REP_ID, photo, caption="周报 · 华东一组", reply_markup=markup)

    (message,) = fake_api.calls_of("sendMessage")
    assert message.params["chat_id"] == REP_ID
    assert message.params["text"] == text
    assert message.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "cust:7"
    (sent,) = fake_api.calls_of("sendPhoto")
    assert sent.params["photo"] == photo
    assert sent.params["caption"] == "周报 · 华东一组"
    assert sent.params["reply_markup"]["inline_keyboard"][0][0]["text"] == "打开"
