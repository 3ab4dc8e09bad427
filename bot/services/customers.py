"""Customers: adding one, and the duplicate check before it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Contact, Customer, Grade, Role, User
from storage.queries.audit import record_change
from storage.queries.customers import add_customer as store_customer
from storage.queries.customers import find_customer_by_name

PHONE_DIGITS = (7, 15)
"""A local landline has 7 digits; E.164 allows 15."""
_PHONE_CHARS = re.compile(r"^\+?[\d\s\-()（）]+$")


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
    """Reps see their own, their team's and unassigned customers; `others` decides the rest.

    Customer data belongs to the company, so managers and admins see every customer, and a
    customer nobody owns yet (the shared pool, 公海) is open to every rep.
    """
    if user.role in (Role.ADMIN, Role.MANAGER) or customer.owner_id is None:
        return Visibility.FULL
    owner = customer.owner
    if customer.owner_id == user.id or (
        owner is not None and owner.team_id is not None and owner.team_id == user.team_id
    ):
        return Visibility.FULL
    return Visibility(others)
