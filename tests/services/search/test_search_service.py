"""The search service on a database: keys made when missing, other workers' writes followed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services.search import service as service_module
from bot.services.search.customer_keys import KEYS_VERSION
from bot.services.search.service import SearchService
from storage.models import Customer, Product, Role, User
from storage.queries.customers import customers_by_ids
from storage.queries.search_keys import changed_rows, key_rows


async def _rep(sessions: async_sessionmaker[AsyncSession]) -> User:
    async with sessions() as session, session.begin():
        rep = User(name="王磊", role=Role.REP, managed_teams=[])
        session.add(rep)
    return rep


async def test_search_service_missing_or_old_keys_are_made_at_load(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    rep = await _rep(sessions)
    async with sessions() as session, session.begin():
        await session.execute(
            insert(Customer),
            [
                {"legal_name": "兰州兴宇食品有限公司", "aliases": [], "owner_id": rep.id},
                {"legal_name": "沈阳宝振钢铁有限公司", "aliases": [], "owner_id": rep.id},
            ],
        )
        await session.execute(
            update(Customer)
            .where(Customer.legal_name == "沈阳宝振钢铁有限公司")
            .values(search_keys={"v": 0, "text": "stale"}, search_keys_version=KEYS_VERSION - 1)
        )

    search = SearchService()
    async with sessions() as session, session.begin():
        await search.load(session=session)
        found = await search.find_customers(
            session=session, query="shenyangbaozhen", user=rep, others="hidden"
        )

    assert [r.customer.legal_name for r in found.results] == ["沈阳宝振钢铁有限公司"]
    async with sessions() as session:
        versions = set(await session.scalars(select(Customer.search_keys_version)))
    assert versions == {KEYS_VERSION}


async def test_search_service_refresh_takes_in_a_row_written_elsewhere(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    rep = await _rep(sessions)
    search = SearchService()
    async with sessions() as session, session.begin():
        await search.load(session=session)
    async with sessions() as session, session.begin():
        session.add(Customer(legal_name="株洲航时电子衡器有限责任公司", owner_id=rep.id))

    async with sessions() as session, session.begin():
        await search.refresh(session=session, force=True)
        found = await search.find_customers(
            session=session, query="zhuzhouhangshi", user=rep, others="hidden"
        )

    assert [r.customer.legal_name for r in found.results] == ["株洲航时电子衡器有限责任公司"]


async def test_search_service_listing_follows_a_product_changed_elsewhere(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """Cards show a product from memory; an import's new price and category reach them."""
    async with sessions() as session, session.begin():
        session.add(
            Product(sku="SW-F1-20KG-C", name="砝码 F1级 20kg", category="砝码", price=1182)
        )
        session.add(Product(sku="SW-F1-10KG-C", name="砝码 F1级 10kg", category="砝码", price=700))
    search = SearchService()
    async with sessions() as session, session.begin():
        await search.load(session=session)
    async with sessions() as session, session.begin():
        product = await session.scalar(select(Product).where(Product.sku == "SW-F1-20KG-C"))
        assert product is not None
        product.price, product.category = Decimal("1250.00"), "标准砝码"

    async with sessions() as session, session.begin():
        await search.refresh(session=session, force=True)
        found = await search.find_products(session=session, query="SW-F1-20KG-C")
        pressed = await search.product(session=session, product_id=product.id)

    assert found.top.product.price == Decimal("1250.00") and pressed == found.top.product
    assert [p.sku for p in search.products_in_category("砝码")] == ["SW-F1-10KG-C"]
    assert [p.sku for p in search.products_in_category("标准砝码")] == ["SW-F1-20KG-C"]


async def _loaded_after_import(
    sessions: async_sessionmaker[AsyncSession], ago: timedelta, search: SearchService
) -> SearchService:
    """50 customers written `ago` in one go, then `search` loaded."""
    rep = await _rep(sessions)
    stamp = datetime.now(UTC) - ago
    async with sessions() as session, session.begin():
        await session.execute(
            insert(Customer),
            [
                {"legal_name": f"沈阳宝振钢铁{n}厂", "owner_id": rep.id, "updated_at": stamp}
                for n in range(50)
            ],
        )
    async with sessions() as session, session.begin():
        await search.load(session=session)
    return search


