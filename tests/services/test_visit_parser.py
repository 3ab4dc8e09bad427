"""The one-message visit log: a table of realistic messages in zh_CN, zh_TW and en.

The database (customers, contacts, products) is built once for the module: the table reads,
it never writes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bot.services.search.service import SearchService
from bot.services.visit_parser import (
    draft_visit,
    looks_like_visit_log,
    read_orders,
    read_visit_log,
)
from storage.migrate import upgrade
from storage.models import Contact, Customer, Product, Role, Severity, User, VisitPurpose

IN_MODULE_LOOP = pytest.mark.asyncio(loop_scope="module")
"""The catalogue is built once per module, so its tests share the module's event loop."""

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
"""Monday 23 November 2026, 10:00 in Shanghai."""
TODAY = NOW.date()

CUSTOMERS = {
    "北京华为技术有限公司": (["华为", "Huawei"], [("王建国", "总经理"), ("李明", "采购经理")]),
    "Acme Trading Co., Ltd.": (["Acme"], [("李伟", "buyer")]),
    "苏州精工仪器有限公司": ([], []),
    "苏州精工量具有限公司": ([], []),
    "上海英浩电子有限公司": (["英浩"], [("刘飞", "品质经理")]),
    "奥的斯电梯（中国）有限公司": (["奥的斯"], [("张伟", "工程部经理")]),
    "台灣積體電路製造股份有限公司": (["台積電"], [("林志明", "採購經理")]),
    "順豐物流有限公司": (["順豐"], [("陳大文", "總經理")]),
}
PRODUCTS = ["SW-F1-20KG-C", "SW-F1-1KG-C", "CW-M1-500KG-L"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def catalogue(
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    path: Path = tmp_path_factory.mktemp("parser") / "salesbot.db"
    url = f"sqlite+aiosqlite:///{path}"
    await upgrade(url)
    engine = create_async_engine(url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    async with sessions() as session, session.begin():
        session.add(User(name="王磊", role=Role.REP))
        for name, (aliases, contacts) in CUSTOMERS.items():
            session.add(
                Customer(
                    legal_name=name,
                    aliases=aliases,
                    contacts=[Contact(name=person, title=title) for person, title in contacts],
                )
            )
        session.add_all(Product(sku=sku, name=sku) for sku in PRODUCTS)
    yield sessions
    await engine.dispose()


@dataclass(frozen=True)
class Row:
    text: str
    customer: str | None = None
    choices: int = 0
    contacts: tuple[str, ...] = ()
    new_contacts: tuple[str, ...] = ()
    purpose: VisitPurpose | None = None
    orders: tuple[tuple[str, int, int | None], ...] = ()
    collected: int | None = None
    objections: tuple[str, ...] = ()
    urgent: tuple[str, ...] = ()
    severity: Severity | None = None
    follow_up: date | None = None
    follow_up_time: time | None = None
    next_step: str | None = None
    visited_on: date = TODAY
    extra: dict[str, str] = field(default_factory=dict)


HUAWEI = "北京华为技术有限公司"
ACME = "Acme Trading Co., Ltd."
YINGHAO = "上海英浩电子有限公司"
OTIS = "奥的斯电梯（中国）有限公司"
TSMC = "台灣積體電路製造股份有限公司"
SF = "順豐物流有限公司"
P = VisitPurpose
F1_20 = "SW-F1-20KG-C"
F1_1 = "SW-F1-1KG-C"
M1_500 = "CW-M1-500KG-L"

TABLE = [
    # --- zh_CN -------------------------------------------------------------------------
    Row(
        "华为 见了王总 谈F1砝码报价 嫌贵 下周三回访",
        HUAWEI,
        contacts=("王建国",),
        objections=("price",),
        follow_up=date(2026, 12, 2),
        next_step="下周三回访",
    ),
    Row(
        "华为见了王总谈报价嫌贵下周三回访",
        HUAWEI,
        contacts=("王建国",),
        objections=("price",),
        follow_up=date(2026, 12, 2),
        next_step="华为见了王总谈报价嫌贵下周三回访",
    ),
    Row(
        "拜访华为 李经理 订了 20个SW-F1-20KG-C 共5000元 月底送货",
        HUAWEI,
        contacts=("李明",),
        purpose=P.ORDERING,
        orders=((F1_20, 20, 5000),),
        follow_up=date(2026, 11, 30),
        next_step="月底送货",
    ),
    Row(
        "英浩 收款3万 刘经理说下个月初再付一批",
        YINGHAO,
        contacts=("刘飞",),
        purpose=P.COLLECTION,
        collected=30000,
        follow_up=date(2026, 12, 1),
        next_step="刘经理说下个月初再付一批",
    ),
    Row(
        "奥的斯 客诉处理 砝码生锈 要求退货 张经理很生气 明天送新的过去",
        OTIS,
        contacts=("张伟",),
        purpose=P.COMPLAINT,
        urgent=("complaint",),
        severity=Severity.CRITICAL,
        follow_up=date(2026, 11, 24),
        next_step="明天送新的过去",
    ),
    Row("去了苏州精工 谈了年度校准", choices=2, purpose=P.SERVICE),
    Row(
        "见了李经理 谈了校准服务 下周五再约",
        new_contacts=("李经理",),
        purpose=P.SERVICE,
        follow_up=date(2026, 12, 4),
        next_step="下周五再约",
    ),
    Row(
        "华为 王总说已有供应商 先考虑一下 两周后电话跟进",
        HUAWEI,
        contacts=("王建国",),
        objections=("existing_supplier", "think_it_over"),
        follow_up=date(2026, 12, 7),
        next_step="两周后电话跟进",
    ),
    Row(
        "英浩 刘经理说没预算 明年再说",
        YINGHAO,
        contacts=("刘飞",),
        objections=("think_it_over", "no_budget"),
    ),
    Row(
        "Acme 李工说他不负责 要找老板",
        ACME,
        contacts=("李伟",),
        objections=("not_decision_maker",),
    ),
    Row(
        "华为 竞争对手在搞促销 降价10% 要尽快报价",
        HUAWEI,
        urgent=("competitor_promotion",),
        severity=Severity.SERIOUS,
        extra={"competitor_info": "竞争对手在搞促销"},
    ),
    Row(
        "奥的斯 采购张经理离职了 新来的是刘经理",
        OTIS,
        contacts=("张伟",),
        new_contacts=("刘经理",),
        urgent=("staff_change",),
        severity=Severity.SERIOUS,
    ),
    Row(
        "英浩 订货 SW-F1-1KG-C×5 CW-M1-500KG-L×2 下周一发货",
        YINGHAO,
        purpose=P.ORDERING,
        orders=((F1_1, 5, None), (M1_500, 2, None)),
        follow_up=date(2026, 11, 30),
        next_step="下周一发货",
    ),
    Row(
        "今天拜访华为 王总 开发新客户 介绍了E2砝码 3天后送样品",
        HUAWEI,
        contacts=("王建国",),
        purpose=P.NEW_CUSTOMER,
        follow_up=date(2026, 11, 26),
        next_step="3天后送样品",
    ),
    Row("华为 市场调研 了解他们明年的采购计划", HUAWEI, purpose=P.MARKET_RESEARCH),
    Row(
        "昨天去了英浩 收了货款2万元",
        YINGHAO,
        purpose=P.COLLECTION,
        collected=20000,
        visited_on=date(2026, 11, 22),
    ),
    Row(
        "奥的斯 张经理 担心质量 要看证书 周五带证书过去",
        OTIS,
        contacts=("张伟",),
        objections=("quality_worry",),
        follow_up=date(2026, 11, 27),
        next_step="周五带证书过去",
    ),
    Row("华为 王总说以前用过不满意", HUAWEI, contacts=("王建国",), objections=("bad_experience",)),
    Row(
        "华为 王总让先发资料 下周二再约",
        HUAWEI,
        contacts=("王建国",),
        objections=("send_material",),
        follow_up=date(2026, 12, 1),
        next_step="下周二再约",
    ),
    Row("英浩 刘经理说他们自己能做", YINGHAO, contacts=("刘飞",), objections=("in_house",)),
    Row(
        "华为 王总说别家便宜",
        HUAWEI,
        contacts=("王建国",),
        objections=("competitor_cheaper",),
        extra={"competitor_info": "王总说别家便宜"},
    ),
    Row(
        "华为 订了SW-F1-20KG-C 10个 SW-F1-1KG-C 3个 下下周一交货",
        HUAWEI,
        purpose=P.ORDERING,
        orders=((F1_20, 10, None), (F1_1, 3, None)),
        follow_up=date(2026, 12, 7),
        next_step="下下周一交货",
    ),
    Row(
        "华为 王总 下一步：出方案 11月30日前给他",
        HUAWEI,
        contacts=("王建国",),
        follow_up=date(2026, 11, 30),
        next_step="出方案 11月30日前给他",
    ),
    Row("华为王总嫌贵", HUAWEI, contacts=("王建国",), objections=("price",)),
    Row("精工仪器 见了采购 谈年度合同", "苏州精工仪器有限公司"),
    Row("见了王总 谈得不错", new_contacts=("王总",)),
    Row("今天见了客户 谈了一下"),
    Row(
        "英浩 投诉 交货延迟 严重影响生产",
        YINGHAO,
        purpose=P.COMPLAINT,
        urgent=("complaint",),
        severity=Severity.CRITICAL,
        extra={"complaint": "投诉"},
    ),
    Row(
        "华为 王总 周五下午两点半 再谈价格",
        HUAWEI,
        contacts=("王建国",),
        follow_up=date(2026, 11, 27),
        follow_up_time=time(14, 30),
        next_step="周五下午两点半 再谈价格",
    ),
    Row(
        "华为 王总 订了 SW-F1-20KG-C 20个 共5000元 SW-F1-1KG-C 5个 下周三送货",
        HUAWEI,
        contacts=("王建国",),
        purpose=P.ORDERING,
        orders=((F1_20, 20, 5000), (F1_1, 5, None)),
        follow_up=date(2026, 12, 2),
        next_step="下周三送货",
    ),
    Row(
        "英浩刘经理嫌贵没预算",
        YINGHAO,
        contacts=("刘飞",),
        objections=("price", "no_budget"),
    ),
    Row(
        "华为 王总 3点半再来电话",
        HUAWEI,
        contacts=("王建国",),
        follow_up=TODAY,
        follow_up_time=time(15, 30),
        next_step="3点半再来电话",
    ),
    Row(
        "华为 李明 校准证书过期了 月底前安排上门校准",
        HUAWEI,
        contacts=("李明",),
        purpose=P.SERVICE,
        follow_up=date(2026, 11, 30),
        next_step="月底前安排上门校准",
    ),
    # --- zh_TW -------------------------------------------------------------------------
    Row(
        "台積電 見了林經理 談報價 嫌貴 下週三回訪",
        TSMC,
        contacts=("林志明",),
        objections=("price",),
        follow_up=date(2026, 12, 2),
        next_step="下週三回訪",
    ),
    Row(
        "拜訪順豐 陳總 訂了 SW-F1-20KG-C 20個 共5000元 月底交貨",
        SF,
        contacts=("陳大文",),
        purpose=P.ORDERING,
        orders=((F1_20, 20, 5000),),
        follow_up=date(2026, 11, 30),
        next_step="月底交貨",
    ),
    Row(
        "台積電 林經理說已有供應商 再考慮 兩週後電話跟進",
        TSMC,
        contacts=("林志明",),
        objections=("existing_supplier", "think_it_over"),
        follow_up=date(2026, 12, 7),
        next_step="兩週後電話跟進",
    ),
    Row(
        "順豐 收款5萬 下個月初再收尾款",
        SF,
        purpose=P.COLLECTION,
        collected=50000,
        follow_up=date(2026, 12, 1),
        next_step="下個月初再收尾款",
    ),
    Row(
        "台積電 客訴 砝碼證書有誤 要求賠償 明天回覆",
        TSMC,
        purpose=P.COMPLAINT,
        urgent=("complaint",),
        severity=Severity.CRITICAL,
        follow_up=date(2026, 11, 24),
        next_step="明天回覆",
    ),
    Row(
        "順豐 競爭對手推出新產品 價格低",
        SF,
        urgent=("competitor_promotion",),
        severity=Severity.SERIOUS,
    ),
    Row(
        "台積電 林經理離職了",
        TSMC,
        contacts=("林志明",),
        urgent=("staff_change",),
        severity=Severity.SERIOUS,
    ),
    Row(
        "順豐 陳總 沒預算 禮拜五再聯繫",
        SF,
        contacts=("陳大文",),
        objections=("no_budget",),
        follow_up=date(2026, 11, 27),
        next_step="禮拜五再聯繫",
    ),
    Row(
        "台積電 校準服務 後天再去",
        TSMC,
        purpose=P.SERVICE,
        follow_up=date(2026, 11, 25),
        next_step="後天再去",
    ),
    Row(
        "見了王總 談得不錯 下週一回訪",
        new_contacts=("王總",),
        follow_up=date(2026, 11, 30),
        next_step="下週一回訪",
    ),
    Row(
        "順豐 陳總說他做不了主 老闆決定",
        SF,
        contacts=("陳大文",),
        objections=("not_decision_maker",),
    ),
    Row(
        "拜訪台積電 第一次拜訪 介紹公司 3天後寄資料",
        TSMC,
        purpose=P.NEW_CUSTOMER,
        follow_up=date(2026, 11, 26),
        next_step="3天後寄資料",
    ),
    Row("台積電 市場調研 了解明年預算", TSMC, purpose=P.MARKET_RESEARCH),
    Row(
        "昨天去了順豐 收了貨款2萬元 陳總很滿意",
        SF,
        contacts=("陳大文",),
        purpose=P.COLLECTION,
        collected=20000,
        visited_on=date(2026, 11, 22),
    ),
    Row(
        "順豐訂貨CW-M1-500KG-L 2台 下下週一送貨",
        SF,
        purpose=P.ORDERING,
        orders=((M1_500, 2, None),),
        follow_up=date(2026, 12, 7),
        next_step="下下週一送貨",
    ),
    Row(
        "台積電 林經理 擔心質量 11月30日帶證書過去",
        TSMC,
        contacts=("林志明",),
        objections=("quality_worry",),
        follow_up=date(2026, 11, 30),
        next_step="11月30日帶證書過去",
    ),
    # --- en ----------------------------------------------------------------------------
    Row(
        "visited Acme today, met Mr Li, order 20 x SW-F1-20KG-C, next: send quote Friday",
        ACME,
        contacts=("李伟",),
        purpose=P.ORDERING,
        orders=((F1_20, 20, None),),
        follow_up=date(2026, 11, 27),
        next_step="send quote Friday",
    ),
    Row(
        "Acme - met Mr Li, he says price is too high, will follow up next Wednesday",
        ACME,
        contacts=("李伟",),
        objections=("price",),
        follow_up=date(2026, 12, 2),
        next_step="will follow up next Wednesday",
    ),
    Row(
        "met purchasing manager at Acme, they already have a supplier, call again in 2 weeks",
        ACME,
        objections=("existing_supplier",),
        follow_up=date(2026, 12, 7),
        next_step="call again in 2 weeks",
    ),
    Row(
        "Acme complaint: rusty weights, customer wants a refund. deliver replacements tomorrow",
        ACME,
        purpose=P.COMPLAINT,
        urgent=("complaint",),
        severity=Severity.CRITICAL,
        follow_up=date(2026, 11, 24),
        next_step="deliver replacements tomorrow",
    ),
    Row(
        "visited huawei, mr wang not the decision maker, next step find the boss",
        HUAWEI,
        contacts=("王建国",),
        objections=("not_decision_maker",),
        next_step="find the boss",
    ),
    Row(
        "Acme collected 12000 yuan, next: send invoice tomorrow",
        ACME,
        purpose=P.COLLECTION,
        collected=12000,
        follow_up=date(2026, 11, 24),
        next_step="send invoice tomorrow",
    ),
    Row(
        "Acme: competitor launched a promotion with 20% discount",
        ACME,
        urgent=("competitor_promotion",),
        severity=Severity.SERIOUS,
    ),
    Row(
        "Acme Mr Li resigned, new purchasing manager is Ms Zhang",
        ACME,
        contacts=("李伟",),
        new_contacts=("Zhang",),
        urgent=("staff_change",),
        severity=Severity.SERIOUS,
    ),
    Row(
        "met Mr Chen, no budget this year, let him think it over",
        new_contacts=("Chen",),
        objections=("think_it_over", "no_budget"),
    ),
    Row(
        "visited Acme, order SW-F1-1KG-C x 5 and CW-M1-500KG-L x 2, deliver end of month",
        ACME,
        purpose=P.ORDERING,
        orders=((F1_1, 5, None), (M1_500, 2, None)),
        follow_up=date(2026, 11, 30),
        next_step="deliver end of month",
    ),
    Row(
        "Acme new customer first visit, demo next Friday at 3pm",
        ACME,
        purpose=P.NEW_CUSTOMER,
        follow_up=date(2026, 12, 4),
        follow_up_time=time(15),
        next_step="demo next Friday at 3pm",
    ),
    Row("vistied Acme tday met mr li", ACME, contacts=("李伟",)),
    Row(
        "Acme service visit, calibrated 10 weights, come back in 3 days to check",
        ACME,
        purpose=P.SERVICE,
        follow_up=date(2026, 11, 26),
        next_step="come back in 3 days to check",
    ),
    Row(
        "yesterday visited Acme, market research on their scale needs",
        ACME,
        purpose=P.MARKET_RESEARCH,
        visited_on=date(2026, 11, 22),
    ),
    Row(
        "Acme mr li wants us to send material first, call him on Monday",
        ACME,
        contacts=("李伟",),
        objections=("send_material",),
        follow_up=date(2026, 11, 30),
        next_step="call him on Monday",
    ),
    Row("Acme Li says they do it in-house", ACME, objections=("in_house",)),
    Row(
        "Acme order 100 x SW-F1-20KG-C for 25000 yuan, next: deliver on Dec 3",
        ACME,
        purpose=P.ORDERING,
        orders=((F1_20, 100, 25000),),
        follow_up=date(2026, 12, 3),
        next_step="deliver on Dec 3",
    ),
    Row("met Mr Li at Acme, all good", ACME, contacts=("李伟",)),
    Row(
        "visited Acme met Mr Li order 20 x SW-F1-20KG-C next send quote friday",
        ACME,
        contacts=("李伟",),
        purpose=P.ORDERING,
        orders=((F1_20, 20, None),),
        follow_up=date(2026, 11, 27),
        next_step="send quote friday",
    ),
    Row(
        "met Ms Wang, she complained about late delivery, call back tomorrow 10am",
        new_contacts=("Wang",),
        purpose=P.COMPLAINT,
        urgent=("complaint",),
        severity=Severity.SERIOUS,
        follow_up=date(2026, 11, 24),
        follow_up_time=time(10),
        next_step="call back tomorrow 10am",
    ),
    Row(
        "Acme order SW-F1-20KG-C 5pcs SW-F1-20KG-C 5pcs",
        ACME,
        purpose=P.ORDERING,
        orders=((F1_20, 5, None), (F1_20, 5, None)),
    ),
]


@IN_MODULE_LOOP
@pytest.mark.parametrize("row", TABLE, ids=[row.text[:30] for row in TABLE])
async def test_draft_visit_realistic_message_gives_expected_fields(
    row: Row, catalogue: async_sessionmaker[AsyncSession]
) -> None:
    async with catalogue() as session:
        user = await session.get(User, 1)
        assert user is not None
        reading = await draft_visit(
            session=session, search=SearchService(), text=row.text, user=user, now=NOW
        )
        contacts = {c.id: c.name for c in await session.scalars(select(Contact))}
    log = reading.log
    actual = {
        "customer": reading.customer.legal_name if reading.customer else None,
        "choices": len(reading.customer_choices),
        "contacts": tuple(contacts[i] for i in reading.contact_ids),
        "new_contacts": tuple(reading.new_contacts),
        "purpose": log.purpose,
        "orders": tuple(
            (o.product_text, int(o.quantity), None if o.amount is None else int(o.amount))
            for o in log.orders
        ),
        "collected": None if log.collected_amount is None else int(log.collected_amount),
        "objections": tuple(log.objections),
        "urgent": tuple(log.urgent_reasons),
        "severity": log.severity,
        "follow_up": log.follow_up.day if log.follow_up else None,
        "follow_up_time": log.follow_up.at if log.follow_up else None,
        "next_step": log.next_step,
        "visited_on": log.visited_on or TODAY,
    }
    expected = {key: getattr(row, key) for key in actual}
    assert actual == expected
    for name, value in row.extra.items():
        assert getattr(log, name) == value


def test_table_covers_at_least_sixty_messages() -> None:
    assert len(TABLE) >= 60


@IN_MODULE_LOOP
async def test_draft_visit_orders_known_sku_gives_product_id(
    catalogue: async_sessionmaker[AsyncSession],
) -> None:
    async with catalogue() as session:
        user = await session.get(User, 1)
        assert user is not None
        reading = await draft_visit(
            session=session,
            search=SearchService(),
            text="华为 订了 SW-F1-20KG-C 2个 XX-NOPE-1 3个",
            user=user,
            now=NOW,
        )
    known, unknown = reading.log.orders
    assert known.product_id is not None
    assert unknown.product_id is None


@pytest.mark.parametrize(
    "text",
    [
        "华为 见了王总 谈F1砝码报价 嫌贵 下周三回访",
        "visited Acme today, met Mr Li",
        "英浩 订货 SW-F1-1KG-C×5",
        "英浩 收款3万元",
        "台積電 林經理說已有供應商",
        "华为 下一步：出方案",
    ],
)
def test_looks_like_visit_log_report_gives_true(text: str) -> None:
    assert looks_like_visit_log(text)


@pytest.mark.parametrize(
    "text",
    [
        "华为",
        "F1 20kg",
        "316 无磁 5 公斤",
        "SW-F1-20KG-C",
        "北京华为技术",
        "华为 明天",
        "常见砝码 F1",
        "/visit",
    ],
)
def test_looks_like_visit_log_lookup_gives_false(text: str) -> None:
    assert not looks_like_visit_log(text)


def test_read_orders_amount_in_wan_gives_full_amount() -> None:
    (line,) = read_orders("订了 CW-M1-500KG-L 2台 共1.2万")
    assert line.amount == Decimal(12000)


def test_read_visit_log_past_date_only_gives_no_follow_up() -> None:
    log = read_visit_log("昨天见了王总 谈得不错", NOW)
    assert log.visited_on == date(2026, 11, 22)
    assert log.follow_up is None and log.next_step is None
