"""Visit rules that need no database: cadence by grade, who may change a visit."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.services.visits import cadence_of, may_change
from storage.models import Role, User, Visit

EVERY = {"A": 91, "B": 182, "C": 365}


def test_cadence_of_grade_a_past_its_days_is_overdue() -> None:
    cadence = cadence_of("A", date(2026, 1, 1), date(2026, 4, 2), EVERY)

    assert (cadence.days_since, cadence.allowed, cadence.overdue) == (91, 91, False)
    assert cadence_of("A", date(2026, 1, 1), date(2026, 4, 3), EVERY).overdue


def test_cadence_of_setting_changes_what_is_overdue() -> None:
    assert cadence_of("C", date(2026, 1, 1), date(2026, 1, 9), {**EVERY, "C": 7}).overdue


def test_cadence_of_never_visited_is_overdue() -> None:
    cadence = cadence_of("B", None, date(2026, 1, 1), EVERY)

    assert (cadence.days_since, cadence.allowed, cadence.overdue) == (None, 182, True)


def test_may_change_only_own_recent_visit() -> None:
    now = datetime(2026, 3, 10, tzinfo=UTC)
    rep = User(id=1, name="王磊", role=Role.REP)
    manager = User(id=2, name="张伟", role=Role.MANAGER)
    visit = Visit(rep_id=1, created_at=now - timedelta(days=3))

    assert may_change(visit, rep, now, edit_days=7)
    assert not may_change(visit, rep, now, edit_days=2)
    assert not may_change(visit, manager, now, edit_days=7)