def _count_changed_rows(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each look reads back, one entry per table and look."""
    read: list[int] = []

    async def counted(**kwargs: Any) -> list[Any]:
        rows = await changed_rows(**kwargs)
        read.append(len(rows))
        return rows

    monkeypatch.setattr(service_module, "changed_rows", counted)
    return read


async def test_search_service_refresh_does_not_reread_rows_settled_before_the_last_look(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an import every row carries nearly the same stamp; later looks must not keep
    reading them all (they did while the look started from the newest stamp seen)."""
    search = await _loaded_after_import(sessions, timedelta(hours=1), SearchService())
    read = _count_changed_rows(monkeypatch)
    async with sessions() as session, session.begin():
        await search.refresh(session=session, force=True)

    assert read == [0, 0]


async def test_search_service_refresh_takes_in_a_long_transactions_early_rows(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A row stamped a minute before its transaction committed (a large import) is still
    found by the first look after the commit, though an earlier look has come and gone."""
    rep = await _rep(sessions)
    search = SearchService()
    async with sessions() as session, session.begin():
        await search.load(session=session)
    async with sessions() as session, session.begin():
        await search.refresh(session=session, force=True)
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    async with sessions() as session, session.begin():
        session.add(
            Customer(
                legal_name="株洲航时电子衡器有限责任公司", owner_id=rep.id, updated_at=a_minute_ago
            )
        )

    async with sessions() as session, session.begin():
        await search.refresh(session=session, force=True)
        found = await search.find_customers(
            session=session, query="zhuzhouhangshi", user=rep, others="hidden"
        )

    assert [r.customer.legal_name for r in found.results] == ["株洲航时电子衡器有限责任公司"]


class _Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


async def test_search_service_quick_looks_do_not_read_back_an_import_that_just_committed(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """For two minutes after an import every look read all of its rows back (600 ms for
    100,000, with the loop held); only a wide look, once a minute, reaches back that far."""
    clock = _Clock()
    search = await _loaded_after_import(
        sessions, timedelta(seconds=30), SearchService(monotonic=clock)
    )
    read = _count_changed_rows(monkeypatch)
    for _ in range(3):
        clock.now += service_module.REFRESH_SECONDS
        async with sessions() as session, session.begin():
            await search.refresh(session=session)
    clock.now += service_module.WIDE_LOOK_SECONDS
    async with sessions() as session, session.begin():
        await search.refresh(session=session)

    assert read == [0, 0, 0, 0, 0, 0, 50, 0]


async def test_search_service_look_back_indexes_again_only_rows_whose_stamp_moved(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wide look reads back the stamps of the 50 rows an import wrote 30 s ago; it compares
    them as stored and indexes again only the one row changed since."""
    clock = _Clock()
    search = await _loaded_after_import(
        sessions, timedelta(seconds=30), SearchService(monotonic=clock)
    )
    async with sessions() as session, session.begin():
        renamed = await session.scalar(select(Customer).where(Customer.legal_name.like("%7厂")))
        rep = await session.scalar(select(User).where(User.name == "王磊"))
        assert renamed is not None and rep is not None
        renamed.legal_name = "沈阳宝振特钢七厂"
    indexed: list[int] = []

    async def counted(**kwargs: Any) -> list[Any]:
        indexed.extend(kwargs["ids"])
        return await key_rows(**kwargs)

    monkeypatch.setattr(service_module, "key_rows", counted)
    read = _count_changed_rows(monkeypatch)
    clock.now += service_module.WIDE_LOOK_SECONDS
    async with sessions() as session, session.begin():
        await search.refresh(session=session)
        found = await search.find_customers(
            session=session, query="宝振特钢七厂", user=rep, others="hidden"
        )

    assert read == [50, 0] and indexed == [renamed.id]
    assert found.top.customer.legal_name == "沈阳宝振特钢七厂"


async def test_search_service_wide_look_takes_in_a_long_transactions_early_rows_in_a_minute(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    rep = await _rep(sessions)
    clock = _Clock()
    search = SearchService(monotonic=clock)
    async with sessions() as session, session.begin():
        await search.load(session=session)
    a_minute_ago = datetime.now(UTC) - timedelta(minutes=1)
    async with sessions() as session, session.begin():
        session.add(
            Customer(
                legal_name="株洲航时电子衡器有限责任公司", owner_id=rep.id, updated_at=a_minute_ago
            )
        )

    names: list[list[str]] = []
    for step in (service_module.REFRESH_SECONDS, service_module.WIDE_LOOK_SECONDS):
        clock.now += step
        async with sessions() as session, session.begin():
            found = await search.find_customers(
                session=session, query="zhuzhouhangshi", user=rep, others="hidden"
            )
        names.append([r.customer.legal_name for r in found.results])

    assert names == [[], ["株洲航时电子衡器有限责任公司"]]


async def test_search_service_loads_customers_a_page_at_a_time_past_hidden_ones(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each customer loaded costs its owner, team and contacts; the index's headroom for hidden
    ones is read only when a page of them was hidden."""
    rep = await _rep(sessions)
    async with sessions() as session, session.begin():
        other = User(name="赵强", role=Role.REP, managed_teams=[])
        session.add(other)
        await session.flush()
        session.add_all(
            [Customer(legal_name=f"沈阳宝振钢铁{n}厂", owner_id=other.id) for n in range(1, 9)]
        )
        await session.flush()
        session.add(Customer(legal_name="沈阳宝振钢铁9厂", owner_id=None))
    search = SearchService()
    async with sessions() as session, session.begin():
        await search.load(session=session)

    loaded: list[int] = []

    async def counted(**kwargs: Any) -> dict[int, Customer]:
        loaded.append(len(kwargs["ids"]))
        return await customers_by_ids(**kwargs)

    monkeypatch.setattr(service_module, "customers_by_ids", counted)
    async with sessions() as session, session.begin():
        hidden = await search.find_customers(
            session=session, query="shenyangbaozhen", user=rep, others="hidden"
        )
        pages_hidden = list(loaded)
        loaded.clear()
        shown = await search.find_customers(
            session=session, query="shenyangbaozhen", user=rep, others="name_only"
        )

    assert [r.customer.legal_name for r in hidden.results] == ["沈阳宝振钢铁9厂"]
    assert pages_hidden == [5, 4]
    assert (len(shown.results), loaded) == (5, [5])
