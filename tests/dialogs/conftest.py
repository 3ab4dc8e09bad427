"""Customers, contacts and a product for the visit dialog and handler tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Contact, Customer, Grade, Product, User
from tests.support import OTHER_TEAM_REP, REP

HUAWEI = "北京华为技术有限公司"
OTHER_TEAMS = "广州南方衡器有限公司"


@dataclass(frozen=True, slots=True)
class VisitWorld:
    huawei: int
    wang: int
    li: int
    jinggong: tuple[int, int]
    other_team: int


@pytest.fixture
async def world(sessions: async_sessionmaker[AsyncSession], people: dict[str, User]) -> VisitWorld:
    """华为 (alias, two contacts, coordinates), two 苏州精工 for ambiguity, another team's
    customer and one catalogue product; all but the last owned by the demo rep."""
    rep = people[REP]
    async with sessions() as session, session.begin():
        huawei = Customer(
            legal_name=HUAWEI,
            aliases=["华为"],
            grade=Grade.A,
            owner_id=rep.id,
            latitude=31.2304,
            longitude=121.4737,
            contacts=[
                Contact(name="王建国", title="总经理"),
                Contact(name="李明", title="采购经理"),
            ],
        )
        first = Customer(legal_name="苏州精工仪器有限公司", owner_id=rep.id)
        second = Customer(legal_name="苏州精工量具有限公司", owner_id=rep.id)
        other = Customer(legal_name=OTHER_TEAMS, owner_id=people[OTHER_TEAM_REP].id)
        session.add_all([huawei, first, second, other])
        session.add(Product(sku="SW-F1-20KG-C", name="F1 20kg 圆柱砝码"))
        await session.flush()
        return VisitWorld(
            huawei=huawei.id,
            wang=huawei.contacts[0].id,
            li=huawei.contacts[1].id,
            jinggong=(first.id, second.id),
            other_team=other.id,
        )
