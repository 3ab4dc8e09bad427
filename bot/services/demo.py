"""The example company: a maker of precision weights and scales, its people and customers."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.importer import (
    import_customers,
    import_products,
    read_customer_csv,
    read_product_csv,
)
from storage.models import ChannelIdentity, Role, Team, User

DATA = Path(__file__).resolve().parent.parent / "data"
TERMINAL = "terminal"


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    role: Role
    team: str | None
    manages: str | None = None


PEOPLE = (
    Person("陈静", Role.ADMIN, None),
    Person("张伟", Role.MANAGER, "华东一组", manages="华东一组"),
    Person("王磊", Role.REP, "华东一组"),
    Person("李娜", Role.REP, "华东一组"),
    Person("赵强", Role.REP, "华南组"),
)
DEMO_REP = "王磊"


@dataclass(frozen=True, slots=True)
class DemoSummary:
    users: int
    customers: int
    products: int


async def load_demo(*, session: AsyncSession) -> DemoSummary:
    """Teams, people (each with a terminal identity), customers shared among the reps, products.

    Customers go round-robin to the three reps, so each rep has own, team and other-team ones.
    """
    teams = {name: Team(name=name) for name in {p.team for p in PEOPLE if p.team}}
    session.add_all(teams.values())
    users = []
    for person in PEOPLE:
        team = teams.get(person.team) if person.team else None
        user = User(
            name=person.name,
            role=person.role,
            team=team,
            managed_teams=[teams[person.manages]] if person.manages else [],
        )
        users.append(user)
    session.add_all(users)
    await session.flush()
    session.add_all(
        ChannelIdentity(
            platform=TERMINAL, platform_user_id=user.name, chat_id=user.name, user_id=user.id
        )
        for user in users
    )
    reps = [user.id for user in users if user.role == Role.REP]
    customers = await import_customers(
        session=session,
        rows=read_customer_csv(DATA / "demo_customers.csv"),
        owner_of=lambda index, _row: reps[index % len(reps)],
        source="demo",
    )
    products = await import_products(session=session, rows=read_product_csv(DATA / "products.csv"))
    return DemoSummary(users=len(users), customers=customers, products=products)
