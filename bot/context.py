"""What a handler or dialog step gets besides the `Incoming`: the unit of work and the user."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Language, Settings
from storage.models import DialogState, User

if TYPE_CHECKING:
    from bot.dialogs.engine import DialogEngine
    from bot.services.search.service import SearchService


@dataclass(slots=True)
class Context:
    """Per-update state. `session` is the update's one transaction, committed by the router."""

    session: AsyncSession
    settings: Settings
    user: User | None
    language: Language
    clock: Callable[[], datetime]
    dialogs: DialogEngine
    search: SearchService
    dialog: DialogState | None = None
    """The chat's saved dialog, read with the user; the dialog engine locks it before use."""

    def now(self) -> datetime:
        return self.clock()

    @property
    def zone(self) -> ZoneInfo:
        """The user's time zone, where 今天 and 下周三 are meant and dates are shown."""
        user_zone = self.user.time_zone if self.user is not None else None
        return ZoneInfo(user_zone or self.settings.time_zone)

    def local_now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def local(self, moment: datetime) -> datetime:
        """A stored (UTC) moment as the user reads it."""
        return moment.astimezone(self.zone)

    @property
    def known_user(self) -> User:
        """The user, for handlers the router only calls for known users."""
        if self.user is None:
            raise LookupError("handler reached without a known user")
        return self.user
