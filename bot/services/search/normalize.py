"""Text folding and pinyin helpers shared by key builders and query parsing.

Everything here is cheap and deterministic: the query side only folds text and looks characters
up in a static table, so pypinyin is never called while answering a query.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import opencc

from bot.services.search._char_pinyin import EXTRA, TABLE

# hk2s and tw2s are supersets of t2s that also fold Hong Kong / Taiwan variant glyphs.
_CONVERTERS = (opencc.OpenCC("hk2s"), opencc.OpenCC("tw2s"))

# Brackets and separators a rep's IME may produce in either width; NFKC handles most full-width
# forms, these are the CJK ones it leaves alone.
_PUNCT_FOLD = str.maketrans(
    {
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "［": "(",
        "］": ")",
        "《": "(",
        "》": ")",
        "「": "(",
        "」": ")",
        "『": "(",
        "』": ")",
        "、": ",",
        "。": ".",
        "·": " ",
        "•": " ",
        "～": "~",
        "—": "-",
        "–": "-",
        "－": "-",
        "×": "x",
        "✕": "x",
        "＊": "x",
        "*": "x",
    }
)

_SPACE_RE = re.compile(r"\s+")

TABLE_CHUNK = 40

MAX_QUERY_CHARS = 200
"""Longer input is truncated: no real name or model is longer, and it bounds query cost."""


def is_hanzi(ch: str) -> bool:
    """True for a CJK ideograph (the characters pinyin applies to).

    Code point ranges rather than a regex: this runs for every character of every name while
    the index is built, where a regex call per character costs seconds at 100k.
    """
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def to_simplified(text: str) -> str:
    """Traditional, Taiwan and Hong Kong forms to Simplified."""
    for conv in _CONVERTERS:
        text = conv.convert(text)
    return text


@lru_cache(maxsize=1024)
def fold(text: str) -> str:
    """NFKC, lower case, Simplified, CJK punctuation folded, spaces collapsed.

    The same folding runs on stored names and on queries so that 長/长, ＡＢＣ/abc and （）/()
    compare equal. A search folds its query in each index and parser it passes through, and
    OpenCC's two conversions are most of a fold, so recent folds are kept; ASCII has nothing
    for OpenCC to convert.
    """
    text = unicodedata.normalize("NFKC", text or "")[: MAX_QUERY_CHARS * 2].lower()
    if not text.isascii():
        text = to_simplified(text)
    text = text.translate(_PUNCT_FOLD)
    return _SPACE_RE.sub(" ", text).strip()[:MAX_QUERY_CHARS]


def fold_literal(text: str) -> str:
    """:func:`fold` without the Traditional-to-Simplified step, spaces removed.

    OpenCC also folds some characters that Simplified names use in their own right (昇 → 升),
    so 昇洋 and 升洋 fold alike; comparing the literal forms tells them apart again.
    """
    text = unicodedata.normalize("NFKC", text or "")[: MAX_QUERY_CHARS * 2]
    return _SPACE_RE.sub("", text.lower().translate(_PUNCT_FOLD))[:MAX_QUERY_CHARS]


def _load_table() -> dict[str, tuple[str, ...]]:
    readings: dict[str, list[str]] = {}
    # TABLE lists each character under its most common reading, EXTRA under the others, so the
    # first reading loaded is the one an IME user most likely meant.
    for line in (TABLE + "\n" + EXTRA).split():
        syl, chars = line.split(":")
        for ch in chars:
            if syl not in readings.setdefault(ch, []):
                readings[ch].append(syl)
    return {ch: tuple(syls) for ch, syls in readings.items()}


CHAR_READINGS: dict[str, tuple[str, ...]] = _load_table()
"""Toneless readings of the GB2312 characters, most common first."""

# Vowel-less interjection readings (嗯 n/ng, 呣 m) would let every "…n" or "…ng" split off a
# syllable; no trade name is written with them, so segmentation ignores them.
SYLLABLES: frozenset[str] = frozenset(
    s for rs in CHAR_READINGS.values() for s in rs if set(s) & set("aeiouv")
)
_MAX_SYLLABLE = max(map(len, SYLLABLES))


def char_readings(ch: str) -> tuple[str, ...]:
    """All toneless readings of one character (empty when unknown)."""
    return CHAR_READINGS.get(ch, ())


@lru_cache(maxsize=4096)
def segment_pinyin(text: str, limit: int = 8) -> tuple[tuple[str, ...], ...]:
    """Split an unspaced latin run into toneless syllables, every reading up to ``limit``.

    ``xian`` yields both ``(xian,)`` and ``(xi, an)``; fewer syllables come first because a rep
    typing a name rarely means the split reading. An apostrophe forces a boundary.
    """
    parts = [p for p in re.split(r"[\s']+", text) if p]
    results: list[tuple[str, ...]] = [()]
    for part in parts:
        segs = list(_segment_run(part, limit))
        if not segs:
            return ()
        results = [r + s for r in results for s in segs][:limit]
    results.sort(key=len)
    return tuple(results[:limit])


def _segment_run(run: str, limit: int) -> Iterator[tuple[str, ...]]:
    n = len(run)
    # reach[i]: run[i:] can be fully segmented; pruning keeps the search linear in practice.
    reach = [False] * (n + 1)
    reach[n] = True
    for i in range(n - 1, -1, -1):
        reach[i] = any(
            run[i:j] in SYLLABLES and reach[j] for j in range(i + 1, min(n, i + _MAX_SYLLABLE) + 1)
        )
    if not reach[0]:
        return
    count = 0
    stack: list[tuple[int, tuple[str, ...]]] = [(0, ())]
    while stack and count < limit:
        i, acc = stack.pop()
        if i == n:
            count += 1
            yield acc
            continue
        # Push shorter syllables first so the longest (most natural) split pops first.
        for j in range(i + 1, min(n, i + _MAX_SYLLABLE) + 1):
            if run[i:j] in SYLLABLES and reach[j]:
                stack.append((j, (*acc, run[i:j])))


def generate_char_table() -> tuple[str, str]:
    """Rebuild the static reading tables from pypinyin (used to check ``_char_pinyin``).

    Returns ``(TABLE, EXTRA)``: each character under its most common reading, then under the
    other readings of polyphones.
    """
    from pypinyin import Style, pinyin
    from pypinyin.pinyin_dict import pinyin_dict

    primary: dict[str, list[str]] = {}
    extra: dict[str, list[str]] = {}
    for cp in range(0x4E00, 0xA000):
        ch = chr(cp)
        if cp not in pinyin_dict:
            continue
        try:
            ch.encode("gb2312")
        except UnicodeEncodeError:
            continue
        seen: list[str] = []
        for reading in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
            if reading.isascii() and reading.isalpha() and reading not in seen:
                seen.append(reading)
        for rank, reading in enumerate(seen):
            (extra if rank else primary).setdefault(reading, []).append(ch)
    return _table_text(primary), _table_text(extra)


def _table_text(by_syllable: dict[str, list[str]]) -> str:
    # Chunked so every line stays within the project's line length (hanzi are double width).
    return "\n".join(
        f"{syl}:{''.join(chars[i : i + TABLE_CHUNK])}"
        for syl, chars in sorted(by_syllable.items())
        for i in range(0, len(chars), TABLE_CHUNK)
    )
