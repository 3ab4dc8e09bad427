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

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import opencc
from babel.dates import format_skeleton
from rapidfuzz import fuzz
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.search.normalize import char_readings, fold, is_hanzi
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
from storage.queries.dialogs import load_dialog

SEED_FILE = Path(__file__).resolve().parent.parent / "data" / "objection_scripts.json"
LANGUAGES = ("zh_CN", "zh_TW", "en")

CUE_SCALE = 4.0
"""Cue weight at which the cue part reaches 63%: one strong phrase (weight 4) is good evidence."""
CUE_SHARE = 0.65
"""Key phrases carry most of the score; example similarity breaks ties and catches paraphrase."""
PINYIN_CUE_DISCOUNT = 0.7
"""A cue found only by its sound (预蒜 for 预算) counts less than one spelled right."""
FUZZY_WORD_RATIO = 80
"""rapidfuzz ratio for an English word to count as a typo of a cue word (pricy ~ pricey)."""
FUZZY_MIN_LENGTH = 5
"""Shorter English words are too easily one edit from another word to be fuzzed."""

MIN_SCORE = 0.40
"""Below this the text is not an objection (a name, a product, a visit note); on the labelled
set real objections score from about 0.42 and non-objections stay under about 0.41."""
SURE_SCORE = 0.50
"""From here the top type is answered directly, when it also leads by `SURE_MARGIN`."""
SURE_MARGIN = 0.12
"""A closer runner-up means the rep should choose between the likely objections."""
MAX_CHOICES = 3
"""When unsure, offer this many likely objections: more is a menu, not a guess."""
CHOICE_RATIO = 0.6
"""A runner-up under this share of the top score is not worth a button."""

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
    """The likely objections, best first; `sure` when the first may be answered directly."""

    candidates: tuple[Candidate, ...]
    sure: bool

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


def _pinyin(text: str) -> tuple[str, ...]:
    return tuple(char_readings(ch)[0] if char_readings(ch) else ch for ch in text)


def _contains_run(haystack: tuple[str, ...], needle: tuple[str, ...]) -> bool:
    size = len(needle)
    return any(haystack[i : i + size] == needle for i in range(len(haystack) - size + 1))


def _grams(text: str) -> Counter[str]:
    """Character unigrams and bigrams of hanzi runs, padded trigrams of English words."""
    grams: Counter[str] = Counter()
    for run in _HANZI_RUN.findall(text):
        grams.update(run)
        grams.update(run[i : i + 2] for i in range(len(run) - 1))
    for word in _LATIN_WORD.findall(text):
        padded = f" {word} "
        grams[word] += 1
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


@dataclass(slots=True)
class _Cue:
    text: str
    weight: float
    latin: bool
    sound: tuple[str, ...] = ()
    words: tuple[str, ...] = ()


@dataclass(slots=True)
class _TypeModel:
    code: str
    cues: list[_Cue]
    vectors: list[dict[str, float]] = field(default_factory=list)


