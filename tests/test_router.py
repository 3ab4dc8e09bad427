"""The router: one update in, replies out, one transaction in between, on both databases."""

from __future__ import annotations

import asyncio
import logging
import re

import pytest
from sqlalchemy import text as sql
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bot.app import App
from bot.context import Context
from bot.messages import Incoming, Reply
from bot.router import Router
from storage.models import (
    ChannelIdentity,
    Customer,
    DialogState,
    Invite,
    ProcessedUpdate,
    Team,
    User,
)
from storage.queries.users import deactivate_chat
from tests.conftest import postgres_url
from tests.support import (
    ADMIN,
    PLAIN_TEXT,
    REP,
    TERMINAL,
    count_rows,
    fetch_one,
    make_incoming,
    press,
    router_marking_plain_text,
    say,
    text_of,
    translate,
)

pytestmark = pytest.mark.usefixtures("people")

APOLOGY = "Sorry, something went wrong on my side (error {error_id}). Please try again."
STRANGER = "陌生人"


async def _to_confirm(router: Router, name: str = "苏州测试精工有限公司") -> None:
    """Walk the new-customer dialog up to its last question."""
    for text in ("/new_customer", name, "B", "跳过", "跳过", "跳过"):
        await say(router, text)


# --- unknown users ------------------------------------------------------------------------


