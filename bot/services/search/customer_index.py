"""In-memory customer search built only from stored :func:`customer_keys` dicts.

Three posting maps (character bigrams, syllable bigrams, initials trigrams) find candidates;
a small scorer then ranks them so that what a rep trusts comes first: exact, prefix, trade name,
pinyin, sound-alike, fuzzy, initials.
"""

from __future__ import annotations

import re
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import pairwise, product
from typing import Any

from rapidfuzz import fuzz

from bot.services.search.normalize import (
    char_readings,
    fold,
    fold_literal,
    is_hanzi,
    segment_pinyin,
)
from bot.services.search.results import CustomerRecord, Hit

# Tier scores: a better kind of match always outranks a worse one; bonuses stay below the gaps.
EXACT_SCORE = 100.0
ALIAS_SCORE = 95.0
PREFIX_SCORE = 90.0
TRADE_NAME_SCORE = 86.0  # region typed differently (苏州华为 for 华为技术(苏州)有限公司)
SUBSTRING_SCORE = 82.0
PHONE_SCORE = 80.0
PINYIN_SCORE = 72.0
HOMOPHONE_SCORE = 66.0
FUZZY_SCORE = 55.0
INITIALS_SCORE = 50.0

BOUNDARY_BONUS = 2.0
"""Added when a match starts, and again when it ends, on a name part (region, core, industry)."""
LITERAL_BONUS = 10.0
"""Added when the query as typed (before Simplified folding) occurs in the name as written:
昇洋 is 湖州昇洋…, not 升洋和…, though both fold to 升洋. Exceeds the prefix/trade-name gap."""
ALT_READING_PENALTY = 0.5
"""A polyphone matched by its less likely reading is slightly less convincing."""
FUZZY_MIN_RATIO = 75.0
"""rapidfuzz ratio below which two strings are not one typo apart (1 of 4 chars wrong)."""
FUZZY_WEIGHT = 0.1
"""Scales a 75–100 ratio into a 7.5–10 point spread inside the fuzzy tier."""

COMMON_GRAM_SHARE = 20
"""A gram in over 1/20 of all names (有限, 公司, gong si) tells nothing; skipped if possible."""
MIN_COMMON_POSTING = 500
"""On tiny indexes every gram is "common"; below this length a posting is always used."""
MAX_CANDIDATES = 400
"""Candidates verified per path; enough for every shared core at 100k, bounded for latency."""
MAX_VARIANTS = 8
"""Pinyin segmentations × polyphone readings tried per query."""
MIN_INITIALS = 3
"""Two letters match thousands of names; initials search needs at least three."""
MIN_PHONE_DIGITS = 6
NO_INITIAL = "_"
MIN_LATIN_INFIX = 4
"""Latin names are stored without spaces, so a short word ("met") would hide inside one
("acmetrading"); inside a name a Latin query needs this many letters to count."""
REGION_SPLIT_PENALTY = 1.0
"""A region typed in front of a trade name the name carries elsewhere is a looser match."""
MIN_SPLIT_UNITS = 2
MIN_REGION_LETTERS = 4
MAX_REGION_LETTERS = 24
"""Length bounds of a region typed in pinyin (xian … wulumuqishi)."""
"""What follows a typed region must be a whole trade name (2 characters or more)."""

_LATIN_RUN_RE = re.compile(r"[a-z][a-z' ]*")
_PHONE_RE = re.compile(r"^\+?[\d\s\-()]+$")

Unit = tuple[str | None, frozenset[str], str]
"""A query position: the typed hanzi (None for pinyin), the syllables it may stand for, and the
most likely one."""


Postings = defaultdict[str, array]
"""Key → slots, as compact int arrays; read with `.get` or after `in`, so lookups never add."""


def _postings() -> Postings:
    return defaultdict(partial(array, "i"))


def _postings_add(index: Postings, keys: Iterable[str], slot: int) -> None:
    """Add `slot` under every key; one call per posting map keeps a 100k build in seconds."""
    for key in keys:
        index[key].append(slot)


