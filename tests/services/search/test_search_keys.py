"""Write-time key builders: customer name splitting, pinyin, phones; product attributes."""

from __future__ import annotations

import json

import pytest

from bot.services.search import customer_keys, parse_attributes, product_keys
from bot.services.search.customer_keys import phone_keys


def _part(keys: dict, part: str) -> str | None:
    span = keys["spans"][part]
    return keys["text"][span[0] : span[1]] if span else None


@pytest.mark.parametrize(
    ("name", "region", "core", "legal"),
    [
        ("苏州华为技术有限公司", "苏州", "华为", "有限公司"),
        ("华为技术（苏州）有限公司", "(苏州)", "华为", "有限公司"),
        ("华为技术有限公司苏州分公司", "苏州", "华为", "有限公司苏州分公司"),
        ("江苏省苏州市华为技术股份有限公司", "江苏省苏州市", "华为", "股份有限公司"),
        ("常州豪盛万称重设备经营部", "常州", "豪盛万", "经营部"),
        ("上海风源精细化工厂", "上海", "风源", "厂"),
    ],
)
def test_customer_keys_legal_name_splits_region_core_legal(
    name: str, region: str, core: str, legal: str
) -> None:
    keys = customer_keys(name)
    assert (_part(keys, "region"), _part(keys, "core"), _part(keys, "legal")) == (
        region,
        core,
        legal,
    )


@pytest.mark.parametrize(
    ("name", "pinyin"),
    [
        ("重庆宝心麒机械", "chong qing"),
        ("长春维涛粮油", "chang chun"),
        ("长沙银行", "chang sha yin hang"),
        ("长治大德泓钢铁", "chang zhi"),
    ],
)
def test_customer_keys_polyphone_place_reads_in_context(name: str, pinyin: str) -> None:
    assert customer_keys(name)["py"].startswith(pinyin)


def test_customer_keys_traditional_name_stored_simplified() -> None:
    assert customer_keys("長春英偉科食品有限公司")["text"] == "长春英伟科食品有限公司"


def test_customer_keys_result_is_json_serialisable() -> None:
    keys = customer_keys("华为技术(苏州)有限公司", ["华为"], "0512-66881234")
    assert json.loads(json.dumps(keys, ensure_ascii=False)) == keys


def test_phone_keys_landline_with_and_without_area_code() -> None:
    assert phone_keys("0512-66881234") == ["051266881234", "66881234"]


def test_phone_keys_mobile_with_country_code_drops_it() -> None:
    assert phone_keys("+86 138 1234 5678") == ["13812345678"]


@pytest.mark.parametrize(("a", "b"), [("50公斤", "50kg"), ("0.5g", "500mg"), ("1吨", "1000千克")])
def test_parse_attributes_unit_words_give_same_mass(a: str, b: str) -> None:
    assert parse_attributes(a)["masses"] == parse_attributes(b)["masses"]


@pytest.mark.parametrize("word", ["锁型", "锁形", "锁式", "鎖型", "lock-type"])
def test_parse_attributes_lock_spellings_give_lock_shape(word: str) -> None:
    assert parse_attributes(word)["shapes"] == ["lock"]


def test_parse_attributes_double_hook_is_not_plain_hook() -> None:
    assert parse_attributes("雙鈎砝碼")["shapes"] == ["double_hook"]


def test_parse_attributes_english_query_reads_every_field() -> None:
    attrs = parse_attributes("hook SS304 weight 500g class M1")
    assert attrs["grade"] == "M1"
    assert attrs["masses"] == ["mg:500000"]
    assert attrs["tags"] == ["304"]
    assert attrs["shapes"] == ["hook"]


def test_parse_attributes_glued_pinyin_reads_material_and_category() -> None:
    attrs = parse_attributes("wucifama f1 25kg")
    assert attrs["tags"] == ["nonmagnetic"] and attrs["cats"] == ["weight"]


def test_parse_attributes_gauge_grade_in_pinyin() -> None:
    assert parse_attributes("liangkuai 1.32 kji")["grade"] == "GK"


def test_parse_attributes_mass_glued_to_class_splits() -> None:
    attrs = parse_attributes("不锈钢100gF1")
    assert attrs["masses"] == ["mg:100000"] and attrs["grade"] == "F1"


def test_parse_attributes_unitless_dimensions_kept_raw() -> None:
    assert parse_attributes("地磅 5t 1.2x1.2")["dims"] == [1.2, 1.2]


def test_parse_attributes_metre_dimensions_in_mm() -> None:
    assert parse_attributes("2米×2米")["dims_mm"] == [2000.0, 2000.0]


def test_product_keys_certificate_variant_from_sku() -> None:
    keys = product_keys("SW-F1-1MG-P-CNAS", "304不锈钢片状砝码 F1级 1mg（含CNAS校准证书）", "", "")
    assert keys["attrs"]["cert"] == "CNAS"
    assert keys["sku"] == "swf11mgpcnas"
    assert {"304", "stainless"} <= set(keys["attrs"]["tags"])


def test_product_keys_plain_product_has_no_certificate() -> None:
    keys = product_keys("SW-F1-1MG-P", "304不锈钢片状砝码 F1级 1mg", "不锈钢砝码", "证书:无")
    assert "cert" not in keys["attrs"]
