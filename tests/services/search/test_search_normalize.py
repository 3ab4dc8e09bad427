"""Text folding, script detection and pinyin segmentation."""

from __future__ import annotations

import pytest

from bot.services.search import _char_pinyin
from bot.services.search.normalize import (
    char_readings,
    fold,
    generate_char_table,
    segment_pinyin,
)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("長春", "长春"),
        ("不銹鋼", "不锈钢"),
        ("不鏽鋼", "不锈钢"),
        ("稱重", "称重"),
        ("雙鈎", "双钩"),
        ("華為技術（蘇州）有限公司", "华为技术(苏州)有限公司"),
        ("ＳＷ－Ｆ１", "sw-f1"),
        ("  a   b  ", "a b"),
    ],
)
def test_fold_traditional_and_fullwidth_become_simplified_ascii(raw: str, folded: str) -> None:
    assert fold(raw) == folded


def test_fold_empty_string_returns_empty() -> None:
    assert fold("") == ""


def test_fold_500_characters_is_truncated() -> None:
    assert len(fold("砝" * 500)) <= 200


def test_segment_pinyin_unspaced_name_splits_into_syllables() -> None:
    assert segment_pinyin("shenyangbaozhen")[0] == ("shen", "yang", "bao", "zhen")


def test_segment_pinyin_spaced_input_keeps_boundaries() -> None:
    assert segment_pinyin("hang zhou ping qi")[0] == ("hang", "zhou", "ping", "qi")


def test_segment_pinyin_ambiguous_run_offers_both_readings() -> None:
    readings = segment_pinyin("xian")
    assert ("xian",) in readings and ("xi", "an") in readings


def test_segment_pinyin_initials_cannot_be_split() -> None:
    assert segment_pinyin("hljrhb") == ()


def test_char_readings_polyphone_lists_every_reading() -> None:
    assert set(char_readings("长")) == {"chang", "zhang"}
    assert {"chong", "zhong"} <= set(char_readings("重"))


def test_char_table_matches_installed_pypinyin() -> None:
    assert generate_char_table() == (_char_pinyin.TABLE.strip(), _char_pinyin.EXTRA.strip())