async def test_router_unknown_user_gets_onboarding_text(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    replies = await say(router, "你好", user_id=STRANGER)

    explain = (
        "Hello! I am the team's sales assistant. I don't know you yet: ask your admin "
        "for an invite code and send /start CODE."
    )
    assert text_of(replies) == translate(explain, "zh_CN")
    assert await count_rows(sessions, User, User.name == STRANGER) == 0
    assert (
        await count_rows(sessions, ChannelIdentity, ChannelIdentity.platform_user_id == STRANGER)
        == 0
    )


async def test_router_unknown_user_command_gets_onboarding_text(router: Router) -> None:
    replies = await say(router, "/new_customer", user_id=STRANGER, language_code="en")

    assert "/start CODE" in text_of(replies)
    assert text_of(replies).startswith("Hello! I am the team's sales assistant.")


@pytest.mark.parametrize(
    ("platform_code", "language"),
    [
        ("zh-hant", "zh_TW"),
        ("zh-hans", "zh_CN"),
        ("en-GB", "en"),
        ("fr", "zh_CN"),
        (None, "zh_CN"),
    ],
)
async def test_router_platform_language_code_picks_catalog(
    router: Router, platform_code: str | None, language: str
) -> None:
    replies = await say(router, "/cancel", user_id=STRANGER, language_code=platform_code)

    explain = (
        "Hello! I am the team's sales assistant. I don't know you yet: ask your admin "
        "for an invite code and send /start CODE."
    )
    assert text_of(replies) == translate(explain, language)  # type: ignore[arg-type]


# --- /cancel ------------------------------------------------------------------------------


async def test_router_cancel_without_dialog_says_nothing_to_cancel(router: Router) -> None:
    replies = await say(router, "/cancel", language_code="en")

    assert text_of(replies) == "Nothing to cancel."


async def test_router_cancel_mid_dialog_drops_it_and_saves_nothing(
    app: App, sessions: async_sessionmaker[AsyncSession]
) -> None:
    router = router_marking_plain_text(app)
    await _to_confirm(router)
    assert await count_rows(sessions, DialogState) == 1

    replies = await say(router, "/cancel", language_code="en")

    assert text_of(replies) == "Stopped adding a customer. Nothing was saved."
    assert await count_rows(sessions, DialogState) == 0
    assert await count_rows(sessions, Customer) == 0
    after = await say(router, "save", language_code="en")
    assert text_of(after) == PLAIN_TEXT
    assert await count_rows(sessions, Customer) == 0


async def test_router_user_a_push_could_not_reach_is_reachable_again_after_writing(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    async with sessions() as session, session.begin():
        await deactivate_chat(session=session, platform=TERMINAL, chat_id=REP)
        await deactivate_chat(session=session, platform=TERMINAL, chat_id=ADMIN)

    await say(router, "/help")
    await say(router, "/help", user_id=ADMIN, chat_id="group-1", is_group=True)

    rep = await fetch_one(sessions, ChannelIdentity, ChannelIdentity.platform_user_id == REP)
    admin = await fetch_one(sessions, ChannelIdentity, ChannelIdentity.platform_user_id == ADMIN)
    assert (rep.active, admin.active) == (True, False)  # a group says nothing of the chat


# --- de-duplication -----------------------------------------------------------------------


async def test_router_same_update_twice_has_one_effect(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _to_confirm(router)
    save = make_incoming(text="save", update_id="tg-1001")

    first = await router.handle(save)
    second = await router.handle(save)

    assert translate("Saved {name}.", "zh_CN", name="苏州测试精工有限公司") in text_of(first)
    assert second == []
    assert await count_rows(sessions, Customer) == 1
    assert await count_rows(sessions, ProcessedUpdate, ProcessedUpdate.update_id == "tg-1001") == 1


async def test_router_same_update_concurrently_has_one_effect(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await _to_confirm(router)
    save = make_incoming(text="save", update_id="wecom-msg-77")

    results = await asyncio.gather(router.handle(save), router.handle(save))

    answered = [replies for replies in results if replies]
    assert len(answered) == 1
    assert translate("Saved {name}.", "zh_CN", name="苏州测试精工有限公司") in text_of(answered[0])
    assert await count_rows(sessions, Customer) == 1
    assert await count_rows(sessions, DialogState) == 0


async def test_router_same_update_id_on_two_channels_is_two_updates(router: Router) -> None:
    first = await say(router, "/cancel", update_id="42", language_code="en")
    second = await say(router, "/cancel", update_id="42", channel="test", language_code="en")

    assert text_of(first) == "Nothing to cancel."
    assert "/start CODE" in text_of(second)  # an unknown user there, but not a duplicate


async def test_router_concurrent_updates_lose_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """20 admins' invites at once, each creating the same new team if it is missing."""
    results = await asyncio.gather(
        *(say(router, "/invite rep 西北组", user_id=ADMIN, language_code="en") for _ in range(20))
    )

    texts = [text_of(replies) for replies in results]
    assert all(text.startswith("Invite code for a rep:") for text in texts), texts
    assert len({re.search(r": (\w{8})\n", text)[1] for text in texts}) == 20  # type: ignore[index]
    assert await count_rows(sessions, Invite) == 20
    assert await count_rows(sessions, Team, Team.name == "西北组") == 1
    assert await count_rows(sessions, ProcessedUpdate) == 20


# --- the error boundary -------------------------------------------------------------------


def _failing_router(app: App) -> Router:
    """The real router whose plain-text handler writes, then fails half-way."""

    async def write_then_fail(incoming: Incoming, ctx: Context) -> list[Reply]:
        ctx.known_user.language = "zh_TW"
        ctx.session.add(Customer(legal_name="半途而废有限公司", owner_id=ctx.known_user.id))
        await ctx.session.flush()
        raise RuntimeError("the handler broke")

    return Router(app.sessions, app.settings, clock=app.clock, text_handler=write_then_fail)


async def test_router_handler_exception_apologises_logs_and_rolls_back(
    app: App, sessions: async_sessionmaker[AsyncSession], caplog: pytest.LogCaptureFixture
) -> None:
    router = _failing_router(app)
    caplog.set_level(logging.ERROR, logger="bot.router")

    replies = await router.handle(make_incoming(text="hello", update_id="u-1"))

    assert len(replies) == 1
    match = re.search(r"[0-9a-f]{8}", replies[0].text)
    assert match is not None
    error_id = match[0]
    assert replies[0].text == translate(APOLOGY, "zh_CN", error_id=error_id)
    assert "Traceback" not in replies[0].text
    assert "the handler broke" not in replies[0].text
    logged = [record for record in caplog.records if error_id in record.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert await count_rows(sessions, Customer) == 0
    rep = await fetch_one(sessions, User, User.name == REP)
    assert rep.language is None
    # Rolled back with the rest: a redelivery of the failed update is tried again.
    assert await count_rows(sessions, ProcessedUpdate) == 0


async def test_router_handler_exception_apologises_in_users_language(
    app: App, router: Router
) -> None:
    await say(router, "/lang en")
    failing = _failing_router(app)

    replies = await failing.handle(make_incoming(text="hello", language_code="zh-hant"))

    assert replies[0].text.startswith("Sorry, something went wrong on my side (error ")


# --- bad input ----------------------------------------------------------------------------


async def test_router_oversize_message_gets_short_answer_and_changes_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession], app: App
) -> None:
    await say(router, "/new_customer")
    limit = app.settings.max_message_chars

    replies = await say(router, "公" * (limit + 1), language_code="en")

    assert text_of(replies) == f"That message is too long for me ({limit} characters at most)."
    state = await fetch_one(sessions, DialogState)
    assert state.state == "name"
    assert state.data["legal_name"] == ""
    assert await count_rows(sessions, Customer) == 0


@pytest.mark.parametrize("data", ["zzz:1", "cust:999999", "cust:abc", "lang:klingon", "dlg:x:y:z"])
async def test_router_forged_button_is_no_longer_valid(
    router: Router, sessions: async_sessionmaker[AsyncSession], data: str
) -> None:
    replies = await press(router, data, language_code="en")

    assert text_of(replies) == "That button is no longer valid."
    rep = await fetch_one(sessions, User, User.name == REP)
    assert rep.language is None


async def test_router_unknown_command_points_to_help(router: Router) -> None:
    replies = await say(router, "/fly_to_the_moon", language_code="en")

    assert text_of(replies) == "I don't know that command. /help lists what I can do."


# --- roles --------------------------------------------------------------------------------


async def test_router_rep_invite_is_refused_and_creates_nothing(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    replies = await say(router, "/invite rep 华东一组", language_code="en")

    assert text_of(replies) == "That command is not available to you."
    assert await count_rows(sessions, Invite) == 0


async def test_router_admin_invite_creates_code(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    replies = await say(router, "/invite rep 华东一组", user_id=ADMIN, language_code="en")

    invite = await fetch_one(sessions, Invite)
    assert invite is not None and invite.uses_left == 1 and invite.role == "rep"
    assert f"Invite code for a rep: {invite.code}" in text_of(replies)


async def test_router_help_lists_only_the_roles_commands(router: Router) -> None:
    rep_help = text_of(await say(router, "/help", language_code="en"))
    admin_help = text_of(await say(router, "/help", user_id=ADMIN, language_code="en"))

    assert "/new_customer" in rep_help and "/invite" not in rep_help
    assert "/invite" in admin_help


# --- language -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "language", "answer"),
    [
        ("en", "en", "I will speak English from now on."),
        ("zh_TW", "zh_TW", None),
        ("繁體", "zh_TW", None),
    ],
)
async def test_router_lang_changes_language_and_persists_it(
    router: Router,
    sessions: async_sessionmaker[AsyncSession],
    argument: str,
    language: str,
    answer: str | None,
) -> None:
    replies = await say(router, f"/lang {argument}")

    names = {"en": "English", "zh_TW": "繁體中文"}
    expected = translate(
        "I will speak {language} from now on.",
        language,  # type: ignore[arg-type]
        language=names[language],
    )
    assert text_of(replies) == (answer or expected)
    rep = await fetch_one(sessions, User, User.name == REP)
    assert rep.language == language
    # The saved choice beats the platform's language code on the next update.
    later = await say(router, "/cancel", language_code="zh-hans")
    assert text_of(later) == translate("Nothing to cancel.", language)  # type: ignore[arg-type]


async def test_router_language_button_changes_language(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    buttons = await say(router, "/lang")
    assert [b.data for row in buttons[0].buttons for b in row] == [
        "lang:zh_CN",
        "lang:zh_TW",
        "lang:en",
    ]

    replies = await press(router, "lang:en")

    assert text_of(replies) == "I will speak English from now on."
    assert (await fetch_one(sessions, User, User.name == REP)).language == "en"


async def test_router_unknown_user_lang_applies_to_that_answer_only(
    router: Router, sessions: async_sessionmaker[AsyncSession]
) -> None:
    replies = await say(router, "/lang en", user_id=STRANGER)

    assert text_of(replies) == "I will speak English from now on."
    assert await count_rows(sessions, User, User.name == STRANGER) == 0


# --- the database going away -------------------------------------------------------------


@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
async def test_router_update_after_the_server_dropped_its_connections_is_run_again(
    router: Router, sessions: async_sessionmaker[AsyncSession], db_url: str
) -> None:
    """A PostgreSQL restart kills the pooled connections; the update that finds one dead
    runs again on a fresh one, and the rep never sees the apology."""
    await say(router, "/whoami")  # the pool now holds a live connection
    admin = create_async_engine(postgres_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        killed = await connection.scalar(
            sql(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE usename = :n"
            ),
            {"n": make_url(db_url).username},
        )
    await admin.dispose()

    replies = await say(router, "/lang en")

    assert killed >= 1
    assert text_of(replies) == translate(
        "I will speak {language} from now on.", "en", language="English"
    )
    rep = await fetch_one(sessions, User, User.name == REP)
    assert rep.language == "en"
