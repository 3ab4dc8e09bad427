"""Customer and product indexes on a handful of hand-made rows."""

from __future__ import annotations

import json

import pytest

from bot.services.search import (
    CustomerIndex,
    CustomerRecord,
    Hit,
    ProductIndex,
    ProductRecord,
    customer_keys,
    is_ambiguous,
    product_keys,
)

CUSTOMERS = [
    ("杭州平祺衡器有限公司", "0571-88776655"),
    ("华为技术（苏州）有限公司", "13912345678"),
    ("上海贵洋东乳业有限公司", None),
    ("黑龙江润宏佰衡器有限责任公司", None),
    ("镇江益锐实验设备有限公司", None),
    ("重庆达禧振宸分析仪器有限公司", None),
    ("泉州兴长昊衡器设备有限公司", None),
    ("河北茂聚瑞港务有限公司", None),
    ("苏州平祺衡器有限公司", None),
]

PRODUCTS = [
    ("SW-F1-20KG-C", "304不锈钢圆柱形砝码 F1级 20kg", "不锈钢砝码"),
    ("SW-F1-20KG-C-CNAS", "304不锈钢圆柱形砝码 F1级 20kg（含CNAS校准证书）", "不锈钢砝码"),
    ("SW-F1-20KG-L", "304不锈钢锁型砝码 F1级 20kg", "不锈钢砝码"),
    ("SW-F1-2KG-C", "304不锈钢圆柱形砝码 F1级 2kg", "不锈钢砝码"),
    ("SN-F1-25KG-S", "316无磁不锈钢方形砝码 F1级 25kg", "不锈钢砝码"),
    ("SW-M1-500G-H", "304不锈钢钩码 M1级 500g", "不锈钢砝码"),
    ("SW-M1-500MG-P", "304不锈钢片状砝码 M1级 500mg", "不锈钢砝码"),
    ("CW-M1-25KG-L", "铸铁锁型砝码 M1级 25kg", "铸铁砝码"),
    ("FS-5T-1212-EX", "防爆电子地磅 5t 1.2×1.2m", "地磅"),
    ("FS-5T-22-EX", "防爆电子地磅 5t 2×2m", "地磅"),
    ("GB-ST0-1.46", "钢制量块 0级 1.46mm", "量块"),
    ("GB-CE0-1.46", "陶瓷量块 0级 1.46mm", "量块"),
]


def _stored(keys: dict) -> dict:
    """What the database hands back: the keys survive a JSON round trip."""
    return json.loads(json.dumps(keys, ensure_ascii=False))


@pytest.fixture(scope="module")
def customers() -> CustomerIndex:
    return CustomerIndex.build(
        CustomerRecord(id=i, keys=_stored(customer_keys(name, phone=phone)), owner_id=i % 2)
        for i, (name, phone) in enumerate(CUSTOMERS)
    )


@pytest.fixture(scope="module")
def products() -> ProductIndex:
    return ProductIndex.build(
        ProductRecord(id=i, keys=_stored(product_keys(sku, name, cat, "")))
        for i, (sku, name, cat) in enumerate(PRODUCTS)
    )


def _top_customer(index: CustomerIndex, query: str) -> str:
    hits = index.search(query)
    return CUSTOMERS[hits[0].id][0] if hits else ""


@pytest.mark.parametrize(
    ("query", "name", "match"),
    [
        ("杭州平祺衡器有限公司", "杭州平祺衡器有限公司", "exact"),
        ("杭州平祺", "杭州平祺衡器有限公司", "prefix"),
        ("润宏佰", "黑龙江润宏佰衡器有限责任公司", "trade_name"),
        ("上海贵阳东", "上海贵洋东乳业有限公司", "homophone"),
        ("兴张昊", "泉州兴长昊衡器设备有限公司", "homophone"),
        ("hang zhou ping qi", "杭州平祺衡器有限公司", "pinyin"),
        ("daxizhenchen", "重庆达禧振宸分析仪器有限公司", "pinyin"),
        ("镇江yirui", "镇江益锐实验设备有限公司", "pinyin"),
        ("hljrhb", "黑龙江润宏佰衡器有限责任公司", "initials"),
        ("華為技術（蘇州）有限公司", "华为技术（苏州）有限公司", "exact"),
        ("河北茂聚瑞港有限公司", "河北茂聚瑞港务有限公司", "fuzzy"),
        ("苏州华为", "华为技术（苏州）有限公司", "trade_name"),
        ("0571-88776655", "杭州平祺衡器有限公司", "phone"),
        ("88776655", "杭州平祺衡器有限公司", "phone"),
    ],
)
def test_customer_search_query_kind_finds_target(
    customers: CustomerIndex, query: str, name: str, match: str
) -> None:
    hits = customers.search(query)
    assert CUSTOMERS[hits[0].id][0] == name
    assert hits[0].match == match