class CustomerIndex:
    """Customer search over stored keys; rebuild with :meth:`build`, keep fresh with upsert."""

    def __init__(self) -> None:
        self._ids: list[int] = []
        self._slot: dict[int, int] = {}
        self._owner: list[int | None] = []
        self._text: list[str] = []
        # Per character the readings, most likely first; tuples are shared between records.
        self._py: list[tuple[tuple[str, ...], ...]] = []
        self._starts = array("Q")
        self._ends = array("Q")
        self._initials: list[str] = []
        self._exact = _postings()
        self._phone = _postings()
        self._bigram = _postings()
        self._sylgram = _postings()
        self._initgram = _postings()
        self._regions: set[str] = set()
        # Toneless pinyin of each region name (changchun, changchunshi) → the region names.
        self._region_py: dict[str, set[str]] = {}
        # Names whose literal form differs from the folded text (昇 kept as written); few.
        self._literal: dict[int, str] = {}
        self._learned: dict[str, set[str]] = {}

    @classmethod
    def build(cls, records: Iterable[CustomerRecord]) -> CustomerIndex:
        """Index every record; only the stored key dicts are read."""
        index = cls()
        for record in records:
            index.upsert(record)
        return index

    def __len__(self) -> int:
        return len(self._slot)

    def upsert(self, record: CustomerRecord) -> None:
        """Add or replace one customer (old postings are left as tombstones)."""
        self.remove(record.id)
        keys = record.keys
        slot = len(self._ids)
        self._slot[record.id] = slot
        self._ids.append(record.id)
        self._owner.append(record.owner_id)
        text: str = keys["text"]
        alt = {int(pos): syls for pos, syls in keys.get("alt") or ()}
        py = tuple(_intern((syl, *alt.get(i, ()))) for i, syl in enumerate(keys["py"].split(" ")))
        self._text.append(text)
        self._py.append(py)
        if record.name:
            literal = fold_literal(record.name)
            if literal != text:
                self._literal[slot] = literal
        starts, ends = _anchors(text, keys.get("spans") or {})
        self._starts.append(starts)
        self._ends.append(ends)
        hanzi = [is_hanzi(ch) for ch in text]
        # Only hanzi have initials: a Latin name's letters would make every short word match.
        initials = "".join(
            group[0][0] if is_cjk else NO_INITIAL for is_cjk, group in zip(hanzi, py, strict=False)
        )
        self._initials.append(initials)
        _postings_add(
            self._exact, (text, *(alias["text"] for alias in keys.get("aliases") or ())), slot
        )
        _postings_add(self._phone, keys.get("phones") or (), slot)
        _postings_add(self._bigram, {text[i : i + 2] for i in range(len(text) - 1)}, slot)
        _postings_add(self._sylgram, _syllable_bigrams(py), slot)
        _postings_add(
            self._initgram, {initials[i : i + 3] for i in range(len(initials) - 2)}, slot
        )
        region = (keys.get("spans") or {}).get("region")
        if region:
            start, end = region
            if text[start : start + 1] == "(":
                start, end = start + 1, end - 1
            name = text[start:end]
            short = name.rstrip("省市")
            self._regions.update((name, short))
            syllables = [group[0] for group in py[start:end]]
            for place, n in ((name, len(name)), (short, len(short))):
                key = "".join(syllables[:n])
                if key.isalpha() and key.isascii():
                    self._region_py.setdefault(key, set()).add(place)
        for ch, is_cjk, group in zip(text, hanzi, py, strict=False):
            if is_cjk and not char_readings(ch):
                self._learned.setdefault(ch, set()).add(group[0])

    def owner_of(self, customer_id: int) -> int | None:
        """The owner stored with the record, so "own customers first" needs no query."""
        slot = self._slot.get(customer_id)
        return self._owner[slot] if slot is not None else None

    def remove(self, customer_id: int) -> None:
        """Forget a customer; its postings are skipped from now on."""
        slot = self._slot.pop(customer_id, None)
        if slot is not None:
            self._ids[slot] = -1

    def search(
        self, query: str, *, limit: int = 5, prefer: Callable[[int], bool] | None = None
    ) -> list[Hit]:
        """Best customers for what a rep typed, best first.

        ``prefer(id)`` marks the rep's own customers; it only breaks ties between equally good
        matches and never lifts a worse match over a better one.
        """
        q = fold(query)
        if not q or limit <= 0:
            return []
        best: dict[int, tuple[float, str]] = {}

        def offer(slot: int, score: float, tag: str) -> None:
            if self._ids[slot] >= 0 and score > best.get(slot, (-1.0, ""))[0]:
                best[slot] = (score, tag)

        compact = "".join(ch for ch in q if ch.isalnum() or ch in "()")
        if _PHONE_RE.match(q) and sum(ch.isdigit() for ch in q) >= MIN_PHONE_DIGITS:
            digits = "".join(ch for ch in q if ch.isdigit())
            for slot in self._phone.get(digits, ()):
                offer(slot, PHONE_SCORE, "phone")
        elif compact:
            self._search_text(compact, offer)
            self._search_units(q, offer)
            letters = q.replace(" ", "")
            if letters.isascii() and letters.isalpha():
                self._search_initials(letters, offer)
            self._literal_bonus(query, compact, best)
        return self._rank(best, len(compact), limit, prefer)

    def _literal_bonus(self, query: str, compact: str, best: dict[int, tuple[float, str]]) -> None:
        """Lift names that contain the query exactly as typed when folding changed the query."""
        literal = "".join(ch for ch in fold_literal(query) if ch.isalnum() or ch in "()")
        if literal == compact or not literal:
            return
        for slot, (score, tag) in list(best.items()):
            if literal in self._literal.get(slot, self._text[slot]):
                best[slot] = (score + LITERAL_BONUS, tag)

    # -- ranking --------------------------------------------------------------------------

    def _rank(
        self,
        best: dict[int, tuple[float, str]],
        qlen: int,
        limit: int,
        prefer: Callable[[int], bool] | None,
    ) -> list[Hit]:
        def key(slot: int) -> tuple[float, bool, float, int]:
            score = round(best[slot][0], 3)
            preferred = bool(prefer and prefer(self._ids[slot]))
            # Among equals the shorter name covers more of what was typed.
            coverage = qlen / max(1, len(self._text[slot]))
            return (-score, not preferred, -coverage, slot)

        ranked = sorted(best, key=key)[:limit]
        return [Hit(self._ids[s], round(best[s][0], 3), best[s][1]) for s in ranked]

    def _boundary_bonus(self, slot: int, start: int, end: int) -> float:
        hits = (self._starts[slot] >> start & 1) + (
            end < _MASK_BITS and self._ends[slot] >> end & 1
        )
        return BOUNDARY_BONUS * hits

    # -- hanzi text ------------------------------------------------------------------------

    def _search_text(self, qt: str, offer: Callable[[int, float, str], None]) -> None:
        for slot in self._exact.get(qt, ()):
            offer(slot, EXACT_SCORE if self._text[slot] == qt else ALIAS_SCORE, "exact")
        if len(qt) < 2:
            return
        grams = {qt[i : i + 2] for i in range(len(qt) - 1)}
        for slot in self._candidates_by_count(self._bigram, grams):
            text = self._text[slot]
            pos = text.find(qt)
            if pos == 0:
                if text != qt:
                    offer(slot, PREFIX_SCORE + self._boundary_bonus(slot, 0, len(qt)), "prefix")
            elif pos > 0 and not (qt.isascii() and len(qt) < MIN_LATIN_INFIX):
                bonus = self._boundary_bonus(slot, pos, pos + len(qt))
                offer(slot, SUBSTRING_SCORE + bonus, "trade_name" if bonus else "substring")
            else:
                self._fuzzy(qt, slot, offer)
        self._search_region_split(qt, offer)

    def _search_region_split(self, qt: str, offer: Callable[[int, float, str], None]) -> None:
        """苏州华为 for 华为技术(苏州)有限公司: a known region typed in front of the rest."""
        for cut in range(2, min(len(qt) - 1, 8)):
            head, rest = qt[:cut], qt[cut:]
            region = head.rstrip("省市")
            if head not in self._regions and region not in self._regions:
                continue
            grams = {rest[i : i + 2] for i in range(len(rest) - 1)}
            for slot in self._candidates_by_count(self._bigram, grams):
                text = self._text[slot]
                pos = text.find(rest)
                if pos >= 0 and region in text and not text.startswith(qt):
                    bonus = self._boundary_bonus(slot, pos, pos + len(rest))
                    offer(slot, TRADE_NAME_SCORE + bonus, "trade_name")

    def _fuzzy(self, qt: str, slot: int, offer: Callable[[int, float, str], None]) -> None:
        text = self._text[slot]
        # A query about as long as the name is the whole name with a typo; a shorter one is a
        # part of it, so compare against the best-matching window instead.
        if len(qt) * 10 >= len(text) * 7:
            ratio = fuzz.ratio(qt, text)
        else:
            ratio = fuzz.partial_ratio(qt, text) if len(qt) >= 4 else 0.0
        if ratio >= FUZZY_MIN_RATIO:
            offer(slot, FUZZY_SCORE + FUZZY_WEIGHT * ratio, "fuzzy")

    # -- syllables: pinyin, sound-alike, mixed -----------------------------------------------

    def _query_units(self, q: str) -> list[list[Unit]]:
        """Every reading of the query as a unit sequence (pinyin splits × latin runs)."""
        pieces: list[list[list[Unit]]] = []
        pos = 0
        while pos < len(q):
            ch = q[pos]
            run = _LATIN_RUN_RE.match(q, pos)
            if run:
                segs = segment_pinyin(run.group().strip())
                if not segs:
                    return []
                pieces.append([[(None, frozenset((s,)), s) for s in seg] for seg in segs])
                pos = run.end()
                continue
            if is_hanzi(ch):
                readings = char_readings(ch) or tuple(sorted(self._learned.get(ch, ())))
                pieces.append([[(ch, frozenset(readings), readings[0] if readings else ch)]])
            elif ch.isdigit():
                pieces.append([[(ch, frozenset((ch,)), ch)]])
            pos += 1
        variants: list[list[Unit]] = []
        for combo in product(*pieces):
            variants.append([u for part in combo for u in part])
            if len(variants) >= MAX_VARIANTS:
                break
        return variants

    def _search_units(self, q: str, offer: Callable[[int, float, str], None]) -> None:
        for units in self._query_units(q):
            if len(units) < 2 or all(ch is not None and ch.isdigit() for ch, _, _ in units):
                continue
            pair_keys = [{f"{a} {b}" for a in u1[1] for b in u2[1]} for u1, u2 in pairwise(units)]
            for slot in self._candidates_by_all(self._sylgram, pair_keys):
                self._align(units, slot, offer)
        self._search_units_region_split(q, offer)

    def _search_units_region_split(self, q: str, offer: Callable[[int, float, str], None]) -> None:
        """洛阳责远 or 珠海yangfeng for 泽远…(洛阳)有限公司 / …有限公司珠海分公司.

        A known region typed in front of a sound-alike or pinyin trade name that the name
        carries elsewhere (in brackets, or as the branch city): the rest is matched by sound
        and the name must contain the region.
        """
        for places, rest in self._region_heads(q):

            def offer_if_region(
                slot: int, score: float, tag: str, places: frozenset[str] = places
            ) -> None:
                if any(place in self._text[slot] for place in places):
                    offer(slot, score - REGION_SPLIT_PENALTY, tag)

            for units in self._query_units(rest):
                if len(units) < MIN_SPLIT_UNITS:
                    continue
                pair_keys = [
                    {f"{a} {b}" for a in u1[1] for b in u2[1]} for u1, u2 in pairwise(units)
                ]
                for slot in self._candidates_by_all(self._sylgram, pair_keys):
                    # The rest must start a name part: 烟台鑫港务 is not 烟台朗(新港务).
                    self._align(units, slot, offer_if_region, anchored=True)

    def _region_heads(self, q: str) -> list[tuple[frozenset[str], str]]:
        """Ways to read the start of ``q`` as a known region: (region names, rest of query).

        The region may be typed in hanzi (洛阳, 洛阳市) or in pinyin (luoyang, luoyangshi).
        """
        heads: list[tuple[frozenset[str], str]] = []
        for cut in range(2, min(len(q) - 1, 8)):
            head = q[:cut]
            if not all(is_hanzi(ch) for ch in head):
                break
            region = head.rstrip("省市")
            if head in self._regions or region in self._regions:
                heads.append((frozenset((region,)), q[cut:].strip()))
        run = _LATIN_RUN_RE.match(q)
        if run:
            letters = run.group().replace(" ", "").replace("'", "")
            tail = q[run.end() :]
            for cut in range(MIN_REGION_LETTERS, min(len(letters) - 1, MAX_REGION_LETTERS)):
                head = letters[:cut]
                places = set(self._region_py.get(head, ()))
                for suffix in ("shi", "sheng"):  # 市 / 省 typed though the name leaves it out
                    if head.endswith(suffix):
                        places.update(self._region_py.get(head[: -len(suffix)], ()))
                if places:
                    heads.append((frozenset(places), letters[cut:] + tail))
        return heads

    def _align(
        self, units: Sequence[Unit], slot: int, offer: Callable[..., None], anchored: bool = False
    ) -> None:
        """Score the best placement of ``units`` in the name; ``anchored`` places them only
        where a name part (region, trade name, industry word) starts."""
        text, py = self._text[slot], self._py[slot]
        n = len(units)
        best: tuple[float, str] | None = None
        for start in range(len(py) - n + 1):
            if anchored and not (start < _MASK_BITS and self._starts[slot] >> start & 1):
                continue
            exact = sound = latin = 0
            penalty = 0.0
            for j, (ch, syls, primary) in enumerate(units):
                i = start + j
                group = py[i]
                if ch is not None and text[i] == ch:
                    exact += 1
                    continue
                if group[0] not in syls:
                    if syls.isdisjoint(group):
                        break
                    penalty += ALT_READING_PENALTY  # name's less likely reading
                elif group[0] != primary:
                    penalty += ALT_READING_PENALTY  # query char's less likely reading
                if ch is None:
                    latin += 1
                else:
                    sound += 1
            else:
                if not sound and not latin:
                    continue  # plain substring: the text path already scored it
                base = HOMOPHONE_SCORE if sound else PINYIN_SCORE
                bonus = self._boundary_bonus(slot, start, start + n)
                score = base + bonus + exact / n - penalty
                if best is None or score > best[0]:
                    best = (score, "homophone" if sound else "pinyin")
        if best:
            offer(slot, *best)

    # -- initials ---------------------------------------------------------------------------

    def _search_initials(self, letters: str, offer: Callable[[int, float, str], None]) -> None:
        if len(letters) < MIN_INITIALS:
            return
        grams = [{letters[i : i + 3]} for i in range(len(letters) - 2)]
        for slot in self._candidates_by_all(self._initgram, grams):
            initials = self._initials[slot]
            pos = initials.find(letters)
            while pos >= 0:
                bonus = self._boundary_bonus(slot, pos, pos + len(letters))
                offer(slot, INITIALS_SCORE + bonus, "initials")
                pos = initials.find(letters, pos + 1)

    # -- candidate generation --------------------------------------------------------------

    def _common_limit(self) -> int:
        return max(MIN_COMMON_POSTING, len(self._slot) // COMMON_GRAM_SHARE)

    def _candidates_by_count(self, index: dict[str, array], grams: Iterable[str]) -> list[int]:
        """Slots sharing the most grams with the query, informative grams first."""
        lists = sorted((index[g] for g in grams if g in index), key=len)
        if not lists:
            return []
        limit = self._common_limit()
        useful = [p for p in lists if len(p) <= limit] or lists[:1]
        counts: Counter[int] = Counter()
        for postings in useful:
            counts.update(postings)
        return [slot for slot, _ in counts.most_common(MAX_CANDIDATES)]

    def _candidates_by_all(
        self, index: dict[str, array], key_sets: Sequence[set[str]]
    ) -> list[int]:
        """Slots hit at every query position (each position may accept several keys)."""
        positions: list[list[array]] = []
        for keys in key_sets:
            lists = [index[k] for k in keys if k in index]
            if not lists:
                return []
            positions.append(lists)
        positions.sort(key=lambda lists: sum(map(len, lists)))
        found: set[int] | None = None
        for lists in positions:
            size = sum(map(len, lists))
            if found is not None and size > self._common_limit() and len(found) <= MAX_CANDIDATES:
                break  # the rarer positions already narrowed it down; the alignment checks all
            hit: set[int] = set()
            for postings in lists:
                hit.update(postings)
            found = hit if found is None else found & hit
            if not found:
                return []
        return sorted(found or ())[:MAX_CANDIDATES]


_INTERNED: dict[tuple[str, ...], tuple[str, ...]] = {}
_MASK_BITS = 64


def _intern(group: tuple[str, ...]) -> tuple[str, ...]:
    """Share one tuple per reading group across 100k records (memory)."""
    return _INTERNED.setdefault(group, group)


def _syllable_bigrams(py: Sequence[tuple[str, ...]]) -> set[str]:
    return {f"{a} {b}" for g1, g2 in pairwise(py) for a in g1 for b in g2}


def _anchors(text: str, spans: dict[str, Any]) -> tuple[int, int]:
    """Bitmasks of offsets where a name part starts / ends; aligned matches rank higher."""
    starts = {0}
    ends = {len(text)}
    for part in ("region", "core", "industry"):
        span = spans.get(part)
        if span:
            start, end = span
            if part == "region" and text[start : start + 1] == "(":
                start, end = start + 1, end - 1
            starts.add(start)
            ends.add(end)
    return _mask(starts), _mask(ends)


def _mask(offsets: Iterable[int]) -> int:
    return sum(1 << o for o in offsets if o < _MASK_BITS)
