"""Write-time search keys for a customer row.

The result is plain JSON stored beside the row; :class:`CustomerIndex` is rebuilt from it at start
without calling pypinyin or OpenCC again. Bump :data:`KEYS_VERSION` whenever the shape or the
folding changes so stored keys get recomputed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pypinyin import Style, lazy_pinyin

from bot.services.search.normalize import char_readings, fold, is_hanzi
from bot.services.search.vocab import (
    CITIES,
    INDUSTRY_WORDS,
    LEGAL_FORMS,
    PLACE_PINYIN,
    PLACE_SUFFIXES,
    PROVINCES,
)

KEYS_VERSION = 1

_PLACES = sorted(set(PROVINCES) | set(CITIES), key=len, reverse=True)
_INDUSTRY = sorted(set(INDUSTRY_WORDS), key=len, reverse=True)
_BRACKET_RE = re.compile(r"\(([^()]{1,12})\)")
_DIGITS_RE = re.compile(r"\d+")
MIN_CORE = 2
"""A trade name (字号) has at least two characters; splitting never leaves a shorter core."""


def customer_keys(
    name: str,
    aliases: Sequence[str] = (),
    phone: str | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """Compute the stored search keys of one customer.

    Returns ``{"v", "text", "py", "alt", "spans", "aliases", "phones"}``:

    - ``text``: the folded name without spaces;
    - ``py``: its toneless pinyin in context, one space-separated syllable per character of
      ``text`` (non-hanzi keep the character);
    - ``alt``: the other readings of polyphones, ``[[pos, [syllable, ...]], ...]``;
    - ``spans``: ``[start, end)`` of ``region``, ``core``, ``industry``, ``legal`` in ``text``
      (``None`` when absent);
    - ``aliases``: ``[{"text", "py"}, ...]``; ``phones``: digit strings a rep may type.

    ``region`` is the row's region column; it only helps recognise a city missing from the
    built-in gazetteer.
    """
    text = _compact(name)
    syllables, alt = _pinyin(text)
    extra_places = _places_from_region(region)
    return {
        "v": KEYS_VERSION,
        "text": text,
        "py": " ".join(syllables),
        "alt": alt,
        "spans": split_name(text, extra_places),
        "aliases": [
            {"text": t, "py": " ".join(_pinyin(t)[0])} for t in (_compact(a) for a in aliases) if t
        ],
        "phones": phone_keys(phone),
    }


def _compact(text: str) -> str:
    return fold(text).replace(" ", "")


def _pinyin(text: str) -> tuple[list[str], list[list[Any]]]:
    """Context pinyin per character plus the other readings of polyphones."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors=lambda s: list(s))
    if len(syllables) != len(text):  # pypinyin merged a run; fall back to char by char
        syllables = [lazy_pinyin(ch, style=Style.NORMAL)[0] if is_hanzi(ch) else ch for ch in text]
    for place, readings in PLACE_PINYIN.items():
        for m in re.finditer(re.escape(place), text):
            syllables[m.start() : m.end()] = list(readings)
    alt: list[list[Any]] = []
    for pos, ch in enumerate(text):
        others = [r for r in char_readings(ch) if r != syllables[pos]]
        if others and is_hanzi(ch):
            alt.append([pos, others])
    return syllables, alt


def _places_from_region(region: str | None) -> list[str]:
    """Place names from a region column such as 江苏省苏州市 (省/市 stripped)."""
    if not region:
        return []
    parts = re.split("|".join(PLACE_SUFFIXES), fold(region))
    return [p for p in parts if len(p) >= 2]


def _match_place(text: str, pos: int, extra: Sequence[str]) -> int:
    """End offset of a place name (with its 省/市 suffix) starting at ``pos``, or ``pos``."""
    for place in (*extra, *_PLACES):
        if text.startswith(place, pos):
            end = pos + len(place)
            for suffix in PLACE_SUFFIXES:
                if text.startswith(suffix, end):
                    return end + len(suffix)
            return end
    return pos


def split_name(text: str, extra_places: Sequence[str] = ()) -> dict[str, list[int] | None]:
    """Split a folded name into region, core (字号), industry words and legal form.

    Handles 苏州华为技术有限公司, 华为技术(苏州)有限公司 and 华为技术有限公司苏州分公司.
    The split is a best effort: it only feeds ranking bonuses, never recall.
    """
    start, end = 0, len(text)
    region: list[int] | None = None
    legal_start = end
    # Legal forms stack at the end (有限公司 + 苏州 + 分公司), so peel repeatedly.
    changed = True
    while changed:
        changed = False
        for form in LEGAL_FORMS:
            if text.endswith(form, start, legal_start) and legal_start - len(form) > start:
                legal_start -= len(form)
                changed = True
                break
        if changed:
            continue
        for place in (*extra_places, *_PLACES):
            # A place between two legal forms (…有限公司苏州分公司) is the branch's region.
            pos = text.rfind(place, start, legal_start)
            if pos > start and _match_place(text, pos, extra_places) == legal_start:
                if legal_start < end and pos - start >= MIN_CORE:
                    region = [pos, legal_start]
                    legal_start = pos
                    changed = True
                break
    legal = [legal_start, end] if legal_start < end else None
    body_end = legal_start
    bracket = _BRACKET_RE.search(text, start, body_end)
    if bracket and bracket.end() == body_end:
        region = [bracket.start(), bracket.end()]
        body_end = bracket.start()
    region_end = start
    for _ in range(2):  # province then city: 江苏省苏州市
        nxt = _match_place(text, region_end, extra_places)
        if nxt == region_end or body_end - nxt < MIN_CORE:
            break
        region_end = nxt
    if region_end > start:
        region = [start, region_end]
    core_start = region_end
    core_end = body_end
    changed = True
    while changed:
        changed = False
        for word in _INDUSTRY:
            if text.endswith(word, core_start, core_end) and (
                core_end - len(word) - core_start >= MIN_CORE
            ):
                core_end -= len(word)
                changed = True
                break
    industry = [core_end, body_end] if core_end < body_end else None
    return {"region": region, "core": [core_start, core_end], "industry": industry, "legal": legal}


def phone_keys(phone: str | None) -> list[str]:
    """Digit strings a rep may type for this phone: full, without area code, without +86."""
    if not phone:
        return []
    groups = _DIGITS_RE.findall(phone)
    digits = "".join(groups)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    keys = [digits] if digits else []
    if len(groups) >= 2 and groups[0].startswith("0"):
        keys.append("".join(groups[1:]))
    elif digits.startswith("0") and len(digits) >= 10:
        # Unseparated landline: area codes are 3 digits for big cities (010, 02x), else 4.
        cut = 3 if digits[1] in "12" else 4
        keys.append(digits[cut:])
    return keys
