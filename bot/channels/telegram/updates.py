"""Telegram updates as `Incoming`: the one place that reads a Bot API update.

In a group only commands addressed to this bot (`/help@salesbot`) come through: the rest of a
group's chatter is not meant for us, and answering it could show a rep's data to the group.
"""

from __future__ import annotations

import re

from telegram import Chat, Message, Update

from bot.messages import Attachment, AttachmentKind, Incoming, Location, SharedContact

PLATFORM = "telegram"

_ADDRESSED = re.compile(r"^/[A-Za-z0-9_]+@(?P<bot>[A-Za-z0-9_]+)(?:\s|$)")
GROUP_TYPES = frozenset({Chat.GROUP, Chat.SUPERGROUP})


def to_incoming(update: Update, bot_username: str) -> Incoming | None:
    """The update as an `Incoming`, or None when it is not for us to answer."""
    if update.callback_query is not None:
        return _from_press(update)
    message = update.message
    if message is None or message.from_user is None or message.chat.type == Chat.CHANNEL:
        return None
    is_group = message.chat.type in GROUP_TYPES
    text = message.text or message.caption or ""
    if is_group and not _addressed_to(text, bot_username):
        return None
    user = message.from_user
    location = message.location
    return Incoming(
        channel=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(user.id),
        update_id=str(update.update_id),
        text=text,
        location=Location(location.latitude, location.longitude) if location else None,
        attachment=None if is_group else _attachment(message),
        contact=None if is_group else _contact(message),
        language_code=user.language_code,
        display_name=user.full_name,
        is_group=is_group,
    )


def _from_press(update: Update) -> Incoming | None:
    query = update.callback_query
    assert query is not None
    # A button on a message sent via inline mode has no chat we could answer in.
    if query.message is None or query.data is None:
        return None
    chat = query.message.chat
    return Incoming(
        channel=PLATFORM,
        chat_id=str(chat.id),
        user_id=str(query.from_user.id),
        update_id=str(update.update_id),
        button_data=query.data,
        language_code=query.from_user.language_code,
        display_name=query.from_user.full_name,
        is_group=chat.type in GROUP_TYPES,
    )


def _addressed_to(text: str, bot_username: str) -> bool:
    match = _ADDRESSED.match(text)
    return match is not None and match["bot"].casefold() == bot_username.casefold()


def _attachment(message: Message) -> Attachment | None:
    if message.photo:
        largest = message.photo[-1]
        return Attachment(
            AttachmentKind.PHOTO, largest.file_id, mime_type="image/jpeg", size=largest.file_size
        )
    if message.document is not None:
        document = message.document
        return Attachment(
            AttachmentKind.DOCUMENT,
            document.file_id,
            file_name=document.file_name,
            mime_type=document.mime_type,
            size=document.file_size,
        )
    if message.voice is not None:
        voice = message.voice
        return Attachment(
            AttachmentKind.VOICE, voice.file_id, mime_type=voice.mime_type, size=voice.file_size
        )
    return None


def _contact(message: Message) -> SharedContact | None:
    contact = message.contact
    if contact is None:
        return None
    name = " ".join(filter(None, [contact.first_name, contact.last_name]))
    return SharedContact(
        phone=contact.phone_number,
        name=name,
        platform_user_id=str(contact.user_id) if contact.user_id else None,
    )