class ObjectionMatcher:
    """Scores free text against every objection type; built once per library version."""

    def __init__(self, types: Iterable[TypeSpec]) -> None:
        self._types: list[_TypeModel] = []
        documents: list[tuple[int, Counter[str]]] = []
        for index, spec in enumerate(types):
            cues = [self._cue(phrase, weight) for phrase, weight in spec.cues]
            self._types.append(_TypeModel(spec.code, cues))
            documents += [(index, _grams(fold(example))) for example in spec.examples]
        frequency: Counter[str] = Counter()
        for _index, grams in documents:
            frequency.update(grams.keys())
        total = max(len(documents), 1)
        self._idf = {gram: math.log((1 + total) / (1 + n)) + 1 for gram, n in frequency.items()}
        for index, grams in documents:
            self._types[index].vectors.append(self._vector(grams))

    @staticmethod
    def _cue(phrase: str, weight: float) -> _Cue:
        folded = fold(phrase)
        latin = not any(is_hanzi(ch) for ch in folded)
        if latin:
            return _Cue(folded, weight, True, words=tuple(folded.split()))
        sound = _pinyin(folded) if len(folded) >= 2 else ()
        return _Cue(folded, weight, False, sound=sound)

    def _vector(self, grams: Counter[str]) -> dict[str, float]:
        vector = {gram: count * self._idf.get(gram, 0.0) for gram, count in grams.items()}
        norm = math.sqrt(sum(value * value for value in vector.values())) or 1.0
        return {gram: value / norm for gram, value in vector.items() if value}

    def match(self, text: str) -> MatchResult:
        """Score `text` (any language, colloquial, typos allowed) against every type."""
        folded = fold(is_objection_request(text) or text)
        words = _LATIN_WORD.findall(folded)
        sound = _pinyin("".join(_HANZI_RUN.findall(folded)))
        query = self._vector(_grams(folded))
        scored = []
        for model in self._types:
            evidence = sum(self._cue_hit(cue, folded, words, sound) for cue in model.cues)
            similarity = max(
                (sum(w * vec.get(g, 0.0) for g, w in query.items()) for vec in model.vectors),
                default=0.0,
            )
            cue_part = 1 - math.exp(-evidence / CUE_SCALE)
            score = CUE_SHARE * cue_part + (1 - CUE_SHARE) * similarity
            scored.append(Candidate(model.code, score))
        scored.sort(key=lambda candidate: candidate.score, reverse=True)
        if not scored or scored[0].score < MIN_SCORE:
            return MatchResult((), sure=False)
        top = scored[0].score
        likely = tuple(c for c in scored[:MAX_CHOICES] if c.score >= top * CHOICE_RATIO)
        runner_up = scored[1].score if len(scored) > 1 else 0.0
        sure = top >= SURE_SCORE and top - runner_up >= SURE_MARGIN
        return MatchResult(likely[:1] if sure else likely, sure=sure)

    @staticmethod
    def _cue_hit(cue: _Cue, folded: str, words: list[str], sound: tuple[str, ...]) -> float:
        if cue.latin:
            if re.search(rf"(?<![a-z]){re.escape(cue.text)}(?![a-z])", folded):
                return cue.weight
            if len(cue.words) == 1 and len(cue.text) >= FUZZY_MIN_LENGTH:
                best = max((fuzz.ratio(cue.text, word) for word in words), default=0.0)
                return cue.weight * PINYIN_CUE_DISCOUNT if best >= FUZZY_WORD_RATIO else 0.0
            return 0.0
        if cue.text in folded:
            return cue.weight
        if cue.sound and _contains_run(sound, cue.sound):
            return cue.weight * PINYIN_CUE_DISCOUNT
        return 0.0


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


_current: dict[tuple[int, int], ObjectionMatcher] = {}


async def match_objection(*, session: AsyncSession, text: str) -> MatchResult:
    """Match with the library's matcher, rebuilt only when the set of active types changed.

    Plain text is checked for an objection before it is searched, so this runs on most
    messages: one small aggregate query, not the whole library, while nothing changed.
    """
    version = await queries.library_version(session=session)
    matcher = _current.get(version)
    if matcher is None:
        matcher = matcher_of(specs_of(await queries.objection_types(session=session)))
        _current.clear()
        _current[version] = matcher
    return matcher.match(text)


async def looks_like_objection(*, session: AsyncSession, text: str) -> bool:
    """True when plain text is surely an objection, for the lead's plain-text routing."""
    return (await match_objection(session=session, text=text)).sure


# --- the seed library -----------------------------------------------------------------------


@cache
def seed_library() -> dict[str, Any]:
    with SEED_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)  # type: ignore[no-any-return]


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


async def seed_objection_library(*, session: AsyncSession) -> int:
    """Add the seed library's missing types and scripts; returns the scripts added.

    Idempotent and run at every start, rather than as a data migration: migrations may not
    import `bot` (where the content lives), and new seed scripts then reach old databases too.
    Types' names, cues and examples follow the file (they are matching data); scripts already
    present are never touched, since managers may have improved them.
    """
    existing = {row.code: row for row in await queries.objection_types(session=session)}
    known_scripts = await queries.script_codes(session=session)
    added = 0
    for position, entry in enumerate(seed_library()["types"]):
        row = existing.get(entry["code"])
        if row is None:
            row = ObjectionType(code=entry["code"], active=True)
            session.add(row)
        row.names, row.cues, row.examples = entry["names"], entry["cues"], entry["examples"]
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
    channel: str,
    chat_id: str,
    now: datetime,
    zone: ZoneInfo,
    text: str,
    language: str,
) -> AnswerContext:
    """The customer the rep is with: the visit being logged, else a card opened just now."""
    state = await load_dialog(session=session, user_id=user.id, channel=channel, chat_id=chat_id)
    customer_id, contact_id = _visit_ids(state)
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
