"""Translations: gettext catalogs per language, the active one held in a `ContextVar`.

The `.po` files under `locale/` are the source of truth; they are compiled in memory with Babel
when first needed, so there is no build step and no stale `.mo` to forget.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import LANGUAGES, Language, get_settings

DOMAIN = "messages"

_current: ContextVar[Language | None] = ContextVar("salesbot_language", default=None)

_PLATFORM_CODES: dict[str, Language] = {
    "zh-hans": "zh_CN",
    "zh-cn": "zh_CN",
    "zh-sg": "zh_CN",
    "zh-my": "zh_CN",
    "zh-hant": "zh_TW",
    "zh-tw": "zh_TW",
    "zh-hk": "zh_TW",
    "zh-mo": "zh_TW",
}

LANGUAGE_NAMES: dict[Language, str] = {"zh_CN": "简体中文", "zh_TW": "繁體中文", "en": "English"}


def language_from_platform(code: str | None) -> Language | None:
    """Map a platform language code (Telegram's `zh-hant`, WeCom's `zh_CN`, `en-GB`) to ours.

    A bare `zh` is Simplified, as Telegram sends it for Simplified clients.
    """
    if not code:
        return None
    normalized = code.strip().lower().replace("_", "-")
    if normalized in _PLATFORM_CODES:
        return _PLATFORM_CODES[normalized]
    if normalized == "zh" or normalized.startswith("zh-hans"):
        return "zh_CN"
    if normalized.startswith("zh-hant"):
        return "zh_TW"
    if normalized.startswith("en"):
        return "en"
    return None


def parse_language(text: str) -> Language | None:
    """Read what a user typed after `/lang`: `en`, `zh_TW`, `zh-hant`, `繁體`, `简体`."""
    lowered = text.strip().lower().replace("-", "_")
    for language in LANGUAGES:
        if lowered == language.lower():
            return language
    by_name = {"简体": "zh_CN", "簡體": "zh_CN", "繁体": "zh_TW", "繁體": "zh_TW", "english": "en"}
    for name, language in by_name.items():
        if lowered.startswith(name):
            return language  # type: ignore[return-value]
    return language_from_platform(lowered.replace("_", "-"))


@cache
def _catalog(language: Language, locale_dir: Path) -> gettext.GNUTranslations:
    po_path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def current_language() -> Language:
    return _current.get() or get_settings().default_language


def set_language(language: Language) -> None:
    _current.set(language)


@contextmanager
def using(language: Language) -> Iterator[None]:
    """Translate in `language` for the duration of the block (a push to another user)."""
    token = _current.set(language)
    try:
        yield
    finally:
        _current.reset(token)


def N_(message: str) -> str:
    """Mark a msgid for extraction where it is defined; it is translated where it is shown."""
    return message


def _(message: str) -> str:
    """Translate `message` into the language of the update being handled."""
    return _catalog(current_language(), get_settings().locale_dir).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog(current_language(), get_settings().locale_dir).ngettext(singular, plural, n)
