"""Objection scripts: recognise what the customer said, pick the answer, fill it in.

Matching is lexical and cheap, so it runs on every message: the text is folded like search
queries (NFKC, lower case, Traditional → Simplified), then scored per objection type by
weighted key phrases (also matched by pinyin, for homophone typos, and fuzzily for English
typos) plus the best character n-gram cosine against the type's example phrasings. Ranking of
the scripts of one objection uses the Wilson lower bound of their success rate, so a script
with three lucky successes does not outrank one proven over fifty uses.

No chat here: handlers turn these results into replies and buttons.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import opencc
from babel.dates import format_skeleton
from rapidfuzz import fuzz, process
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.search.normalize import char_readings, fold, is_hanzi, segment_pinyin
from storage.models import (
    ContactLevel,
    Customer,
    DialogState,
    ObjectionScript,
    ObjectionType,
    ScriptOutcome,
    ScriptUse,
    ScriptVersion,
    User,
    Visit,
)
from storage.queries import objections as queries
from storage.queries.customers import get_customer

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "objection_scripts.json"
LANGUAGES = ("zh_CN", "zh_TW", "en")

CUE_SCALE = 4.0
"""Cue weight at which the cue part reaches 63%: one strong phrase (weight 4) is good evidence."""
CUE_SHARE = 0.6
"""Key phrases carry most of the score; example similarity catches paraphrase and breaks ties."""
NEAREST_SHARE = 0.5
"""Of the similarity part, the share of the nearest example; the rest is the type's centroid,
which generalises over all its phrasings where a single nearest example overfits."""
PINYIN_CUE_DISCOUNT = 0.7
"""A cue found only by its sound (预蒜 for 预算) counts less than one spelled right."""
FUZZY_WORD_RATIO = 80
"""rapidfuzz ratio for an English word to count as a typo of a cue word (pricy ~ pricey)."""
FUZZY_MIN_LENGTH = 5
"""Shorter English words are too easily one edit from another word to be fuzzed."""
COMPARISON_WEIGHT = 4.0
"""Evidence of a comparison construction (比别家贵, cheaper than): competitor or price."""

DISCOUNT_WEIGHT = 3.0
"""Evidence of price from a discount figure (打七折, 10% off)."""

NOTE_WEIGHT = 2.5
"""Neutral evidence from each kind of note mark (a date or time; a weight class or quantity)."""

MIN_SCORE = 0.38
"""Below this the text is not an objection (a name, a product, a visit note): see the bench."""
NEUTRAL_RATIO = 1.25
"""Nor is text whose best objection does not beat the neutral class by this factor."""
SURE_SCORE = 0.52
"""From here the top type is answered directly, when it also leads by `SURE_MARGIN`."""
SURE_MARGIN = 0.12
"""A closer runner-up means the rep should choose between the likely objections."""
MAX_CHOICES = 3
"""When unsure, offer this many likely objections: more is a menu, not a guess."""
CHOICE_RATIO = 0.6
"""A runner-up under this share of the top score is not worth a button."""
RANK_FLOOR = 0.05
"""Under the objection cut-off, a type scoring less than this is no likely choice at all."""
NEUTRAL_CODE = ""
"""The background class of messages that are not objections (visit notes, orders, greetings)."""

WILSON_Z = 1.96
"""95% confidence: a script must prove itself over a few dozen uses before it leads."""
INDUSTRY_MIN_TRIALS = 10
"""Rated uses of one objection within an industry before that industry's figures rank scripts."""
RECENT_CUSTOMER = timedelta(minutes=30)
"""A customer card opened this recently is what the rep is asking about (same visit)."""
VISIT_DIALOG = "visit"
VISIT_CUSTOMER_KEYS = ("customer_id",)
"""Where the visit dialog's draft keeps its customer (bot/dialogs/visit.py, `VisitDraft`)."""
VISIT_CONTACT_KEYS = ("contact_ids", "contact_id")
PROPOSE_AFTER_DAYS = 2
"""Proposed meetings are two days out: time to prepare, and soon enough to keep momentum."""
SATURDAY = 5
PROPOSED_HOUR = time(10, 0)
"""Mid-morning: the slot most buyers accept, after the day's first round of meetings."""

