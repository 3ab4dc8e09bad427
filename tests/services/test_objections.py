"""Objection matching, ranking, filling and seeding, without the chat."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from bench.objection_eval import DEFAULT_SET, evaluate
from bot.services.objections import (
    AnswerContext,
    ObjectionMatcher,
    fill,
    fill_answer,
    is_objection_request,
    rank_scripts,
    seed_objection_library,
    seed_specs,
    wilson_lower_bound,
)
from storage.engine import create_engine, create_session_factory
from storage.models import Customer, ObjectionScript, ObjectionType, ScriptVersion

EVAL_SET = Path(DEFAULT_SET)


def script(script_id: int, worked: int, failed: int, **fields: object) -> ObjectionScript:
    return ObjectionScript(
        id=script_id,
        type_id=1,
        title=f"s{script_id}",
        active=True,
        worked_count=worked,
        failed_count=failed,
        level=fields.get("level"),
        industry=fields.get("industry"),
        answers=fields.get("answers", {}),
        tips={},
    )


def test_matcher_labelled_set_meets_top1_and_top3_bar() -> None:
    lines = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines()]
    overall = evaluate(lines, ObjectionMatcher(seed_specs()))["overall"]["all"]

    assert overall.n >= 150
    assert overall.top1 / overall.n >= 0.90
    assert overall.top3 / overall.n >= 0.97


def test_matcher_labelled_set_covers_every_type_and_language() -> None:
    lines = [json.loads(line) for line in EVAL_SET.read_text(encoding="utf-8").splitlines()]

    assert {line["label"] for line in lines} - {None} == {spec.code for spec in seed_specs()}
    assert {line["lang"] for line in lines} == {"zh_CN", "zh_TW", "en"}
    assert any(line["label"] is None for line in lines)


def test_matcher_traditional_and_homophone_typo_match_price() -> None:
    matcher = ObjectionMatcher(seed_specs())

    assert matcher.match("你們家東西也太貴了吧").best.code == "price"
    assert matcher.match("太桂了").best.code == "price"


def test_is_objection_request_reported_speech_returns_the_words() -> None:
    assert is_objection_request("客户说：“回头再说”") == "回头再说"
    assert is_objection_request("customer says too pricey") == "too pricey"
    assert is_objection_request("华为 F1 砝码") is None


def test_wilson_lower_bound_three_of_three_below_45_of_50() -> None:
    assert wilson_lower_bound(3, 3) < wilson_lower_bound(45, 50)
    assert wilson_lower_bound(0, 0) == 0.0


def test_rank_scripts_three_lucky_successes_do_not_outrank_proven_script() -> None:
    lucky, proven = script(1, 3, 0), script(2, 45, 5)

    assert rank_scripts([lucky, proven], level=None, industry=None) == [proven, lucky]


def test_rank_scripts_level_variant_comes_before_general_script() -> None:
    general, decision = script(1, 45, 5), script(2, 0, 0, level="decision")

    ranked = rank_scripts([general, decision], level="decision", industry=None)
    without_level = rank_scripts([general, decision], level=None, industry=None)

    assert ranked[0] is decision
    assert without_level == [general]


def test_rank_scripts_industry_figures_used_only_with_enough_data() -> None:
    first, second = script(1, 45, 5), script(2, 10, 10)

    few = rank_scripts([first, second], level=None, industry="制药", industry_stats={2: (3, 3)})
    many = rank_scripts(
        [first, second], level=None, industry="制药", industry_stats={1: (2, 10), 2: (20, 21)}
    )

    assert few[0] is first
    assert many[0] is second


def test_fill_optional_segment_dropped_without_value() -> None:
    template = "[[{contact}，]]{customer}的情况"

    assert fill(template, {}, {"customer": "贵公司"}) == "贵公司的情况"
    assert fill(template, {"contact": "王经理", "customer": "华康"}, {}) == "王经理，华康的情况"


def test_fill_answer_without_context_reads_naturally_in_every_language() -> None:
    seed = [ObjectionScript(answers=a, tips={}) for a in _seed_answers()]

    for row in seed:
        for language in ("zh_CN", "zh_TW", "en"):
            text, _tips = fill_answer(row, AnswerContext(), language)
            assert "{" not in text and "[[" not in text, (language, text)


def test_fill_answer_with_context_addresses_contact_by_surname_and_title() -> None:
    row = script(
        1, 0, 0, answers={"zh_CN": "[[{contact}，]]{customer}", "zh_TW": "[[{contact}，]]"}
    )
    context = AnswerContext(
        customer=Customer(legal_name="华康制药"), contact_name="王建国", contact_title="采购经理"
    )

    assert fill_answer(row, context, "zh_CN")[0] == "王经理，华康制药"
    assert fill_answer(row, context, "zh_TW")[0] == "王經理，"


def _seed_answers() -> list[dict[str, str]]:
    from bot.services.objections import seed_library

    return [s["answers"] for t in seed_library()["types"] for s in t["scripts"]]


async def test_seed_objection_library_twice_adds_scripts_once(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    sessions = create_session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            first = await seed_objection_library(session=session)
        async with sessions() as session, session.begin():
            second = await seed_objection_library(session=session)
            types = await session.scalar(select(func.count()).select_from(ObjectionType))
            versions = await session.scalar(select(func.count()).select_from(ScriptVersion))
    finally:
        await engine.dispose()

    assert first == len(_seed_answers()) and second == 0
    assert types == 14
    assert versions == first
