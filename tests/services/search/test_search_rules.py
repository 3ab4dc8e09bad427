"""General matching rules added after measuring on generated query sets (hand-made rows)."""

from __future__ import annotations

import json

import pytest

from bot.services.search import (
    CustomerIndex,
    CustomerRecord,
    customer_keys,
    parse_attributes,
)
from bot.services.search.normalize import fold, fold_literal

NAMES = [
    "泽远特兴物流（洛阳）股份有限公司",
    "上海泽远特兴物流有限公司",
    "兴宇食品（兰州）有限公司",
    "保定兴宇精细化工有限公司",
    "长春市锦泽东分析仪器有限责任公司",
    "创尔精密机械有限公司杭州分公司",
    "北京创尔精密机械有限公司",
    "湖州昇洋机电设备有限公司",
    "升洋和计量校准有限公司",
    "洛阳伟田生物制药有限公司",
    "烟台鑫杰港务有限公司",
    "烟台朗新港务有限公司",
]


@pytest.fixture(scope="module")
def index() -> CustomerIndex:
    return CustomerIndex.build(
        CustomerRecord(
            id=i,
            keys=json.loads(json.dumps(customer_keys(name), ensure_ascii=False)),
            name=name,
        )
        for i, name in enumerate(NAMES)
    )


def _top(index: CustomerIndex, query: str) -> str:
    hits = index.search(query)
    return NAMES[hits[0].id] if hits else ""


def test_customer_index_hanzi_region_before_bracketed_homophone_core_finds_branch(
    index: CustomerIndex,
) -> None:
    assert _top(index, "洛阳责远特兴") == "泽远特兴物流（洛阳）股份有限公司"


def test_customer_index_pinyin_region_before_bracketed_core_finds_it(index: CustomerIndex) -> None:
    assert _top(index, "lanzhouxingyu") == "兴宇食品（兰州）有限公司"
    assert _top(index, "lan zhou shi xing yu") == "兴宇食品（兰州）有限公司"


def test_customer_index_pinyin_region_without_shi_finds_name_with_shi(
    index: CustomerIndex,
) -> None:
    assert _top(index, "changchunjinzedong") == "长春市锦泽东分析仪器有限责任公司"
    assert _top(index, "长春锦泽冬") == "长春市锦泽东分析仪器有限责任公司"


def test_customer_index_hanzi_region_with_pinyin_core_finds_branch_office(
    index: CustomerIndex,
) -> None:
    assert _top(index, "杭州chuanger") == "创尔精密机械有限公司杭州分公司"


def test_customer_index_region_split_unknown_region_matches_nothing(index: CustomerIndex) -> None:
    assert index.search("广州xingyu") == []
    # a known region the name does not carry is no match either
    assert _top(index, "洛阳xingyu") == ""


def test_customer_index_literal_character_beats_folded_twin(index: CustomerIndex) -> None:
    assert fold("昇洋") == fold("升洋")  # OpenCC folds the variant …
    assert _top(index, "昇洋") == "湖州昇洋机电设备有限公司"  # … the literal form decides
    assert _top(index, "升洋") == "升洋和计量校准有限公司"


def test_fold_literal_keeps_characters_but_folds_width_and_case() -> None:
    assert fold_literal("湖州昇洋 ＡＢ（苏州）") == "湖州昇洋ab(苏州)"


@pytest.mark.parametrize("query", ["304F2级5kg", "ss304f2 5kg", "316LE2 5kg"])
def test_parse_attributes_material_glued_to_class_reads_both(query: str) -> None:
    attrs = parse_attributes(query)
    assert attrs["grade"] in {"F2", "E2"}
    assert attrs["masses"] == ["mg:5000000"]
    assert {"304", "316"} & set(attrs["tags"])


def test_parse_attributes_code_number_glued_to_letters_stays_code() -> None:
    assert "tags" not in parse_attributes("rs485")


def test_customer_index_region_split_mid_word_sound_alike_loses_to_deletion(
    index: CustomerIndex,
) -> None:
    # 烟台 + 鑫港务… sounds like the tail of 烟台朗新港务, but that starts inside a trade name.
    assert _top(index, "烟台鑫港务有限公司") == "烟台鑫杰港务有限公司"