@pytest.mark.parametrize("query", ["", "   ", "？！。，", "😀🎉", "砝" * 500, "a" * 500])
def test_customer_search_junk_query_returns_list_without_error(
    customers: CustomerIndex, query: str
) -> None:
    assert isinstance(customers.search(query), list)


def test_customer_search_only_punctuation_returns_empty(customers: CustomerIndex) -> None:
    assert customers.search("？！。，、") == []


def test_customer_search_prefer_breaks_tie_only(customers: CustomerIndex) -> None:
    # 平祺衡器 is the trade name of two customers (ids 0 and 8) equally well.
    plain = customers.search("平祺衡器")
    assert {h.id for h in plain[:2]} == {0, 8}
    preferred = customers.search("平祺衡器", prefer=lambda cid: cid == 8)
    assert preferred[0].id == 8
    # An exact match stays first even when another customer is preferred.
    assert customers.search("杭州平祺衡器有限公司", prefer=lambda cid: cid == 8)[0].id == 0


def test_customer_upsert_and_remove_change_results() -> None:
    index = CustomerIndex.build([CustomerRecord(1, customer_keys("苏州华为技术有限公司"))])
    index.upsert(CustomerRecord(1, customer_keys("苏州中兴技术有限公司")))
    assert index.search("华为") == []
    assert index.search("中兴")[0].id == 1
    index.remove(1)
    assert index.search("中兴") == []


def _top_sku(index: ProductIndex, query: str) -> str:
    hits = index.search(query)
    return PRODUCTS[hits[0].id][0] if hits else ""


@pytest.mark.parametrize(
    ("query", "sku"),
    [
        ("SW-F1-20KG-C", "SW-F1-20KG-C"),
        ("swf120kgc", "SW-F1-20KG-C"),
        ("sw f1 20kg c cnas", "SW-F1-20KG-C-CNAS"),
        ("sw-f1-2kg", "SW-F1-2KG-C"),
        ("F1 20kg", "SW-F1-20KG-C"),
        ("F1 20公斤 锁形", "SW-F1-20KG-L"),
        ("20千克 F1 CNAS", "SW-F1-20KG-C-CNAS"),
        ("wucifama f1 25kg", "SN-F1-25KG-S"),
        ("hook SS304 weight 500g class M1", "SW-M1-500G-H"),
        ("M1 0.5g", "SW-M1-500MG-P"),
        ("地磅 5t 1.2x1.2", "FS-5T-1212-EX"),
        ("5吨防爆地磅 2米×2米", "FS-5T-22-EX"),
        ("陶瓷量块 1.46 0级", "GB-CE0-1.46"),
        ("liangkuai 1.46 0ji gangzhi", "GB-ST0-1.46"),
        ("鑄鐵鎖型砝碼 M1級 25kg", "CW-M1-25KG-L"),
    ],
)
def test_product_search_query_kind_finds_target(
    products: ProductIndex, query: str, sku: str
) -> None:
    assert _top_sku(products, query) == sku


@pytest.mark.parametrize("query", ["", "？？", "🙂", "kg" * 250])
def test_product_search_junk_query_returns_list_without_error(
    products: ProductIndex, query: str
) -> None:
    assert isinstance(products.search(query), list)


def test_product_upsert_and_remove_change_results(products: ProductIndex) -> None:
    index = ProductIndex.build(
        [ProductRecord(1, product_keys("CW-M1-25KG-L", "铸铁锁型砝码 M1级 25kg", "", ""))]
    )
    index.remove(1)
    assert index.search("CW-M1-25KG-L") == []


def test_product_upsert_replaces_the_traits_a_search_scores() -> None:
    """Scores come from postings of each trait: a product re-read without one loses it."""
    index = ProductIndex.build(
        [
            ProductRecord(1, product_keys("SW-F1-5KG", "无磁不锈钢砝码 F1级 5kg", "", "")),
            ProductRecord(2, product_keys("CW-M1-5KG", "铸铁砝码 M1级 5kg", "", "")),
        ]
    )
    assert [(hit.id, hit.score) for hit in index.search("无磁 5kg")] == [(1, 17.0), (2, 7.0)]
    index.upsert(ProductRecord(1, product_keys("SW-F1-5KG", "铸铁砝码 F1级 5kg", "", "")))
    assert [(hit.id, hit.score) for hit in index.search("无磁 5kg")] == [(1, 7.0), (2, 7.0)]
    assert [(hit.id, hit.score) for hit in index.search("铸铁 5kg")] == [(1, 17.0), (2, 17.0)]


def test_is_ambiguous_close_scores_true() -> None:
    assert is_ambiguous([Hit(1, 72.0, "pinyin"), Hit(2, 72.0, "pinyin")])


def test_is_ambiguous_clear_exact_winner_false() -> None:
    assert not is_ambiguous([Hit(1, 100.0, "exact"), Hit(2, 82.0, "trade_name")])


def test_is_ambiguous_single_hit_false() -> None:
    assert not is_ambiguous([Hit(1, 50.0, "initials")])
