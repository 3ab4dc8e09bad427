"""Visit rules: the draft before confirmation, saving and editing it, cadence, the pre-visit
brief, follow-ups and the daily plan. No chat here: callers get data and build the replies.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.dates import ParsedWhen
from bot.services.objections import link_visit
from bot.services.visit_parser import OrderLine, VisitDraftReading
from storage.models import (
    Contact,
    Customer,
    FollowUp,
    FollowUpStatus,
    Grade,
    PlannedVisit,
    Role,
    Team,
    User,
    Visit,
    VisitOrder,
    VisitPlan,
    VisitPurpose,
)
from storage.queries import follow_ups as follow_up_queries
from storage.queries import visits as visit_queries
from storage.queries.audit import record_change
from storage.queries.customers import get_customer
from storage.queries.visits import VisitEntry

"""A rep corrects a visit while it is fresh; older ones are history the manager has read."""
SNOOZE = timedelta(days=1)
"""Snooze moves a follow-up to tomorrow: the to-do list is read daily."""
HISTORY_PAGE = 3
"""Visits per page on the customer card: a phone screen without scrolling."""
EARTH_RADIUS_M = 6_371_000


@dataclass
class VisitDraft:
    """A visit before it is confirmed; JSON-friendly, so it lives in the dialog state."""

    customer_id: int | None = None
    customer_name: str = ""
    choices: list[list[Any]] = field(default_factory=list)
    """Candidate customers `[id, name]` when the message was ambiguous."""
    purpose: str | None = None
    contact_ids: list[int] = field(default_factory=list)
    new_contacts: list[str] = field(default_factory=list)
    outcome: str | None = None
    orders: list[dict[str, Any]] = field(default_factory=list)
    collected_amount: str | None = None
    objections: list[str] = field(default_factory=list)
    urgent_reasons: list[str] = field(default_factory=list)
    severity: str | None = None
    complaint: str | None = None
    competitor_info: str | None = None
    next_step: str | None = None
    no_next_step_reason: str | None = None
    follow_up_on: str | None = None
    follow_up_time: str | None = None
    visited_at: str = ""
    latitude: float | None = None
    longitude: float | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    raw_text: str | None = None
    visit_id: int | None = None
    """Set when the draft corrects a saved visit."""
    reviewing: bool = False
    """True once the summary card was shown: a corrected field returns to it."""

    def set_follow_up(self, when: ParsedWhen | None) -> None:
        self.follow_up_on = when.day.isoformat() if when else None
        self.follow_up_time = when.at.isoformat("minutes") if when and when.at else None


def _text(amount: Decimal | None) -> str | None:
    return None if amount is None else str(amount)


def order_dict(line: OrderLine) -> dict[str, Any]:
    return {
        "product_text": line.product_text,
        "quantity": str(line.quantity),
        "amount": _text(line.amount),
        "product_id": line.product_id,
    }


def draft_from_reading(reading: VisitDraftReading, now: datetime) -> VisitDraft:
    """The draft card's content from a one-message log; `now` is in the user's zone."""
    log = reading.log
    visited = now
    if log.visited_on is not None and log.visited_on != now.date():
        visited = datetime.combine(log.visited_on, time(12), tzinfo=now.tzinfo)
    draft = VisitDraft(
        customer_id=reading.customer.customer_id if reading.customer else None,
        customer_name=reading.customer.legal_name if reading.customer else "",
        choices=[[m.customer_id, m.legal_name] for m in reading.customer_choices],
        purpose=log.purpose.value if log.purpose else None,
        contact_ids=list(reading.contact_ids),
        new_contacts=list(reading.new_contacts),
        outcome=log.outcome,
        orders=[order_dict(line) for line in log.orders],
        collected_amount=_text(log.collected_amount),
        objections=list(log.objections),
        urgent_reasons=list(log.urgent_reasons),
        severity=log.severity.value if log.severity else None,
        complaint=log.complaint,
        competitor_info=log.competitor_info,
        next_step=log.next_step,
        visited_at=visited.isoformat(),
        raw_text=log.text,
        reviewing=True,
    )
    draft.set_follow_up(log.follow_up)
    return draft


def draft_from_visit(visit: Visit, zone_of: datetime) -> VisitDraft:
    """A saved visit as a draft, to correct it through the same card."""
    return VisitDraft(
        customer_id=visit.customer_id,
        customer_name=visit.customer.legal_name,
        purpose=visit.purpose,
        contact_ids=[contact.id for contact in visit.contacts],
        outcome=visit.outcome,
        orders=[
            order_dict(OrderLine(o.product_text, o.quantity, o.amount, o.product_id))
            for o in visit.orders
        ],
        collected_amount=_text(visit.collected_amount),
        objections=list(visit.objections),
        urgent_reasons=list(visit.urgent_reasons),
        severity=visit.severity,
        complaint=visit.complaint,
        competitor_info=visit.competitor_info,
        next_step=visit.next_step,
        no_next_step_reason=visit.no_next_step_reason,
        follow_up_on=visit.follow_up_on.isoformat() if visit.follow_up_on else None,
        visited_at=visit.visited_at.astimezone(zone_of.tzinfo).isoformat(),
        latitude=visit.latitude,
        longitude=visit.longitude,
        attachments=list(visit.attachments),
        raw_text=visit.raw_text,
        visit_id=visit.id,
        reviewing=True,
    )


def distance_m(customer: Customer, latitude: float, longitude: float) -> float | None:
    """Great-circle distance from the customer's coordinates, when they are known."""
    if customer.latitude is None or customer.longitude is None:
        return None
    lat1, lat2 = math.radians(customer.latitude), math.radians(latitude)
    d_lat = lat2 - lat1
    d_lon = math.radians(longitude - customer.longitude)
    a = math.sin(d_lat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(d_lon / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)), 1)


