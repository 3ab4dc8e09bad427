"""The channel-neutral vocabulary: what a user sent (`Incoming`) and what we answer (`Reply`).

Platform ids are strings and always travel with the channel name, because two platforms' ids
can collide. Nothing outside `bot/channels/` ever sees a raw platform payload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

BUTTON_DATA_MAX_BYTES = 64
"""Telegram's callback_data limit; the tightest of our platforms, so everyone obeys it."""

_COMMAND = re.compile(r"^/(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:@\S+)?(?:\s+(?P<args>.*))?$", re.S)


class AttachmentKind(StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"
    VOICE = "voice"


@dataclass(frozen=True, slots=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file the user sent; `file_ref` is the platform's handle to fetch it later."""

    kind: AttachmentKind
    file_ref: str
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None


@dataclass(frozen=True, slots=True)
class SharedContact:
    """A phone contact the user shared (a customer's buyer, say), not the user themself."""

    phone: str
    name: str
    platform_user_id: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    """One update from one user on one channel."""

    channel: str
    chat_id: str
    user_id: str
    update_id: str | None = None
    text: str = ""
    button_data: str | None = None
    location: Location | None = None
    attachment: Attachment | None = None
    contact: SharedContact | None = None
    language_code: str | None = None
    display_name: str | None = None
    is_group: bool = False

    @property
    def command(self) -> str | None:
        """The command name without slash or bot suffix, lower-cased; None for plain text."""
        match = _COMMAND.match(self.text.strip())
        return match["name"].lower() if match else None

    @property
    def args(self) -> str:
        match = _COMMAND.match(self.text.strip())
        return (match["args"] or "").strip() if match else ""


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str

    def __post_init__(self) -> None:
        if len(self.data.encode()) > BUTTON_DATA_MAX_BYTES:
            raise ValueError(f"button data over {BUTTON_DATA_MAX_BYTES} bytes: {self.data!r}")


@dataclass(frozen=True, slots=True)
class Media:
    """An image or document to send: bytes made here, or a path on disk."""

    file_name: str
    content: bytes | None = None
    path: str | None = None
    caption: str | None = None


@dataclass(frozen=True, slots=True)
class Reply:
    """One message to show. `edit` asks the channel to replace the previous message.

    A `notice` is a short remark about the press itself (a stale button): platforms with
    transient pop-ups show it as one instead of adding a message to the chat.
    """

    text: str = ""
    buttons: tuple[tuple[Button, ...], ...] = field(default=())
    image: Media | None = None
    document: Media | None = None
    edit: bool = False
    notice: bool = False

    def to_dict(self) -> dict[str, object]:
        """A JSON form, so replies can wait in the outbox."""
        return {
            "text": self.text,
            "buttons": [[[b.label, b.data] for b in row] for row in self.buttons],
            "edit": self.edit,
        }

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Reply:
        rows = data.get("buttons") or []
        assert isinstance(rows, list)
        return cls(
            text=str(data.get("text", "")),
            buttons=tuple(tuple(Button(label, value) for label, value in row) for row in rows),
            edit=bool(data.get("edit", False)),
        )


@dataclass(frozen=True, slots=True)
class InlineResult:
    """One answer to a query typed in any chat (Telegram's `@bot 华为`), ready to share."""

    id: str
    title: str
    description: str
    message_text: str


def buttons(
    *rows: list[tuple[str, str]] | tuple[tuple[str, str], ...],
) -> tuple[tuple[Button, ...], ...]:
    """Build button rows from `(label, data)` pairs."""
    return tuple(tuple(Button(label, data) for label, data in row) for row in rows)