_REPORTED = re.compile(
    r"^\s*(?:客户|顾客|客人|对方|老板|采购|他|她|they|the customer|customer|client|he|she)"
    r"\s*(?:刚才|刚刚|又|就)?\s*(?:说|讲|问|回|says|said|told me|tells me|asks|asked)"
    r"\s*(?:了|道)?\s*(?:that)?\s*[:：,，]?\s*[\"“”'‘’「」]?\s*(?P<rest>.+?)[\"“”'‘’「」]?\s*$",
    re.I | re.S,
)
_LATIN_WORD = re.compile(r"[a-z][a-z'-]*")
_ALNUM_RUN = re.compile(r"[a-z0-9]+")
"""What a Latin cue's edges are checked against: a cue hits only where no letter or digit
touches it."""
_APOSTROPHE = re.compile(r"['’‘`]")
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))
_MIN_STEM = 3
_ZH_NEGATORS = ("不", "不太", "不算", "不是很", "不是太", "不怎么", "没那么", "没有那么", "并没")
"""Right before a phrase these flip it (不贵, 不太忙); 没/没有 name an absence instead."""
_ZH_CUE_NEGATIONS = frozenset("不没别无未")
_EN_NEGATORS = frozenset({"not", "isnt", "arent", "wasnt", "werent", "never", "hardly"})
_EN_CUE_NEGATIONS = frozenset({"not", "no", "never", "dont", "doesnt", "wont", "cant", "nah"})
_INTENSIFIERS = frozenset({"too", "that", "so", "very", "really", "all", "overly", "a"})
_COMPARISONS = (
    (
        re.compile(
            r"比(?!较|如|方|例|赛)(?P<other>[^,，。.!！?？;；\s]{1,8}?)"
            r"(?:的)?(?:价格|价钱|报价|东西|质量|服务)?(?:还|更|要|都)?"
            r"(?:贵|高|低|便宜|好|强|实惠|划算|优惠|少|省)"
        ),
        False,
    ),
    (
        re.compile(
            r"(?:cheap|low|bett|less|more|pric|dear|high)(?:i?er)? than (?P<other>[a-z ]{1,30})"
        ),
        False,
    ),
    (re.compile(r"\b(?:undercut|underbid)\b(?P<other>)"), False),
)
_HONORIFIC = re.compile(r"贵(?=司|公司|厂|方|单位|姓|处|部门|行|校|院)")
"""贵 in 贵司 (your company) is politeness, not a price complaint."""
_DISCOUNT = re.compile(r"(?:[一二三四五六七八九]|\d{1,2})(?:五)?折|\d+ ?%(?: ?off)?|percent off")
"""打七折, 九五折, 10% off: a discount, the language of price."""
_FOR_LESS = re.compile(
    r"(?<![a-z])(?:for (?:less|cheaper|way less|much less|half)|cheaper (?:elsewhere|online|"
    r"somewhere)|(?:same|similar) [a-z ]{1,20}(?:for less|cheaper))(?![a-z])"
    r"|(?:同款|同样|一样)[^,，。.!！?？]{0,8}(?:便宜|才卖|才要|更低)"
)
"""The same thing for less, cheaper elsewhere: a rival's offer even when none is named."""
_PAST_EVENT = re.compile(
    r"去年|前年|上次|上回|那次|那批|上批|上个月|上一批|上一次|当时|结果|"
    r"(?<![a-z])(?:last (?:year|time|month|order|batch|delivery|shipment)|years? ago|"
    r"months? ago|(?:got|bought|ordered|had) from you|from you last)(?![a-z])"
)
"""A past event (去年, last time, the ones we got from you): with a defect, it is a complaint
about what happened (bad experience), not a worry about what might."""
_THIRD_PARTY = re.compile(
    r"别家|别的|其他|其它|人家|另一家|另外一家|另外的|隔壁|同行|友商|竞争|对手|网上|淘宝|京东|"
    r"外面|别人|别间|别个|"
    r"(?<![a-z])(?:another|other|others|competitor|competition|elsewhere|online|rival|dealer|"
    r"distributor|local (?:shop|store|supplier|guy|vendor))(?![a-z])"
)
"""Someone else who sells: with price words it makes a competitor objection."""
_NOTE_MARKS = (
    re.compile(
        r"周[一二三四五六日天]|星期[一二三四五六日天]|礼拜[一二三四五六日天]|明天|后天|今天|昨天|"
        r"[上下]午|\d{1,2} ?[点:：]|\d{1,2}月\d{1,2}[日号]|"
        r"(?<![a-z])(?:today|tomorrow|yesterday|monday|tuesday|wednesday|thursday|friday|"
        r"saturday|sunday|\d{1,2} ?(?:am|pm))(?![a-z])"
    ),
    re.compile(
        r"(?<![a-z0-9])(?:[efm][12]|m3)(?![a-z0-9])|\d+(?:\.\d+)? ?(?:kg|mg|g|t|吨|公斤|克|毫克)"
        r"(?![a-z])|\d+ ?(?:套|个|台|组|只|件|pcs|sets?|x)(?![a-z])|(?<![a-z])\d+x(?![a-z])"
    ),
    re.compile(r"(?<!\d)(?:1\d{10}|0\d{1,3}[- ]?\d{3,4}[- ]?\d{3,4}|\d{3,4}-\d{4})(?!\d)"),
)
"""A date or time, a weight class or a quantity, a phone number: the marks of a visit note,
an order line or a contact card."""
_EXPECTATION = re.compile(
    r"想|预期|预计|预算|以为|以前|之前|去年|上次|原来|原先|市场|expect|thought|wanted|planned|"
    r"budget|last|before|used to|hop"
)
_HANZI_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_TO_TRADITIONAL = opencc.OpenCC("s2twp")
_SIMPLE_TO_TRADITIONAL = opencc.OpenCC("s2t")

DECISION_TITLES = ("总经理", "董事长", "老板", "总裁", "厂长", "ceo", "owner", "director", "总")
MANAGEMENT_TITLES = ("经理", "主任", "主管", "部长", "总监", "科长", "manager", "head", "chief")
"""Titles that place a contact whose level is not recorded; decision titles are checked first."""
SHORT_TITLES = ("总经理", "经理", "主任", "主管", "部长", "总监", "科长", "厂长", "工程师", "老板")
"""Titles a rep addresses people by, with the surname: 王经理, 李主任."""


# --- reported speech ------------------------------------------------------------------------


def is_objection_request(text: str) -> str | None:
    """The customer's words when `text` reports them (客户说…, customer says…), else None.

    The lead's plain-text routing sends such a message here rather than to search.
    """
    match = _REPORTED.match(text or "")
    if match is None:
        return None
    rest = match["rest"].strip()
    return rest or None


# --- the matcher ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeSpec:
    """What the matcher needs of one objection type, read from a row or the seed file."""

    code: str
    cues: Sequence[tuple[str, float]]
    examples: Sequence[str]