def _snapshot(visit: Visit) -> dict[str, Any]:
    """A visit as JSON for the audit trail."""
    return {
        "customer_id": visit.customer_id,
        "visited_at": visit.visited_at.isoformat(),
        "purpose": str(visit.purpose),
        "contacts": [contact.id for contact in visit.contacts],
        "outcome": visit.outcome,
        "orders": [
            {"product": o.product_text, "quantity": str(o.quantity), "amount": str(o.amount)}
            for o in visit.orders
        ],
        "collected_amount": _text(visit.collected_amount),
        "objections": list(visit.objections),
        "next_step": visit.next_step,
        "no_next_step_reason": visit.no_next_step_reason,
        "follow_up_on": visit.follow_up_on.isoformat() if visit.follow_up_on else None,
        "urgent_reasons": list(visit.urgent_reasons),
    }


async def _contacts_for(
    *, session: AsyncSession, customer: Customer, draft: VisitDraft
) -> list[Contact]:
    """The draft's contacts, adding the new ones to the customer (they were offered as new)."""
    chosen = [contact for contact in customer.contacts if contact.id in draft.contact_ids]
    for name in draft.new_contacts:
        contact = Contact(customer_id=customer.id, name=name[:100])
        session.add(contact)
        chosen.append(contact)
    await session.flush()
    return chosen


async def save_visit(
    *, session: AsyncSession, draft: VisitDraft, rep: User, now: datetime
) -> Visit:
    """Save a confirmed draft (new, or a correction of `draft.visit_id`), with its follow-up
    and an audit row, in the caller's transaction."""
    customer = await get_customer(session=session, customer_id=draft.customer_id or 0)
    if customer is None:
        raise LookupError("draft without a customer")
    visit = (
        await visit_queries.get_visit(session=session, visit_id=draft.visit_id)
        if draft.visit_id
        else None
    )
    before = _snapshot(visit) if visit is not None else None
    if visit is None:
        visit = Visit(customer_id=customer.id, rep_id=rep.id, created_at=now)
    visit.customer_id = customer.id
    visit.visited_at = datetime.fromisoformat(draft.visited_at)
    visit.purpose = VisitPurpose(draft.purpose or VisitPurpose.OTHER)
    visit.outcome = draft.outcome
    visit.collected_amount = Decimal(draft.collected_amount) if draft.collected_amount else None
    visit.complaint = draft.complaint
    visit.competitor_info = draft.competitor_info
    visit.objections = list(draft.objections)
    visit.next_step = draft.next_step
    visit.no_next_step_reason = None if draft.next_step else draft.no_next_step_reason
    visit.follow_up_on = date.fromisoformat(draft.follow_up_on) if draft.follow_up_on else None
    visit.latitude, visit.longitude = draft.latitude, draft.longitude
    visit.distance_m = (
        distance_m(customer, draft.latitude, draft.longitude)
        if draft.latitude is not None and draft.longitude is not None
        else None
    )
    visit.attachments = list(draft.attachments)
    visit.urgent_reasons = list(draft.urgent_reasons)
    visit.urgent = bool(draft.urgent_reasons)
    visit.severity = draft.severity
    visit.raw_text = draft.raw_text
    visit.updated_at = now
    visit.contacts = await _contacts_for(session=session, customer=customer, draft=draft)
    visit.orders = [
        VisitOrder(
            product_text=o["product_text"],
            product_id=o.get("product_id"),
            quantity=Decimal(o["quantity"]),
            amount=Decimal(o["amount"]) if o.get("amount") else None,
        )
        for o in draft.orders
    ]
    await visit_queries.add_visit(session=session, visit=visit)
    await _sync_follow_up(session=session, visit=visit, draft=draft, rep=rep)
    await link_visit(session=session, visit=visit)
    await record_change(
        session=session,
        user_id=rep.id,
        action="update" if before else "create",
        entity="visit",
        entity_id=visit.id,
        before=before,
        after=_snapshot(visit),
    )
    return visit


