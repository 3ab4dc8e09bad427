"""Objection types, their scripts and versions, the uses reps rate, and suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from storage.models import (
    ObjectionScript,
    ObjectionType,
    ScriptOutcome,
    ScriptSuggestion,
    ScriptUse,
    SuggestionStatus,
    User,
)


async def objection_types(*, session: AsyncSession) -> list[ObjectionType]:
    """Every type with its scripts, in the library's order."""
    return list(
        await session.scalars(
            select(ObjectionType).order_by(ObjectionType.position, ObjectionType.id)
        )
    )


async def library_version(*, session: AsyncSession) -> tuple[int, int, int]:
    """Changes whenever a type is added, (de)activated or its names, cues or examples change.

    Count and id sum of the active types, and the sum of their revisions (each only grows).
    """
    count, ids, revisions = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(ObjectionType.id), 0),
                func.coalesce(func.sum(ObjectionType.revision), 0),
            ).where(ObjectionType.active.is_(True))
        )
    ).one()
    return int(count), int(ids), int(revisions)


async def objection_type_by_code(*, session: AsyncSession, code: str) -> ObjectionType | None:
    return await session.scalar(select(ObjectionType).where(ObjectionType.code == code))


async def script_codes(*, session: AsyncSession) -> set[str]:
    codes = await session.scalars(
        select(ObjectionScript.code).where(ObjectionScript.code.is_not(None))
    )
    return {code for code in codes if code}


async def get_script(*, session: AsyncSession, script_id: int) -> ObjectionScript | None:
    return await session.get(ObjectionScript, script_id)


async def add_script_use(*, session: AsyncSession, use: ScriptUse) -> ScriptUse:
    session.add(use)
    await session.flush()
    return use


async def get_script_use(*, session: AsyncSession, use_id: int) -> ScriptUse | None:
    return await session.get(ScriptUse, use_id)


async def industry_outcomes(
    *, session: AsyncSession, type_id: int, industry: str
) -> dict[int, tuple[int, int]]:
    """Script id → (worked, rated) over the uses of one objection within one industry."""
    worked = func.sum(case((ScriptUse.outcome == ScriptOutcome.WORKED, 1), else_=0))
    rows = await session.execute(
        select(ScriptUse.script_id, worked, func.count())
        .join(ObjectionScript, ObjectionScript.id == ScriptUse.script_id)
        .where(
            ObjectionScript.type_id == type_id,
            ScriptUse.industry == industry,
            ScriptUse.outcome.in_([ScriptOutcome.WORKED, ScriptOutcome.FAILED]),
        )
        .group_by(ScriptUse.script_id)
    )
    return {script_id: (int(won or 0), int(rated)) for script_id, won, rated in rows}


async def link_uses_to_visit(
    *,
    session: AsyncSession,
    user_id: int,
    customer_id: int,
    codes: list[str],
    visit_id: int,
    since: datetime,
) -> int:
    """Point the rep's unlinked uses since `since`, for these objections, at the visit.

    Uses asked without a customer count too: a rep often asks before opening the card.
    """
    script_ids = (
        select(ObjectionScript.id)
        .join(ObjectionType, ObjectionType.id == ObjectionScript.type_id)
        .where(ObjectionType.code.in_(codes))
    )
    result = await session.execute(
        update(ScriptUse)
        .where(
            ScriptUse.user_id == user_id,
            ScriptUse.visit_id.is_(None),
            ScriptUse.asked_at >= since,
            ScriptUse.script_id.in_(script_ids),
            (ScriptUse.customer_id == customer_id) | ScriptUse.customer_id.is_(None),
        )
        .values(visit_id=visit_id)
    )
    return result.rowcount or 0


_USERS = User.__table__
_REMEMBER_CUSTOMER = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("user"))
    .values(last_customer_id=bindparam("customer"), last_customer_at=bindparam("at"))
)
"""On the table: each card opened runs it, and the ORM's synchronising update costs more."""


REMEMBER_AGAIN_AFTER = timedelta(minutes=1)
"""A card opened again sooner (a rep going back and forth) is not written again: the note is
for "asked soon after", measured in tens of minutes."""


async def remember_customer(
    *, session: AsyncSession, user: User, customer_id: int, now: datetime
) -> None:
    """Note the customer whose card the user just opened (context for objection answers)."""
    if (
        user.last_customer_id == customer_id
        and user.last_customer_at is not None
        and now - user.last_customer_at < REMEMBER_AGAIN_AFTER
    ):
        return
    parameters = {"user": user.id, "customer": customer_id, "at": now}
    await session.execute(_REMEMBER_CUSTOMER, parameters)
    set_committed_value(user, "last_customer_id", customer_id)
    set_committed_value(user, "last_customer_at", now)


async def add_suggestion(
    *, session: AsyncSession, suggestion: ScriptSuggestion
) -> ScriptSuggestion:
    session.add(suggestion)
    await session.flush()
    return suggestion


async def get_suggestion(*, session: AsyncSession, suggestion_id: int) -> ScriptSuggestion | None:
    return await session.get(ScriptSuggestion, suggestion_id)


async def pending_suggestions(*, session: AsyncSession, limit: int = 10) -> list[ScriptSuggestion]:
    return list(
        await session.scalars(
            select(ScriptSuggestion)
            .where(ScriptSuggestion.status == SuggestionStatus.PENDING)
            .order_by(ScriptSuggestion.id)
            .limit(limit)
        )
    )