@dataclass(frozen=True, slots=True)
class Candidate:
    code: str
    score: float


@dataclass(frozen=True, slots=True)
class MatchResult:
    """The likely objections, best first; `sure` when the first may be answered directly.

    Whether the text is an objection at all (`objection`) is decided apart from the ranking:
    text under the cut-off (a weak or oddly worded objection, or no objection) still ranks its
    likely types, so a rep who says it is one (/obj) is offered the right buttons first. Only
    `best` and `sure` speak for the text being an objection.
    """

    candidates: tuple[Candidate, ...]
    sure: bool
    objection: bool = True

    @property
    def best(self) -> Candidate | None:
        """The recognised objection; None when the text is not (surely) an objection."""
        return self.candidates[0] if self.objection and self.candidates else None


def _pinyin(text: str) -> tuple[str, ...]:
    return tuple(char_readings(ch)[0] if char_readings(ch) else ch for ch in text)


def _runs(haystack: tuple[str, ...], needle: tuple[str, ...]) -> Iterator[int]:
    size = len(needle)
    return (i for i in range(len(haystack) - size + 1) if haystack[i : i + size] == needle)


def stem(word: str) -> str:
    """A light English stem: plural, -ing, -ed and a final e go (decides, decided → decid).

    Enough for cue phrases and examples to meet inflected words; not a linguist's stemmer.
    """
    for suffix, replacement in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= _MIN_STEM:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                break
            word = word[: -len(suffix)] + replacement
            break
    if word.endswith("e") and len(word) > _MIN_STEM + 1:
        word = word[:-1]
    return word


def prepare(text: str) -> str:
    """`fold` for matching: 贵司 (your company) loses the 贵 that would read as "expensive"."""
    return _HONORIFIC.sub("你", fold(text))


def latin_form(folded: str) -> str:
    """Folded text with apostrophes dropped (don't = dont) and English words stemmed."""
    text = _APOSTROPHE.sub("", folded)
    return _LATIN_WORD.sub(lambda match: stem(match[0]), text)