async def _sync_follow_up(
    *, session: AsyncSession, visit: Visit, draft: VisitDraft, rep: User
) -> None:
    """The visit's open follow-up follows its next step and date; a corrected visit moves it,
    and a visit whose date was removed closes nothing silently (the follow-up stays)."""
    if visit.follow_up_on is None:
        return
    due_time = time.fromisoformat(draft.follow_up_time) if draft.follow_up_time else None
    follow_up = await follow_up_queries.open_follow_up_of_visit(session=session, visit_id=visit.id)
    if follow_up is None:
        follow_up = FollowUp(customer_id=visit.customer_id, rep_id=rep.id, visit_id=visit.id)
    follow_up.customer_id = visit.customer_id
    follow_up.what = draft.next_step or ""
    follow_up.due_on = visit.follow_up_on
    follow_up.due_time = due_time
    await follow_up_queries.add_follow_up(session=session, follow_up=follow_up)


def may_change(visit: Visit, user: User, now: datetime, edit_days: int) -> bool:
    """Only the rep who logged it, while it is recent; managers read, never change."""
    return visit.rep_id == user.id and now - visit.created_at <= timedelta(days=edit_days)


async def remove_visit(*, session: AsyncSession, visit: Visit, user: User) -> None:
    await record_change(
        session=session,
        user_id=user.id,
        action="delete",
        entity="visit",
        entity_id=visit.id,
        before=_snapshot(visit),
    )
    await visit_queries.delete_visit(session=session, visit=visit)


@dataclass(frozen=True, slots=True)
class Cadence:
    days_since: int | None
    """None when the customer was never visited."""
    allowed: int
    overdue: bool


def _local_day(moment: datetime | None, now: datetime) -> date | None:
    """The day of `moment` (a visit's, stored in UTC) in `now`'s zone."""
    return moment.astimezone(now.tzinfo).date() if moment else None


def cadence_of(
    grade: str, last_visit: date | None, today: date, every: Mapping[str, int]
) -> Cadence:
    """`every` is the setting VISIT_CADENCE_DAYS: days allowed between visits per grade."""
    allowed = every.get(grade, every[Grade.C])
    if last_visit is None:
        return Cadence(None, allowed, True)
    days = (today - last_visit).days
    return Cadence(days, allowed, days > allowed)


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """What the customer card shows beyond the customer's own fields."""

    visits: list[VisitEntry]
    total_visits: int
    page: int
    follow_ups: list[FollowUp]
    ordered: Decimal
    collected: Decimal
    cadence: Cadence

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total_visits / HISTORY_PAGE))


async def customer_history(
    *,
    session: AsyncSession,
    customer: Customer,
    now: datetime,
    cadence: Mapping[str, int],
    page: int = 0,
) -> CustomerHistory:
    shown = await visit_queries.visit_page_of_customer(
        session=session, customer=customer, limit=HISTORY_PAGE, offset=page * HISTORY_PAGE
    )
    return CustomerHistory(
        visits=shown.visits,
        total_visits=shown.total,
        page=page,
        follow_ups=await follow_up_queries.open_follow_ups_of_customer(
            session=session, customer=customer
        ),
        ordered=shown.ordered,
        collected=shown.collected,
        cadence=cadence_of(
            customer.grade, _local_day(shown.last_visited_at, now), now.date(), cadence
        ),
    )


@dataclass(frozen=True, slots=True)
class Brief:
    """The pre-visit brief's facts; the handler keeps it to ten lines."""

    customer: Customer
    last_visit: Visit | None
    follow_ups: list[FollowUp]
    complaints: list[Visit]
    objections: list[str]
    contacts_met: list[Contact]
    cadence: Cadence
    last_order: Visit | None


BRIEF_LOOKBACK = 10
"""Visits read for the brief: enough to recall objections and people, few enough to stay fast."""


