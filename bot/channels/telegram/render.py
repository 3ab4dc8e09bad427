"""Replies the Telegram way: HTML-escaped text, inline keyboards, limits on message length.

Planning is pure (a `Reply` becomes a list of `Part`s), so the splitting rules are tested
without a network; the channel only executes the plan.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.messages import Button, Media, Reply

TEXT_LIMIT = 4096
"""sendMessage / editMessageText: characters after entity parsing, counted in UTF-16."""
CAPTION_LIMIT = 1024
NOTICE_LIMIT = 200
"""answerCallbackQuery text."""


class PartKind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class Part:
    """One Bot API message: plain `text` (the message, or the media's caption)."""

    kind: PartKind
    text: str
    media: Media | None = None


def utf16_length(text: str) -> int:
    """Telegram counts length in UTF-16 code units: an emoji such as 🏢 counts twice."""
    return len(text.encode("utf-16-le")) // 2


def _fitting_prefix(text: str, limit: int) -> int:
    """How many characters of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def split_first(text: str, limit: int) -> tuple[str, str]:
    """The longest head within `limit`, cut at a line break, else a space, else anywhere."""
    if utf16_length(text) <= limit:
        return text, ""
    cut = _fitting_prefix(text, limit)
    for separator in ("\n", " "):
        at = text.rfind(separator, 0, cut + 1)
        # A cut in the first half would leave a stub message; a hard cut reads better then.
        if at > cut // 2:
            return text[:at], text[at + 1 :]
    return text[:cut], text[cut:]


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in messages of at most `limit`; nothing for an empty text."""
    chunks: list[str] = []
    rest = text
    while rest.strip():
        head, rest = split_first(rest, limit)
        if head.strip():
            chunks.append(head)
    return chunks


def plan(reply: Reply) -> list[Part]:
    """The messages one reply becomes; its buttons belong on the last of them.

    The reply's text captions the first media unless that media has a caption of its own;
    what does not fit a caption follows as text messages.
    """
    parts: list[Part] = []
    text = reply.text
    media_items = [
        (kind, media)
        for kind, media in ((PartKind.PHOTO, reply.image), (PartKind.DOCUMENT, reply.document))
        if media is not None
    ]
    for kind, media in media_items:
        caption = media.caption or text
        if not media.caption:
            text = ""
        head, rest = split_first(caption, CAPTION_LIMIT)
        parts.append(Part(kind, head, media))
        parts += [Part(PartKind.TEXT, chunk) for chunk in split_text(rest)]
    parts += [Part(PartKind.TEXT, chunk) for chunk in split_text(text)]
    return parts


def to_html(text: str) -> str:
    """Plain text made safe for parse_mode=HTML (customer names contain `<` and `&`)."""
    return html.escape(text, quote=False)


def keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        tuple(
            tuple(InlineKeyboardButton(button.label, callback_data=button.data) for button in row)
            for row in rows
        )
    )


def notice_text(text: str) -> str:
    head, rest = split_first(text, NOTICE_LIMIT - 1)
    return f"{head}…" if rest else head