def _grams(text: str) -> Counter[str]:
    """Hanzi unigrams and bigrams; English stems, stem bigrams and padded trigrams of words."""
    grams: Counter[str] = Counter()
    for run in _HANZI_RUN.findall(text):
        grams.update(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    words = _LATIN_WORD.findall(_APOSTROPHE.sub("", text))
    stems = [stem(word) for word in words]
    grams.update(f"w:{word}" for word in stems)
    grams.update(f"b:{a} {b}" for a, b in itertools.pairwise(stems))
    for word in words:
        padded = f" {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def negated(text: str, start: int) -> bool:
    """True when the phrase at `start` is negated right before it (不贵, not too expensive).

    Negation that names an absence (没有预算, no budget) is the objection itself, so 没/no
    alone do not count; phrases that begin with a negation are never negated again.
    """
    before = text[max(0, start - 4) : start]
    if before.endswith(_ZH_NEGATORS):
        return True
    words = _LATIN_WORD.findall(text[max(0, start - 30) : start])
    if words and words[-1] in _INTENSIFIERS:
        words = words[:-1]
    return bool(words) and words[-1] in _EN_NEGATORS


def third_party(folded: str) -> bool:
    """True when the text names another seller: a rival's name, 别家, another vendor…"""
    return bool(_THIRD_PARTY.search(folded)) or _rival_named(folded)


def _rival_named(folded: str) -> bool:
    return any(pattern.search(folded) for pattern in _rival_patterns())


@cache
def _rival_patterns() -> tuple[re.Pattern[str], ...]:
    aliases = {
        fold(alias) for rival in seed_library()["competitors"] for alias in rival["aliases"]
    }
    return tuple(
        re.compile(rf"(?<![a-z]){re.escape(alias)}(?![a-z])") for alias in sorted(aliases) if alias
    )


def comparison(folded: str) -> tuple[str, float] | None:
    """A comparison construction and the type it points at: against another seller it is
    `competitor_cheaper` (比别家贵, 报价比XX高, cheaper than…); against what the buyer
    expected, paid before or budgeted it is `price` (比预期高, more than we wanted)."""
    for pattern, against_expectation in _COMPARISONS:
        match = pattern.search(folded)
        if match is None:
            continue
        if against_expectation or _EXPECTATION.search(match["other"] or ""):
            return "price", COMPARISON_WEIGHT
        return "competitor_cheaper", COMPARISON_WEIGHT
    return None


@dataclass(slots=True)
class _Cue:
    text: str
    weight: float
    type_index: int
    latin: bool
    sound: tuple[str, ...] = ()
    pattern: re.Pattern[str] | None = None
    opens_negated: bool = False


@dataclass(slots=True)
class _TypeModel:
    code: str
    cues: list[_Cue] = field(default_factory=list)


class ObjectionMatcher:
    """Scores free text against every objection type; built once per library version.

    `neutral` is the background class (visit notes, orders, greetings, from the seed file's
    `not_objections`): text closer to it than to any objection is not an objection.
    """

    def __init__(self, types: Iterable[TypeSpec], neutral: TypeSpec | None = None) -> None:
        specs = list(types)
        if neutral is None:
            neutral = seed_neutral()
        specs.append(TypeSpec(NEUTRAL_CODE, neutral.cues, neutral.examples))
        self._types = [_TypeModel(spec.code) for spec in specs]
        self._index = {spec.code: index for index, spec in enumerate(specs)}
        self._zh_cues: list[_Cue] = []
        self._latin_cues: list[_Cue] = []
        self._fuzzy: dict[str, list[_Cue]] = {}
        for index, spec in enumerate(specs):
            for phrase, weight in spec.cues:
                cue = self._cue(phrase, weight, index)
                if cue is None:
                    continue
                self._types[index].cues.append(cue)
                (self._latin_cues if cue.latin else self._zh_cues).append(cue)
                if cue.latin and " " not in cue.text and len(cue.text) >= FUZZY_MIN_LENGTH:
                    self._fuzzy.setdefault(cue.text, []).append(cue)
        self._fuzzy_words = list(self._fuzzy)
        self._zh_cues_at: dict[str, list[int]] = {}
        """Positions in `_zh_cues` by the cue's first character and first syllable: only
        cues that can hit a text are tried, in their order, so the sums come out the same."""
        for position, cue in enumerate(self._zh_cues):
            for key in {cue.text[0], *cue.sound[:1]}:
                self._zh_cues_at.setdefault(key, []).append(position)
        self._latin_cues_at: dict[str, list[int]] = {}
        """Positions in `_latin_cues` by the cue's first run of letters and digits, which a
        text the cue hits holds whole (a hit has no letter or digit beside it); a cue opening
        with anything else is filed under "" and always tried."""
        for position, cue in enumerate(self._latin_cues):
            first = _ALNUM_RUN.match(cue.text)
            self._latin_cues_at.setdefault(first[0] if first else "", []).append(position)
        folded_examples = [
            (index, prepare(example))
            for index, spec in enumerate(specs)
            for example in spec.examples
        ]
        known = [text for _index, text in folded_examples] + [
            cue.text for model in self._types for cue in model.cues
        ]
        self._known_text = "\n".join(known)
        """Every phrase the library spells out: a word found in it is no typo of another."""
        self._known_words = {word for text in known for word in _LATIN_WORD.findall(text)}
        documents = [(index, _grams(text)) for index, text in folded_examples]
        frequency: Counter[str] = Counter()
        for _index, grams in documents:
            frequency.update(grams.keys())
        total = max(len(documents), 1)
        self._idf = {gram: math.log((1 + total) / (1 + n)) + 1 for gram, n in frequency.items()}
        self._doc_type: list[int] = []
        self._postings: dict[str, list[tuple[int, float]]] = {}
        centroids: list[Counter[str]] = [Counter() for _ in specs]
        for index, grams in documents:
            vector = self._vector(grams)
            doc = len(self._doc_type)
            self._doc_type.append(index)
            for gram, value in vector.items():
                self._postings.setdefault(gram, []).append((doc, value))
                centroids[index][gram] += value
        self._centroid_postings: dict[str, list[tuple[int, float]]] = {}
        for index, centroid in enumerate(centroids):
            norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
            for gram, value in centroid.items():
                self._centroid_postings.setdefault(gram, []).append((index, value / norm))

    @property
    def codes(self) -> list[str]:
        return [model.code for model in self._types if model.code != NEUTRAL_CODE]

    @staticmethod
    def _cue(phrase: str, weight: float, index: int) -> _Cue | None:
        folded = fold(phrase)
        if not folded:
            return None
        latin = not any(is_hanzi(ch) for ch in folded)
        if latin:
            text = latin_form(folded)
            words = _LATIN_WORD.findall(text)
            pattern = re.compile(rf"(?<![a-z0-9]){re.escape(text)}(?![a-z0-9])")
            opens = bool(words) and words[0] in _EN_CUE_NEGATIONS
            return _Cue(text, weight, index, True, pattern=pattern, opens_negated=opens)
        sound = _pinyin(folded) if len(folded) >= 2 and all(map(is_hanzi, folded)) else ()
        opens = folded[0] in _ZH_CUE_NEGATIONS
        return _Cue(folded, weight, index, False, sound=sound, opens_negated=opens)

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        vector = {
            gram: (1 + math.log(count)) * self._idf.get(gram, 0.0) for gram, count in grams.items()
        }
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        return {gram: value / norm for gram, value in vector.items() if value}

    def evidence(self, text: str) -> list[float]:
        """Summed weight of the cue phrases found in `text`, per type (the last is neutral)."""
        folded = prepare(text)
        return self._evidence(folded, latin_form(folded))

    def _evidence(self, folded: str, latin: str) -> list[float]:
        evidence = [0.0] * len(self._types)
        hanzi = "".join(_HANZI_RUN.findall(folded))
        sound = _pinyin(hanzi) if hanzi else ()
        syllables = set(sound)
        cues_at = self._zh_cues_at
        tried = {position for key in {*folded, *syllables} for position in cues_at.get(key, ())}
        for position in sorted(tried):
            cue = self._zh_cues[position]
            hit = self._zh_hit(cue, folded, hanzi, sound, syllables)
            if hit:
                evidence[cue.type_index] += hit
        found: set[str] = set()
        if _LATIN_WORD.search(latin):
            runs = {"", *_ALNUM_RUN.findall(latin)}
            latin_at = self._latin_cues_at
            for position in sorted(p for run in runs for p in latin_at.get(run, ())):
                cue = self._latin_cues[position]
                if cue.text in latin and self._latin_hit(cue, latin):
                    evidence[cue.type_index] += cue.weight
                    found.add(cue.text)
            for word in set(_LATIN_WORD.findall(latin)):
                if (
                    len(word) < FUZZY_MIN_LENGTH
                    or word in self._known_words
                    or segment_pinyin(word)  # hangzhou, ningbo: a romanised name, no typo
                ):
                    continue
                for text, _score, _i in process.extract(
                    word,
                    self._fuzzy_words,
                    scorer=fuzz.ratio,
                    score_cutoff=FUZZY_WORD_RATIO,
                    limit=None,
                ):
                    if text in found:
                        continue
                    found.add(text)
                    for cue in self._fuzzy[text]:
                        evidence[cue.type_index] += cue.weight * PINYIN_CUE_DISCOUNT
        self._rules(folded, evidence)
        return evidence

    def _rules(self, folded: str, evidence: list[float]) -> None:
        """Constructions no single phrase captures: comparisons, discounts, a rival's price."""
        price = self._index.get("price")
        rival = self._index.get("competitor_cheaper")
        compared = comparison(folded)
        if compared is not None and compared[0] in self._index:
            evidence[self._index[compared[0]]] += compared[1]
        if price is not None and _DISCOUNT.search(folded):
            evidence[price] += DISCOUNT_WEIGHT
        if price is not None and rival is not None and evidence[price] and third_party(folded):
            evidence[rival] += COMPARISON_WEIGHT
        if rival is not None and _FOR_LESS.search(folded):
            evidence[rival] += COMPARISON_WEIGHT
        quality, bad = self._index.get("quality_worry"), self._index.get("bad_experience")
        past_defect = quality is not None and evidence[quality] and _PAST_EVENT.search(folded)
        if bad is not None and past_defect:
            evidence[bad] += COMPARISON_WEIGHT
        neutral = self._index[NEUTRAL_CODE]
        evidence[neutral] += NOTE_WEIGHT * sum(bool(mark.search(folded)) for mark in _NOTE_MARKS)

    def _zh_hit(
        self, cue: _Cue, folded: str, hanzi: str, sound: tuple[str, ...], syllables: set[str]
    ) -> float:
        start = folded.find(cue.text)
        while start >= 0:
            if cue.opens_negated or not negated(folded, start):
                return cue.weight
            start = folded.find(cue.text, start + 1)
        if cue.sound and cue.sound[0] in syllables:
            size = len(cue.sound)
            for i in _runs(sound, cue.sound):
                if hanzi[i : i + size] not in self._known_text:
                    return cue.weight * PINYIN_CUE_DISCOUNT
        return 0.0

    @staticmethod
    def _latin_hit(cue: _Cue, latin: str) -> bool:
        assert cue.pattern is not None
        return any(
            cue.opens_negated or not negated(latin, match.start())
            for match in cue.pattern.finditer(latin)
        )

    def _similarity(self, folded: str) -> tuple[list[float], list[float]]:
        query = self._vector(_grams(folded))
        dots: dict[int, float] = {}
        centroid = [0.0] * len(self._types)
        for gram, weight in query.items():
            for doc, value in self._postings.get(gram, ()):
                dots[doc] = dots.get(doc, 0.0) + weight * value
            for index, value in self._centroid_postings.get(gram, ()):
                centroid[index] += weight * value
        nearest = [0.0] * len(self._types)
        for doc, dot in dots.items():
            index = self._doc_type[doc]
            nearest[index] = max(nearest[index], dot)
        return nearest, centroid

    def scores(self, text: str) -> list[Candidate]:
        """Every type's score for `text`, best first, the neutral class included."""
        folded = prepare(is_objection_request(text) or text)
        evidence = self._evidence(folded, latin_form(folded))
        nearest, centroid = self._similarity(folded)
        scored = []
        for index, model in enumerate(self._types):
            cue_part = 1 - math.exp(-evidence[index] / CUE_SCALE)
            similarity = NEAREST_SHARE * nearest[index] + (1 - NEAREST_SHARE) * centroid[index]
            score = CUE_SHARE * cue_part + (1 - CUE_SHARE) * similarity
            scored.append(Candidate(model.code, score))
        scored.sort(key=lambda candidate: candidate.score, reverse=True)
        return scored

    def match(self, text: str) -> MatchResult:
        """Score `text` (any language, colloquial, typos allowed) against every type."""
        scored = self.scores(text)
        neutral = next((c.score for c in scored if c.code == NEUTRAL_CODE), 0.0)
        scored = [candidate for candidate in scored if candidate.code != NEUTRAL_CODE]
        if not scored:
            return MatchResult((), sure=False, objection=False)
        top = scored[0].score
        likely = tuple(
            c for c in scored[:MAX_CHOICES] if c.score >= max(top * CHOICE_RATIO, RANK_FLOOR)
        )
        if top < max(MIN_SCORE, neutral * NEUTRAL_RATIO):
            return MatchResult(likely, sure=False, objection=False)
        runner_up = scored[1].score if len(scored) > 1 else 0.0
        sure = top >= SURE_SCORE and top - runner_up >= SURE_MARGIN
        return MatchResult(likely[:1] if sure else likely, sure=sure)


def specs_of(types: Iterable[ObjectionType]) -> list[TypeSpec]:
    return [
        TypeSpec(
            code=row.code,
            cues=[(str(phrase), float(weight)) for phrase, weight in row.cues],
            examples=[text for texts in row.examples.values() for text in texts],
        )
        for row in types
        if row.active
    ]


@cache
def _matcher_for(fingerprint: str) -> ObjectionMatcher:
    return ObjectionMatcher(
        TypeSpec(code, [tuple(cue) for cue in cues], examples)  # type: ignore[misc]
        for code, cues, examples in json.loads(fingerprint)
    )


def matcher_of(specs: Sequence[TypeSpec]) -> ObjectionMatcher:
    """A matcher for these specs, built once and reused while the library is unchanged."""
    fingerprint = json.dumps(
        [[s.code, [list(c) for c in s.cues], list(s.examples)] for s in specs],
        ensure_ascii=False,
    )
    return _matcher_for(fingerprint)


VERSION_CHECK_SECONDS = 2.0
"""How long another worker's change to the library may go unseen here; within it a message
is matched without asking the database anything."""


@dataclass(slots=True)
class _CurrentMatcher:
    matcher: ObjectionMatcher | None = None
    version: tuple[int, ...] | None = None
    checked_at: float = float("-inf")


_current = _CurrentMatcher()


def forget_matcher() -> None:
    """This process changed the library: the next match reads its version at once."""
    _current.checked_at = float("-inf")


async def match_objection(*, session: AsyncSession, text: str) -> MatchResult:
    """Match with the library's matcher, rebuilt only when the library's version changed.

    Plain text that is no clear lookup is checked here, so this runs on many messages; the
    version (one small aggregate query) is read at most every few seconds.
    """
    if _current.matcher is None or monotonic() - _current.checked_at >= VERSION_CHECK_SECONDS:
        version = await queries.library_version(session=session)
        if version != _current.version or _current.matcher is None:
            types = await queries.objection_types(session=session)
            _current.matcher, _current.version = matcher_of(specs_of(types)), version
        _current.checked_at = monotonic()
    return _current.matcher.match(text)


async def looks_like_objection(*, session: AsyncSession, text: str) -> bool:
    """True when plain text is surely an objection, for the lead's plain-text routing."""
    return (await match_objection(session=session, text=text)).sure


# --- the seed library -----------------------------------------------------------------------


@cache
def seed_library() -> dict[str, Any]:
    with SEED_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


def seed_neutral() -> TypeSpec:
    """The seed file's background class: messages that look like notes, not objections."""
    entry = seed_library().get("not_objections") or {}
    return TypeSpec(
        code=NEUTRAL_CODE,
        cues=[(phrase, float(weight)) for phrase, weight in entry.get("cues", [])],
        examples=[text for texts in entry.get("examples", {}).values() for text in texts],
    )


def seed_specs() -> list[TypeSpec]:
    """The seed file's types as matcher specs, for the bench without a database."""
    return [
        TypeSpec(
            code=entry["code"],
            cues=[(phrase, float(weight)) for phrase, weight in entry["cues"]],
            examples=[text for texts in entry["examples"].values() for text in texts],
        )
        for entry in seed_library()["types"]
    ]


def content_hash(entry: Mapping[str, Any]) -> str:
    """A stable hash of a seed type's matching content: names, cues and examples."""
    content = {key: entry.get(key) for key in ("names", "cues", "examples")}
    encoded = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


async def seed_objection_library(*, session: AsyncSession) -> int:
    """Add the seed library's missing types and scripts; returns the scripts added.

    Idempotent and run at every start, rather than as a data migration: migrations may not
    import `bot` (where the content lives), and new seed scripts then reach old databases too.
    A type's names, cues and examples (matching data) are rewritten from the file when the
    file's version of them changed since they were last written, and the type's revision is
    bumped so running matchers rebuild; scripts already present are never touched, since
    managers may have improved them.
    """
    existing = {row.code: row for row in await queries.objection_types(session=session)}
    known_scripts = await queries.script_codes(session=session)
    added = 0
    for position, entry in enumerate(seed_library()["types"]):
        row = existing.get(entry["code"])
        digest = content_hash(entry)
        if row is None:
            row = ObjectionType(code=entry["code"], active=True, revision=1)
            session.add(row)
        elif row.content_hash != digest:
            row.revision = (row.revision or 1) + 1
        if row.content_hash != digest:
            row.names, row.cues, row.examples = entry["names"], entry["cues"], entry["examples"]
            row.content_hash = digest
        row.position = position
        await session.flush()
        for script in entry["scripts"]:
            if script["code"] in known_scripts:
                continue
            await save_script(
                session=session,
                script=ObjectionScript(type_id=row.id, code=script["code"], version=0),
                title=script["title"],
                level=script["level"],
                industry=script["industry"],
                answers=script["answers"],
                tips=script["tips"],
                author=None,
                note="seed",
            )
            added += 1
    forget_matcher()
    return added


# --- versions -------------------------------------------------------------------------------


async def save_script(
    *,
    session: AsyncSession,
    script: ObjectionScript,
    title: str,
    level: str | None,
    industry: str | None,
    answers: Mapping[str, str],
    tips: Mapping[str, Any],
    author: User | None,
    note: str | None = None,
    active: bool = True,
) -> ObjectionScript:
    """Write the script's new text and keep it as the next version; earlier ones stay."""
    script.title = title
    script.level = level  # type: ignore[assignment]
    script.industry = industry or None
    script.answers = dict(answers)
    script.tips = dict(tips)
    script.active = active
    script.version = (script.version or 0) + 1
    script.author_id = author.id if author else script.author_id
    session.add(script)
    await session.flush()
    session.add(
        ScriptVersion(
            script_id=script.id,
            version=script.version,
            title=title,
            level=level,
            industry=script.industry,
            answers=dict(answers),
            tips=dict(tips),
            author_id=author.id if author else None,
            note=note,
        )
    )
    await session.flush()
    return script


# --- ranking --------------------------------------------------------------------------------


def wilson_lower_bound(successes: int, trials: int, z: float = WILSON_Z) -> float:
    """The lower end of the Wilson score interval of a success rate (0 without trials)."""
    if trials <= 0:
        return 0.0
    rate = successes / trials
    denominator = 1 + z * z / trials
    centre = rate + z * z / (2 * trials)
    spread = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials))
    return (centre - spread) / denominator


