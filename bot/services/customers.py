"""Customers: adding one, and the duplicate check before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Customer, Grade, Role, User
from storage.queries.audit import record_change
from storage.queries.customers import add_customer as store_customer
from storage.queries.customers import (
    customers_matching,
    find_customer_by_name,
)

MIN_LOOKUP_CHARS = 2
"""One character ("华") is in too many names to point at a customer."""
CONFIDENT_SHARE = 0.5
"""A lone match is taken when the typed text is at least half of the name's core."""
PHONE_DIGITS = (7, 15)
"""A local landline has 7 digits; E.164 allows 15."""
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-()（）]+$")
_LEGAL_FORMS = re.compile(r"(股份)?有限(责任)?公司|分公司|集团|经营部|商行|工作室|厂$")


@dataclass(frozen=True, slots=True)
class NewCustomer:
    legal_name: str
    grade: Grade
    contact_name: str | None = None
    contact_title: str | None = None
    phone: str | None = None
    region: str | None = None


def parse_grade(text: str) -> Grade | None:
    """`A`, `a`, `A级`, `a类` → Grade.A."""
    cleaned = text.strip().upper().rstrip("级類类")
    return Grade(cleaned) if cleaned in Grade.__members__ else None


def parse_phone(text: str) -> str | None:
    """A phone as typed (`0512-6688 1234`, `+86 138…`), or None if it cannot be one."""
    if not _PHONE_CHARS.match(text.strip()):
        return None
    digits = re.sub(r"\D", "", text)
    low, high = PHONE_DIGITS
    return text.strip() if low <= len(digits) <= high else None


async def name_taken(*, session: AsyncSession, legal_name: str) -> bool:
    return await find_customer_by_name(session=session, legal_name=legal_name) is not None


async def add_customer(*, session: AsyncSession, new: NewCustomer, owner: User) -> Customer:
    customer = Customer(
        legal_name=new.legal_name,
        grade=new.grade,
        phone=new.phone,
        region=new.region,
        owner=owner,
        source="chat",
        # Set both relationships, even when empty: the card reads them right after the flush,
        # and a lazy load there would be I/O outside the async session's greenlet.
        contacts=[Contact(name=new.contact_name, title=new.contact_title, phone=new.phone)]
        if new.contact_name
        else [],
    )
    await store_customer(session=session, customer=customer)
    await record_change(
        session=session,
        user_id=owner.id,
        action="create",
        entity="customer",
        entity_id=customer.id,
        after={
            "legal_name": new.legal_name,
            "grade": str(new.grade),
            "phone": new.phone,
            "region": new.region,
            "contact": new.contact_name,
        },
    )
    return customer


class Visibility(StrEnum):
    FULL = "full"
    NAME_ONLY = "name_only"
    HIDDEN = "hidden"


def visibility(user: User, customer: Customer, *, others: str) -> Visibility:
    """Reps see their own and their team's customers; `others` decides the rest.

    Customer data belongs to the company, so managers and admins see every customer.
    """
    if user.role in (Role.ADMIN, Role.MANAGER):
        return Visibility.FULL
    owner = customer.owner
    if customer.owner_id == user.id or (
        owner is not None and owner.team_id is not None and owner.team_id == user.team_id
    ):
        return Visibility.FULL
    return Visibility(others)


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    customer_id: int
    legal_name: str
    score: float
    """0..1: how much of the customer's name the text covers."""
    confident: bool
    """True when the text names this customer and no other: safe to use without asking."""


def _core_name(name: str) -> str:
    return _LEGAL_FORMS.sub("", name).strip().casefold()


async def find_customers(
    *, session: AsyncSession, text: str, user: User, limit: int = 5
) -> list[CustomerMatch]:
    """Customers `text` may name, best first; a plain substring match over names and aliases.

    A stand-in for the search index with the same signature; `user` is there so the index can
    rank the rep's own customers first.
    """
    query = " ".join(text.split()).casefold()
    if len(query) < MIN_LOOKUP_CHARS:
        return []
    found = await customers_matching(session=session, fragment=query, limit=limit * 4)
    matches = []
    for customer in found:
        names = [_core_name(customer.legal_name), *(_core_name(a) for a in customer.aliases)]
        exact = query in names or query == customer.legal_name.casefold()
        score = 1.0 if exact else max(len(query) / max(len(n), 1) for n in names if query in n)
        matches.append((exact, min(score, 1.0), customer))
    matches.sort(key=lambda item: (not item[0], -item[1], item[2].id))
    exact_count = sum(1 for exact, _score, _c in matches if exact)
    return [
        CustomerMatch(
            customer_id=customer.id,
            legal_name=customer.legal_name,
            score=round(score, 3),
            confident=(exact and exact_count == 1)
            or (len(matches) == 1 and score >= CONFIDENT_SHARE),
        )
        for exact, score, customer in matches[:limit]
    ]
