"""Telegram rendering, update mapping and flood limits: the pure parts, without a network."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.channels.telegram.limits import SendLimiter
from bot.channels.telegram.render import (
    CAPTION_LIMIT,
    PartKind,
    plan,
    split_text,
    to_html,
    utf16_length,
)
from bot.channels.telegram.updates import to_incoming
from bot.messages import AttachmentKind, Media, Reply

BOT = "salesbot_test_bot"


def update(**message: Any) -> Update:
    body = {
        "message_id": 5,
        "date": 1_700_000_000,
        "chat": {"id": 42, "type": "private"},
        "from": {"id": 42, "is_bot": False, "first_name": "娜", "last_name": "李"},
        **message,
    }
    result = Update.de_json({"update_id": 77, "message": body}, None)
    assert result is not None
    return result


def test_split_text_over_limit_breaks_at_a_line_and_keeps_every_line() -> None:
    lines = [f"客户{n:04d} 🏢" for n in range(600)]
    chunks = split_text("\n".join(lines), 4096)
    assert len(chunks) == 2
    assert all(utf16_length(chunk) <= 4096 for chunk in chunks)
    assert "\n".join(chunks).splitlines() == lines


def test_split_text_without_spaces_cuts_hard_at_the_limit() -> None:
    assert [len(chunk) for chunk in split_text("字" * 5000, 4096)] == [4096, 904]


def test_plan_long_caption_continues_as_text_messages() -> None:
    reply = Reply("说明 " * 600, image=Media(file_name="chart.png", content=b"png"))
    parts = plan(reply)
    assert parts[0].kind is PartKind.PHOTO
    assert utf16_length(parts[0].text) <= CAPTION_LIMIT
    assert [part.kind for part in parts[1:]] == [PartKind.TEXT]


def test_to_html_escapes_names_with_markup_characters() -> None:
    assert to_html("<Acme> & Sons") == "&lt;Acme&gt; &amp; Sons"


def test_to_incoming_photo_carries_the_largest_size_and_caption() -> None:
    photos = [
        {"file_id": "small", "file_unique_id": "s", "width": 90, "height": 90},
        {"file_id": "large", "file_unique_id": "l", "width": 1280, "height": 960},
    ]
    incoming = to_incoming(update(photo=photos, caption="门头照片"), BOT)
    assert incoming is not None and incoming.attachment is not None
    assert (incoming.attachment.kind, incoming.attachment.file_ref) == (
        AttachmentKind.PHOTO,
        "large",
    )
    assert (incoming.text, incoming.update_id) == ("门头照片", "77")
    assert incoming.display_name == "娜 李"


def test_to_incoming_contact_and_location_are_carried() -> None:
    contact = {"phone_number": "+8613800000000", "first_name": "建国", "last_name": "王"}
    shared = to_incoming(update(contact=contact), BOT)
    located = to_incoming(update(location={"latitude": 31.3, "longitude": 120.6}), BOT)
    assert shared is not None and shared.contact is not None
    assert (shared.contact.phone, shared.contact.name) == ("+8613800000000", "建国 王")
    assert located is not None and located.location is not None
    assert located.location.latitude == 31.3


def test_to_incoming_group_message_not_addressed_to_the_bot_is_ignored() -> None:
    group = {"id": -100, "type": "supergroup", "title": "华东一组"}
    assert to_incoming(update(chat=group, text="/help"), BOT) is None
    assert to_incoming(update(chat=group, text="/help@other_bot"), BOT) is None
    addressed = to_incoming(update(chat=group, text=f"/help@{BOT}"), BOT)
    assert addressed is not None and addressed.is_group and addressed.command == "help"


class FakeTime:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_send_limiter_bulk_sends_are_paced_to_the_overall_rate() -> None:
    time = FakeTime()
    limiter = SendLimiter(overall_per_second=30, clock=time, sleep=time.sleep)
    for chat in range(90):
        await limiter.wait_turn(str(chat), bulk=True)
    # 30 go at once (the burst), the next 60 at 30 a second.
    assert 1.9 <= time.now <= 2.1


async def test_send_limiter_one_private_chat_gets_one_message_a_second_after_a_burst() -> None:
    time = FakeTime()
    limiter = SendLimiter(clock=time, sleep=time.sleep)
    for _ in range(6):
        await limiter.wait_turn("42", bulk=False)
    assert time.now == 3.0


async def test_send_limiter_retry_after_pauses_every_chat() -> None:
    time = FakeTime()
    limiter = SendLimiter(clock=time, sleep=time.sleep)
    limiter.pause(5)
    await limiter.wait_turn("7", bulk=False)
    assert time.now == 5.0