def rank_scripts(
    scripts: Sequence[ObjectionScript],
    *,
    level: str | None,
    industry: str | None,
    industry_stats: Mapping[int, tuple[int, int]] | None = None,
) -> list[ObjectionScript]:
    """Active scripts fit for this listener, best first.

    A variant written for the contact's level (or the customer's industry) comes before a
    general one, because it says what this listener cares about; within the same fit, the
    Wilson lower bound decides. `industry_stats` (script id → worked, rated) replaces the
    overall figures once the industry has `INDUSTRY_MIN_TRIALS` rated uses.
    """
    stats = industry_stats or {}
    use_industry = sum(rated for _worked, rated in stats.values()) >= INDUSTRY_MIN_TRIALS

    def fits(script: ObjectionScript) -> bool:
        fits_level = script.level in (None, level)
        return script.active and fits_level and script.industry in (None, industry)

    def key(script: ObjectionScript) -> tuple[int, int, float, int]:
        worked, rated = (
            stats.get(script.id, (0, 0))
            if use_industry
            else (script.worked_count, script.worked_count + script.failed_count)
        )
        return (
            int(level is not None and script.level == level),
            int(industry is not None and script.industry == industry),
            wilson_lower_bound(worked, rated),
            -script.id,
        )

    return sorted(filter(fits, scripts), key=key, reverse=True)


