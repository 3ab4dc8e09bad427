"""Configuration: every setting documented, secrets never printed."""

import re
from pathlib import Path

from bot.config import PROJECT_ROOT, Settings

ENV_EXAMPLE = PROJECT_ROOT / ".env.example"


def test_env_example_lists_every_setting_exactly() -> None:
    listed = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", ENV_EXAMPLE.read_text(), re.M))
    assert listed == {name.upper() for name in Settings.model_fields}


def test_env_example_empty_values_read_as_unset() -> None:
    settings = Settings(_env_file=ENV_EXAMPLE)
    assert settings.telegram_bot_token is None
    assert settings.time_zone == "Asia/Shanghai"


def test_settings_secret_token_not_in_repr(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:very-secret-token")
    settings = Settings(_env_file=None)
    assert settings.telegram_bot_token is not None
    assert settings.telegram_bot_token.get_secret_value() == "123456:very-secret-token"
    assert "very-secret-token" not in repr(settings)
    assert "very-secret-token" not in str(settings.model_dump())
