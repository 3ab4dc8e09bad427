"""Translations: every string the assistant can show exists in all three catalogs, intact."""

from __future__ import annotations

import string
from collections.abc import Iterator

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.config import LANGUAGES, PROJECT_ROOT, Language
from bot.i18n import _, language_from_platform, parse_language, set_language, using

LOCALE = PROJECT_ROOT / "locale"
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}
"""`_`, `ngettext` and friends, plus `N_` for msgids defined in one place and shown elsewhere."""


def _extracted() -> dict[str, list[str]]:
    """msgid (the singular for plurals) → where it is used, from every module of `bot/`."""
    found: dict[str, list[str]] = {}
    for path, line, message, _comments, _context in extract_from_dir(
        PROJECT_ROOT / "bot", method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault(msgid, []).append(f"bot/{path}:{line}")
    return found


EXTRACTED = _extracted()


def _catalog(language: Language) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        return read_po(po_file, locale=language)


def _placeholders(text: str) -> set[str]:
    return {field for _lit, field, _spec, _conv in string.Formatter().parse(text) if field}


def _translations(catalog: Catalog) -> Iterator[tuple[str, str, str]]:
    """(language, msgid, msgstr) for every extracted message, plural forms included."""
    for msgid in EXTRACTED:
        message = catalog.get(msgid)
        if message is None:
            yield str(catalog.locale), msgid, ""
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in strings:
            yield str(catalog.locale), ids[-1] if len(strings) > 1 else ids[0], form or ""


def test_i18n_extraction_finds_the_known_strings() -> None:
    """Guards the extraction itself, so an empty scan cannot pass the tests below."""
    assert "Nothing to cancel." in EXTRACTED
    assert "adding a customer" in EXTRACTED  # marked with N_
    assert len(EXTRACTED) > 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_i18n_every_string_is_translated(language: Language) -> None:
    catalog = _catalog(language)
    missing = [
        f"{msgid!r} ({', '.join(EXTRACTED[msgid])})"
        for msgid in EXTRACTED
        if catalog.get(msgid) is None or not catalog.get(msgid).string
    ]
    fuzzy = [msgid for msgid in EXTRACTED if catalog.get(msgid) and catalog.get(msgid).fuzzy]

    assert missing == [], f"untranslated in {language}:\n" + "\n".join(missing)
    assert fuzzy == [], f"fuzzy in {language}: {fuzzy}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_i18n_placeholders_match_between_msgid_and_msgstr(language: Language) -> None:
    wrong = [
        f"{msgid!r} → {msgstr!r}"
        for _lang, msgid, msgstr in _translations(_catalog(language))
        if msgstr and _placeholders(msgid) != _placeholders(msgstr)
    ]

    assert wrong == [], f"placeholders differ in {language}:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", ["zh_CN", "zh_TW"])
def test_i18n_chinese_catalogs_really_translate(language: Language) -> None:
    with using(language):
        assert _("Nothing to cancel.") != "Nothing to cancel."
        assert _("Stopped {task}. Nothing was saved.").format(task="x")


def test_i18n_using_restores_previous_language() -> None:
    set_language("en")
    with using("zh_TW"):
        inner = _("Nothing to cancel.")
    assert _("Nothing to cancel.") == "Nothing to cancel."
    with using("zh_TW"):
        assert _("Nothing to cancel.") == inner


@pytest.mark.parametrize(
    ("code", "language"),
    [
        ("zh-hant", "zh_TW"),
        ("zh-Hant-HK", "zh_TW"),
        ("zh-tw", "zh_TW"),
        ("zh-hk", "zh_TW"),
        ("zh-hans", "zh_CN"),
        ("zh", "zh_CN"),
        ("zh_CN", "zh_CN"),
        ("en-GB", "en"),
        ("en", "en"),
        ("fr", None),
        ("", None),
        (None, None),
    ],
)
def test_i18n_platform_code_maps_to_language(code: str | None, language: str | None) -> None:
    assert language_from_platform(code) == language


@pytest.mark.parametrize(
    ("typed", "language"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("zh_TW", "zh_TW"),
        ("zh-tw", "zh_TW"),
        ("繁體中文", "zh_TW"),
        ("简体", "zh_CN"),
        ("English", "en"),
        ("klingon", None),
    ],
)
def test_i18n_typed_language_is_understood(typed: str, language: str | None) -> None:
    assert parse_language(typed) == language