# --- context and filling --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AnswerContext:
    """Who the answer is for; every field may be unknown, and the answer still reads well."""

    customer: Customer | None = None
    contact_name: str | None = None
    contact_title: str | None = None
    contact_id: int | None = None
    level: str | None = None
    rep: str | None = None
    competitor: str | None = None
    proposed: datetime | None = None


def level_of(level: str | None, title: str | None) -> str | None:
    """The contact's recorded level, else a guess from the title, else None."""
    if level:
        return level
    folded = fold(title or "")
    if not folded:
        return None
    if any(word in folded for word in DECISION_TITLES):
        return ContactLevel.DECISION.value
    if any(word in folded for word in MANAGEMENT_TITLES):
        return ContactLevel.MANAGEMENT.value
    return ContactLevel.OPERATIONS.value


def address_of(name: str, title: str | None, language: str) -> str:
    """How a rep addresses the contact: 王经理 in Chinese when the title allows, else the name."""
    if language == "en" or not title:
        return name
    short = next((word for word in SHORT_TITLES if fold(title).endswith(word)), None)
    if short and all(is_hanzi(ch) for ch in name) and 2 <= len(name) <= 3:
        return name[0] + (_SIMPLE_TO_TRADITIONAL.convert(short) if language == "zh_TW" else short)
    return name


