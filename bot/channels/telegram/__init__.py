"""Telegram: python-telegram-bot turns the Bot API into `Incoming` and our replies into messages.

`updates` reads updates, `render` plans messages, `limits` keeps us within flood control,
`channel` ties them to PTB's `Application` (polling or webhook).
"""

from __future__ import annotations

from telegram import Bot
from telegram.helpers import create_deep_linked_url

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.telegram.updates import PLATFORM
from bot.config import Settings

__all__ = ["PLATFORM", "TelegramChannel", "invite_link"]


async def invite_link(settings: Settings, code: str) -> str:
    """`https://t.me/<bot>?start=CODE`: opening it sends `/start CODE` to the bot."""
    assert settings.telegram_bot_token is not None
    bot = Bot(
        settings.telegram_bot_token.get_secret_value(),
        base_url=settings.telegram_api_base_url or "https://api.telegram.org/bot",
        base_file_url=settings.telegram_api_base_file_url or "https://api.telegram.org/file/bot",
    )
    async with bot:  # getMe, for the username
        return create_deep_linked_url(bot.username, code)
