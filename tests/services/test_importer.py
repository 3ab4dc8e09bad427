"""The import path every loader shares: rows in, customers with keys and contacts out."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.services import importer
from bot.services.importer import import_customers, read_customer_csv
from bot.services.search.service import keys_for_customer
from storage.models import Contact, Customer

DEMO_CUSTOMERS = Path(importer.__file__).resolve().parent.parent / "data" / "demo_customers.csv"


@pytest.mark.parametrize("parallel_from", [10_000, 20], ids=["in-process", "worker-processes"])
async def test_import_customers_stores_keys_and_contacts(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch, parallel_from: int
) -> None:
    monkeypatch.setattr(importer, "PARALLEL_FROM", parallel_from)
    rows = read_customer_csv(DEMO_CUSTOMERS, limit=45)

    async with sessions() as session, session.begin():
        assert await import_customers(session=session, rows=rows) == 45

    async with sessions() as session:
        stored = list(
            await session.execute(
                select(Customer.id, Customer.legal_name, Customer.search_keys).order_by(
                    Customer.id
                )
            )
        )
        contacts = await session.scalar(
            select(Contact.name).where(Contact.customer_id == stored[0].id)
        )
    assert [c.legal_name for c in stored] == [row.legal_name for row in rows]
    assert [c.search_keys for c in stored] == [
        keys_for_customer(r.legal_name, r.aliases, r.phone, r.region) for r in rows
    ]
    assert contacts == rows[0].contact_name


def test_read_customer_csv_splits_aliases(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text(
        "name,aliases,grade,industry,region,address,phone,contact_name,contact_title\n"
        "北京华为技术有限公司, 华为 ;HW;,a,电子,北京市,,010-1234567,,\n",
        encoding="utf-8",
    )

    [row] = read_customer_csv(path)

    assert row.aliases == ("华为", "HW")
    assert row.grade == "A"
    assert row.contact_name is None