def propose_date(now: datetime, zone: ZoneInfo) -> datetime:
    """A concrete meeting slot: `PROPOSE_AFTER_DAYS` working days out, at `PROPOSED_HOUR`."""
    day: date = now.astimezone(zone).date()
    added = 0
    while added < PROPOSE_AFTER_DAYS:
        day += timedelta(days=1)
        added += day.weekday() < SATURDAY
    return datetime.combine(day, PROPOSED_HOUR, tzinfo=zone)


def format_date(moment: datetime, language: str) -> str:
    """The proposed slot as a rep would say it, in the answer's language."""
    locale = {"zh_CN": "zh_Hans_CN", "zh_TW": "zh_Hant_TW"}.get(language, "en")
    return f"{format_skeleton('MMMEd', moment, locale=locale)} {moment:%H:%M}"


def competitor_in(text: str, language: str) -> str | None:
    """A known competitor named in the customer's words, in the answer's language."""
    folded = fold(text)
    for competitor in seed_library()["competitors"]:
        for alias in competitor["aliases"]:
            alias_folded = fold(alias)
            pattern = rf"(?<![a-z]){re.escape(alias_folded)}(?![a-z])"
            if re.search(pattern, folded):
                return str(competitor["names"][language])
    return None


def answer_text(script: ObjectionScript, language: str) -> tuple[str, Mapping[str, str]]:
    """The answer and tips in `language`, converted from another Chinese form if missing."""
    answers, tips = script.answers or {}, script.tips or {}
    if answers.get(language):
        return answers[language], tips.get(language) or {}
    convert = {"zh_TW": ("zh_CN", _TO_TRADITIONAL.convert), "zh_CN": ("zh_TW", fold)}
    if language in convert:
        source, function = convert[language]
        if answers.get(source):
            source_tips = tips.get(source) or {}
            return function(answers[source]), {k: function(v) for k, v in source_tips.items()}
    for other in LANGUAGES:
        if answers.get(other):
            return answers[other], tips.get(other) or {}
    return "", {}


def fill(template: str, values: Mapping[str, str | None], fallbacks: Mapping[str, str]) -> str:
    """Fill placeholders; a `[[…]]` segment is dropped unless all its placeholders are known.

    Outside segments an unknown placeholder takes its natural fallback ("贵公司", "your
    company"), so an answer without context still reads as a sentence.
    """

    def segment(match: re.Match[str]) -> str:
        names = _PLACEHOLDER.findall(match[1])
        return match[1] if all(values.get(name) for name in names) else ""

    def value(match: re.Match[str]) -> str:
        name = match[1]
        return values.get(name) or fallbacks.get(name) or match[0]

    return _PLACEHOLDER.sub(value, _OPTIONAL.sub(segment, template))


