"""Settings from the environment and `.env`; every one is listed in `.env.example`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Language = Literal["zh_CN", "zh_TW", "en"]
LANGUAGES: tuple[Language, ...] = ("zh_CN", "zh_TW", "en")


class Settings(BaseSettings):
    """The assistant's configuration. Secrets are `SecretStr` so they never print."""

    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", env_ignore_empty=True
    )

    database_url: str = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'salesbot.db'}"
    default_language: Language = "zh_CN"
    time_zone: str = "Asia/Shanghai"
    log_level: str = "INFO"
    locale_dir: Path = PROJECT_ROOT / "locale"

    dialog_idle_minutes: int = Field(
        default=30, ge=1, description="A dialog untouched this long is dropped."
    )
    max_message_chars: int = Field(default=4000, ge=100)
    invite_valid_days: int = Field(default=7, ge=1)
    others_customers: Literal["name_only", "hidden"] = "name_only"
    visit_cadence_days: dict[Literal["A", "B", "C"], int] = {"A": 91, "B": 182, "C": 365}
    """Visit each grade at least this often (DOMAIN: A 3, B 6, C 12 months); past it, overdue."""
    visit_edit_days: int = Field(default=7, ge=0)
    push_poll_seconds: float = Field(default=1.0, gt=0)

    telegram_bot_token: SecretStr | None = None
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_base_url: str | None = None
    telegram_api_base_file_url: str | None = None
    telegram_messages_per_second: float = Field(
        default=30.0, gt=0, description="Pushes stay under Telegram's overall flood limit."
    )

    wecom_corp_id: str | None = None
    wecom_agent_id: str | None = None
    wecom_secret: SecretStr | None = None
    wecom_token: SecretStr | None = None
    wecom_aes_key: SecretStr | None = None

    web_host: str = "127.0.0.1"
    web_port: int = 8080
    media_dir: Path = PROJECT_ROOT / "media"

    @field_validator(
        "telegram_bot_token",
        "telegram_webhook_url",
        "telegram_webhook_secret",
        "telegram_api_base_url",
        "telegram_api_base_file_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """`TELEGRAM_BOT_TOKEN=` as copied from `.env.example` means off, not an empty token."""
        return None if value == "" else value

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        ZoneInfo(value)
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@lru_cache
def get_settings() -> Settings:
    return Settings()