async def build_brief(
    *, session: AsyncSession, customer: Customer, now: datetime, cadence: Mapping[str, int]
) -> Brief:
    """The facts of a pre-visit brief; `now` is aware and local, so days count as the rep's."""
    recent = await visit_queries.visits_of_customer(
        session=session, customer_id=customer.id, limit=BRIEF_LOOKBACK
    )
    met: dict[int, Contact] = {}
    for visit in recent:
        for contact in visit.contacts:
            met.setdefault(contact.id, contact)
    return Brief(
        customer=customer,
        last_visit=recent[0] if recent else None,
        follow_ups=await follow_up_queries.open_follow_ups_of_customer(
            session=session, customer=customer
        ),
        complaints=[v for v in recent if v.complaint][:2],
        objections=list(dict.fromkeys(code for v in recent for code in v.objections)),
        contacts_met=list(met.values()),
        cadence=cadence_of(
            customer.grade,
            _local_day(recent[0].visited_at if recent else None, now),
            now.date(),
            cadence,
        ),
        last_order=await visit_queries.last_order(session=session, customer_id=customer.id),
    )


async def add_follow_up(
    *, session: AsyncSession, customer_id: int, rep: User, what: str, when: ParsedWhen
) -> FollowUp:
    follow_up = await follow_up_queries.add_follow_up(
        session=session,
        follow_up=FollowUp(
            customer_id=customer_id, rep_id=rep.id, what=what, due_on=when.day, due_time=when.at
        ),
    )
    await record_change(
        session=session,
        user_id=rep.id,
        action="create",
        entity="follow_up",
        entity_id=follow_up.id,
        after={"customer_id": customer_id, "what": what, "due_on": when.day.isoformat()},
    )
    return follow_up


def finish_follow_up(follow_up: FollowUp, now: datetime) -> None:
    follow_up.status = FollowUpStatus.DONE
    follow_up.done_at = now


def snooze_follow_up(follow_up: FollowUp, today: date) -> None:
    """Due tomorrow at the earliest, counted so a manager can see what keeps slipping."""
    follow_up.due_on = max(follow_up.due_on, today) + SNOOZE
    follow_up.snoozes += 1


@dataclass(frozen=True, slots=True)
class Todo:
    overdue: list[FollowUp]
    today: list[FollowUp]
    this_week: list[FollowUp]


async def todo_of(*, session: AsyncSession, rep: User, today: date) -> Todo:
    """Open follow-ups: overdue, today, and the rest of this calendar week."""
    week_end = today + timedelta(days=6 - today.weekday())
    items = await follow_up_queries.open_follow_ups_of_rep(
        session=session, rep_id=rep.id, until=week_end
    )
    return Todo(
        overdue=[f for f in items if f.due_on < today],
        today=[f for f in items if f.due_on == today],
        this_week=[f for f in items if f.due_on > today],
    )


@dataclass(frozen=True, slots=True)
class PlanItem:
    customer_id: int
    at: time | None
    purpose: VisitPurpose


async def record_plan(
    *, session: AsyncSession, rep: User, day: date, items: list[PlanItem]
) -> VisitPlan:
    """Replace the rep's plan for `day`: a plan is rewritten whole, as on paper."""
    plan = await visit_queries.get_plan(session=session, rep_id=rep.id, plan_date=day)
    if plan is None:
        plan = VisitPlan(rep_id=rep.id, plan_date=day)
    plan.items = [
        PlannedVisit(customer_id=item.customer_id, planned_time=item.at, purpose=item.purpose)
        for item in items
    ]
    return await visit_queries.save_plan(session=session, plan=plan)


@dataclass(frozen=True, slots=True)
class PlanComparison:
    planned_done: list[PlannedVisit]
    planned_missed: list[PlannedVisit]
    unplanned: list[Visit]


async def compare_plan(
    *, session: AsyncSession, rep: User, day: date, start: datetime, end: datetime
) -> PlanComparison | None:
    """The day's plan against the visits logged in [start, end) (the day in the rep's zone)."""
    plan = await visit_queries.get_plan(session=session, rep_id=rep.id, plan_date=day)
    if plan is None:
        return None
    logged = await visit_queries.visits_by_reps(
        session=session, rep_ids=[rep.id], start=start, end=end
    )
    visited = {visit.customer_id for visit in logged}
    planned = {item.customer_id for item in plan.items}
    return PlanComparison(
        planned_done=[item for item in plan.items if item.customer_id in visited],
        planned_missed=[item for item in plan.items if item.customer_id not in visited],
        unplanned=[visit for visit in logged if visit.customer_id not in planned],
    )


def team_rep_ids(user: User, members: list[User], managed: list[Team]) -> list[int]:
    """Whose visits a user may read: a manager their teams', an admin everyone's, a rep own."""
    if user.role == Role.ADMIN:
        return [member.id for member in members]
    if user.role == Role.MANAGER:
        teams = {team.id for team in managed} | {user.team_id}
        return [member.id for member in members if member.team_id in teams]
    return [user.id]