def fill_answer(
    script: ObjectionScript, context: AnswerContext, language: str
) -> tuple[str, dict[str, str]]:
    """The script's answer and tips for this listener, in `language`, placeholders filled."""
    template, tips = answer_text(script, language)
    values: dict[str, str | None] = {
        "customer": context.customer.legal_name if context.customer else None,
        "contact": (
            address_of(context.contact_name, context.contact_title, language)
            if context.contact_name
            else None
        ),
        "contact_title": context.contact_title,
        "competitor": context.competitor,
        "rep": context.rep,
        "date": format_date(context.proposed, language) if context.proposed else None,
        "product": None,
    }
    fallbacks = seed_library()["fallbacks"].get(language, {})
    return fill(template, values, fallbacks), {
        key: fill(str(text), values, fallbacks) for key, text in tips.items() if text
    }


def _visit_ids(state: DialogState | None) -> tuple[int | None, int | None]:
    """The customer and first contact of an active visit dialog's draft; the one coupling."""
    if state is None or state.dialog != VISIT_DIALOG:
        return None, None
    data = state.data or {}
    customer = next((data[k] for k in VISIT_CUSTOMER_KEYS if data.get(k)), None)
    contact = next((data[k] for k in VISIT_CONTACT_KEYS if data.get(k)), None)
    if isinstance(contact, list):
        contact = contact[0] if contact else None
    return _as_id(customer), _as_id(contact)


def _as_id(raw: object) -> int | None:
    return int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None


async def answer_context(
    *,
    session: AsyncSession,
    user: User,
    dialog: DialogState | None,
    now: datetime,
    zone: ZoneInfo,
    text: str,
    language: str,
) -> AnswerContext:
    """The customer the rep is with: the visit being logged in `dialog` (the chat's, as the
    router read it), else a card opened just now."""
    customer_id, contact_id = _visit_ids(dialog)
    recent = user.last_customer_at is not None and now - user.last_customer_at <= RECENT_CUSTOMER
    if customer_id is None and recent:
        customer_id = user.last_customer_id
    customer = (
        await get_customer(session=session, customer_id=customer_id) if customer_id else None
    )
    contacts = customer.contacts if customer else []
    contact = next((c for c in contacts if c.id == contact_id), contacts[0] if contacts else None)
    return AnswerContext(
        customer=customer,
        contact_name=contact.name if contact else None,
        contact_title=contact.title if contact else None,
        contact_id=contact.id if contact else None,
        level=level_of(contact.level, contact.title) if contact else None,
        rep=user.name,
        competitor=competitor_in(text, language),
        proposed=propose_date(now, zone),
    )


@dataclass(frozen=True, slots=True)
class Answer:
    """One answer ready to show, and the use row that its outcome buttons point at."""

    objection: ObjectionType
    script: ObjectionScript
    text: str
    tips: Mapping[str, str]
    use: ScriptUse


async def answer_objection(
    *,
    session: AsyncSession,
    code: str,
    context: AnswerContext,
    user: User,
    query: str,
    confidence: float,
    language: str,
    now: datetime,
) -> Answer | None:
    """The best script of objection `code` for this listener, filled, with its use recorded."""
    objection = await queries.objection_type_by_code(session=session, code=code)
    if objection is None:
        return None
    industry = context.customer.industry if context.customer else None
    stats = (
        await queries.industry_outcomes(session=session, type_id=objection.id, industry=industry)
        if industry
        else None
    )
    ranked = rank_scripts(
        objection.scripts, level=context.level, industry=industry, industry_stats=stats
    )
    if not ranked:
        return None
    script = ranked[0]
    text, tips = fill_answer(script, context, language)
    use = await queries.add_script_use(
        session=session,
        use=ScriptUse(
            script_id=script.id,
            script_version=script.version,
            user_id=user.id,
            customer_id=context.customer.id if context.customer else None,
            contact_id=context.contact_id,
            industry=industry,
            query=query[:500],
            confidence=round(confidence, 3),
            asked_at=now,
        ),
    )
    script.use_count += 1
    return Answer(objection, script, text, tips, use)


async def record_outcome(
    *, session: AsyncSession, use: ScriptUse, outcome: ScriptOutcome, now: datetime
) -> bool:
    """Set what came of an answer; a changed mind moves the count. False when unchanged."""
    if use.outcome == outcome:
        return False
    counters = {
        ScriptOutcome.WORKED: "worked_count",
        ScriptOutcome.FAILED: "failed_count",
        ScriptOutcome.UNUSED: "unused_count",
    }
    script = use.script
    if use.outcome is not None:
        previous = counters[ScriptOutcome(use.outcome)]
        setattr(script, previous, max(getattr(script, previous) - 1, 0))
    setattr(script, counters[outcome], getattr(script, counters[outcome]) + 1)
    use.outcome = outcome
    use.outcome_at = now
    await session.flush()
    return True


LINK_WINDOW = timedelta(hours=12)
"""Answers asked for this long before a visit is logged belong to that visit (same day)."""


async def link_visit(*, session: AsyncSession, visit: Visit) -> int:
    """Tie the rep's recent answers for the objections a visit names to that visit.

    Call after saving a visit whose `objections` lists type codes; returns the uses linked.
    """
    if not visit.objections:
        return 0
    return await queries.link_uses_to_visit(
        session=session,
        user_id=visit.rep_id,
        customer_id=visit.customer_id,
        codes=[str(code) for code in visit.objections],
        visit_id=visit.id,
        since=visit.visited_at - LINK_WINDOW,
    )
