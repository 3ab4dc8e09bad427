"""Visits: the one-message log, `/visit`, `/visits`, `/brief`, `/todo`, `/remind`, `/plan`, and
the buttons on customer cards and visit lists."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.cards import (
    DASH,
    OBJECTION_LABELS,
    PURPOSE_LABELS,
    cadence_line,
    contact_line,
    follow_up_line,
    label,
    stale_button,
    visit_line,
)
from bot.context import Context
from bot.dialogs.visit import State, VisitDialog
from bot.handlers.customers import full_customer_card
from bot.i18n import _
from bot.messages import Incoming, Reply, buttons
from bot.services.customers import Visibility, visibility
from bot.services.dates import find_when
from bot.services.visit_parser import (
    PICK_LIST_SIZE,
    draft_visit,
    read_purpose,
)
from bot.services.visits import (
    PlanItem,
    VisitDraft,
    build_brief,
    compare_plan,
    draft_from_reading,
    draft_from_visit,
    finish_follow_up,
    may_change,
    record_plan,
    remove_visit,
    snooze_follow_up,
    team_rep_ids,
    todo_of,
)
from bot.services.visits import add_follow_up as create_follow_up
from storage.models import Customer, FollowUpStatus, PlannedVisit, VisitPurpose
from storage.queries.customers import get_customer
from storage.queries.follow_ups import get_follow_up
from storage.queries.users import list_users, managed_teams_of
from storage.queries.visits import get_visit, visits_by_reps

RECENT_VISITS = timedelta(days=7)
"""`/visits` shows a week: what a rep may still correct and a manager reviews weekly."""
BRIEF_MAX_LINES = 10


# --- the one-message log ------------------------------------------------------------------


async def log_visit_message(incoming: Incoming, ctx: Context) -> list[Reply]:
    """Read the message into a draft card; nothing is saved until the rep confirms."""
    now = ctx.local_now()
    reading = await draft_visit(
        session=ctx.session, search=ctx.search, text=incoming.text, user=ctx.known_user, now=now
    )
    draft = draft_from_reading(reading, now)
    if draft.customer_id is not None:
        customer = await get_customer(session=ctx.session, customer_id=draft.customer_id)
        if customer is None or not _fully_visible(customer, ctx):
            draft.customer_id, draft.customer_name = None, ""
    if draft.customer_id is not None:
        state = State.REVIEW
    elif draft.choices:
        state = State.PICK_CUSTOMER
    else:
        state = State.CUSTOMER
    return await ctx.dialogs.start(VisitDialog.name, incoming, ctx, draft, state=state)


def _fully_visible(customer: Customer, ctx: Context) -> bool:
    seen = visibility(ctx.known_user, customer, others=ctx.settings.others_customers)
    return seen is Visibility.FULL


async def start_visit(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/visit`: the guided log, step by step."""
    draft = VisitDraft(visited_at=ctx.local_now().isoformat())
    return await ctx.dialogs.start(VisitDialog.name, incoming, ctx, draft)


# --- customer lookups shared by /brief, /remind, /plan -------------------------------------


async def _customer_named(text: str, ctx: Context) -> tuple[Customer | None, str | None]:
    """The one customer `text` names, or why not (no match, several, another team's)."""
    matches = await ctx.search.match_customers(
        session=ctx.session, text=text, user=ctx.known_user, limit=PICK_LIST_SIZE
    )
    confident = [match for match in matches if match.confident]
    if not confident:
        if not matches:
            return None, _("No customer matches “{text}”.").format(text=text)
        names = "\n".join(f"• {match.legal_name}" for match in matches)
        return None, _("Which one do you mean?") + "\n" + names
    customer = await get_customer(session=ctx.session, customer_id=confident[0].customer_id)
    if customer is None or not _fully_visible(customer, ctx):
        return None, _("That customer belongs to another team; ask your manager.")
    return customer, None


# --- buttons: visit:… -----------------------------------------------------------------------


async def press_visit_button(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`visit:log|history|contacts:<customer>`, `visit:edit|delete|delete_ok:<visit>`."""
    parts = (incoming.button_data or "").split(":")
    if len(parts) < 3 or not parts[2].isdigit():
        return [stale_button()]
    action, target = parts[1], int(parts[2])
    if action in {"log", "history", "contacts"}:
        customer = await get_customer(session=ctx.session, customer_id=target)
        if customer is None or not _fully_visible(customer, ctx):
            return [stale_button()]
        if action == "log":
            draft = VisitDraft(
                customer_id=customer.id,
                customer_name=customer.legal_name,
                visited_at=ctx.local_now().isoformat(),
            )
            return await ctx.dialogs.start(
                VisitDialog.name, incoming, ctx, draft, state=State.PURPOSE
            )
        if action == "contacts":
            return [_contacts_reply(customer)]
        page = int(parts[3]) if len(parts) > 3 and parts[3].isdigit() else 0
        return [await full_customer_card(customer, ctx, page=page, edit=True)]
    visit = await get_visit(session=ctx.session, visit_id=target)
    if visit is None:
        return [Reply(_("That visit no longer exists."), notice=True)]
    if not may_change(visit, ctx.known_user, ctx.now(), ctx.settings.visit_edit_days):
        return [Reply(_("Only the rep who logged a visit can change it, within a week."))]
    if action == "edit":
        draft = draft_from_visit(visit, ctx.local_now())
        return await ctx.dialogs.start(VisitDialog.name, incoming, ctx, draft, state=State.REVIEW)
    if action == "delete":
        rows = buttons(
            [
                (_("🗑 Yes, delete"), f"visit:delete_ok:{visit.id}"),
                (_("Keep it"), f"visit:history:{visit.customer_id}:0"),
            ]
        )
        return [Reply(_("Delete this visit?") + "\n" + visit_line(visit, ctx), buttons=rows)]
    if action == "delete_ok":
        name = visit.customer.legal_name
        await remove_visit(session=ctx.session, visit=visit, user=ctx.known_user)
        return [Reply(_("Visit to {name} deleted.").format(name=name), edit=True)]
    return [stale_button()]


def _contacts_reply(customer: Customer) -> Reply:
    lines = [f"👥 {customer.legal_name}"]
    lines += [f"• {contact_line(contact)}" for contact in customer.contacts] or [DASH]
    return Reply("\n".join(lines))


# --- /visits --------------------------------------------------------------------------------


async def list_visits(incoming: Incoming, ctx: Context) -> list[Reply]:
    """The last week's visits: a rep's own, with edit and delete; a manager's team, to read."""
    user = ctx.known_user
    managed = await managed_teams_of(session=ctx.session, user=user)
    rep_ids = team_rep_ids(user, await list_users(session=ctx.session), managed)
    now = ctx.now()
    visits = await visits_by_reps(
        session=ctx.session,
        rep_ids=rep_ids,
        start=now - RECENT_VISITS,
        end=now + timedelta(days=1),
    )
    if not visits:
        return [Reply(_("No visits logged in the last week."))]
    replies = [Reply(_("Visits of the last week:"))]
    for visit in visits[-PICK_LIST_SIZE * 2 :]:
        text = f"{visit.customer.legal_name} · {visit.rep.name}\n{visit_line(visit, ctx)}"
        rows = (
            buttons(
                [
                    (_("✏️ Correct"), f"visit:edit:{visit.id}"),
                    (_("🗑 Delete"), f"visit:delete:{visit.id}"),
                ]
            )
            if may_change(visit, user, now, ctx.settings.visit_edit_days)
            else ()
        )
        replies.append(Reply(text, buttons=rows))
    return replies


# --- /brief ---------------------------------------------------------------------------------


async def show_brief(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/brief CUSTOMER`: what to know before walking in, in ten lines or fewer."""
    if not incoming.args:
        return [Reply(_("Which customer? e.g. /brief 华为"))]
    customer, problem = await _customer_named(incoming.args, ctx)
    if customer is None:
        return [Reply(problem or "")]
    brief = await build_brief(
        session=ctx.session,
        customer=customer,
        now=ctx.local_now(),
        cadence=ctx.settings.visit_cadence_days,
    )
    lines = [f"📋 {customer.legal_name}", cadence_line(brief.cadence)]
    if brief.last_visit is not None:
        lines.append(_("Last visit: {line}").format(line=visit_line(brief.last_visit, ctx)))
    today = ctx.local_now().date()
    lines += [
        _("Open: {line}").format(line=follow_up_line(item, today)) for item in brief.follow_ups[:2]
    ]
    lines += [
        _("Complaint {date}: {text}").format(
            date=ctx.local(visit.visited_at).strftime("%m-%d"), text=visit.complaint
        )
        for visit in brief.complaints
    ]
    if brief.objections:
        objections = "、".join(label(OBJECTION_LABELS, code) for code in brief.objections)
        lines.append(_("Objections before: {objections}").format(objections=objections))
    if brief.contacts_met:
        people = "、".join(contact_line(contact) for contact in brief.contacts_met[:3])
        lines.append(_("Met before: {people}").format(people=people))
    if brief.last_order is not None:
        orders = "; ".join(
            f"{o.product_text} × {o.quantity.normalize():f}" for o in brief.last_order.orders
        )
        lines.append(
            _("Last order {date}: {orders}").format(
                date=ctx.local(brief.last_order.visited_at).strftime("%Y-%m-%d"),
                orders=orders,
            )
        )
    return [Reply("\n".join(lines[:BRIEF_MAX_LINES]))]


# --- follow-ups: /todo, /remind, fu:… -------------------------------------------------------


async def show_todo(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/todo`: open follow-ups overdue, today and this week, each with done and snooze."""
    today = ctx.local_now().date()
    todo = await todo_of(session=ctx.session, rep=ctx.known_user, today=today)
    sections = (
        (_("⚠️ Overdue"), todo.overdue),
        (_("Today"), todo.today),
        (_("This week"), todo.this_week),
    )
    if not any(items for _title, items in sections):
        return [Reply(_("Nothing to follow up this week."))]
    replies = []
    for title, items in sections:
        if not items:
            continue
        replies.append(Reply(f"{title} ({len(items)})"))
        replies += [
            Reply(
                follow_up_line(item, today),
                buttons=buttons(
                    [
                        (_("✅ Done"), f"fu:done:{item.id}"),
                        (_("⏰ Tomorrow"), f"fu:snooze:{item.id}"),
                    ]
                ),
            )
            for item in items
        ]
    return replies


async def remind(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/remind 华为 周五 送样品`: a follow-up without a visit."""
    usage = _("Write: /remind CUSTOMER WHEN WHAT, e.g. /remind 华为 周五 送样品")
    now = ctx.local_now()
    when = find_when(incoming.args, now)
    if when is None:
        return [Reply(_("I could not read a date in that.") + "\n" + usage)]
    if when.day < now.date():
        return [Reply(_("That date has passed; a follow-up is in the future."))]
    name = incoming.args[: when.start].strip()
    what = incoming.args[when.end :].strip()
    if not name or not what:
        return [Reply(usage)]
    customer, problem = await _customer_named(name, ctx)
    if customer is None:
        return [Reply(problem or "")]
    await create_follow_up(
        session=ctx.session, customer_id=customer.id, rep=ctx.known_user, what=what, when=when
    )
    due = when.day.isoformat() + (f" {when.at.strftime('%H:%M')}" if when.at else "")
    return [
        Reply(
            _("I will remind you on {date}: {customer}, {what}.").format(
                date=due, customer=customer.legal_name, what=what
            )
        )
    ]


async def press_follow_up_button(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`fu:done|snooze:<follow-up>`, `fu:add:<customer>`."""
    parts = (incoming.button_data or "").split(":")
    if len(parts) != 3 or not parts[2].isdigit():
        return [stale_button()]
    action, target = parts[1], int(parts[2])
    if action == "add":
        customer = await get_customer(session=ctx.session, customer_id=target)
        if customer is None:
            return [stale_button()]
        return [
            Reply(
                _("Write: /remind {name} WHEN WHAT, e.g. /remind {name} 周五 送样品").format(
                    name=customer.aliases[0] if customer.aliases else customer.legal_name
                )
            )
        ]
    follow_up = await get_follow_up(session=ctx.session, follow_up_id=target)
    if (
        follow_up is None
        or follow_up.rep_id != ctx.known_user.id
        or follow_up.status != FollowUpStatus.OPEN
    ):
        return [stale_button()]
    today = ctx.local_now().date()
    if action == "done":
        finish_follow_up(follow_up, ctx.now())
        return [Reply("✅ " + follow_up_line(follow_up, today), edit=True)]
    if action == "snooze":
        snooze_follow_up(follow_up, today)
        return [Reply("⏰ " + follow_up_line(follow_up, today), edit=True)]
    return [stale_button()]


# --- /plan ----------------------------------------------------------------------------------


async def plan_day(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/plan 华为 10点 收款; 英浩 下午3点 服务` records today's plan; `/plan` compares it with
    the day's log."""
    now = ctx.local_now()
    today = now.date()
    if not incoming.args:
        return [await _plan_report(ctx, now)]
    items: list[PlanItem] = []
    names: list[str] = []
    for chunk in (c.strip() for c in incoming.args.replace("；", ";").split(";")):
        if not chunk:
            continue
        when = find_when(chunk, now)
        name = chunk[: when.start].strip() if when else chunk.split()[0]
        customer, problem = await _customer_named(name, ctx)
        if customer is None:
            return [Reply(_("Plan not saved: {problem}").format(problem=problem))]
        rest = chunk[when.end :] if when else chunk
        items.append(
            PlanItem(
                customer_id=customer.id,
                at=when.at if when else None,
                purpose=read_purpose(rest) or VisitPurpose.OTHER,
            )
        )
        names.append(customer.legal_name)
    if not items:
        return [Reply(_("Write: /plan 华为 10点 收款; 英浩 下午3点 服务"))]
    await record_plan(session=ctx.session, rep=ctx.known_user, day=today, items=items)
    return [
        Reply(
            _("Plan for {date}: {count} visits.").format(date=today.isoformat(), count=len(items))
            + "\n"
            + "\n".join(f"• {name}" for name in names)
        )
    ]


async def _plan_report(ctx: Context, now: datetime) -> Reply:
    start = datetime.combine(now.date(), time(0), tzinfo=now.tzinfo)
    comparison = await compare_plan(
        session=ctx.session,
        rep=ctx.known_user,
        day=now.date(),
        start=start,
        end=start + timedelta(days=1),
    )
    if comparison is None:
        return Reply(_("No plan for today. Write: /plan 华为 10点 收款; 英浩 下午3点 服务"))

    def planned(item: PlannedVisit) -> str:
        at = item.planned_time.strftime("%H:%M") + " " if item.planned_time else ""
        return f"{at}{item.customer.legal_name} · {label(PURPOSE_LABELS, item.purpose)}"

    lines = [_("Today's plan against the log:")]
    lines += [f"✅ {planned(item)}" for item in comparison.planned_done]
    lines += [f"⬜ {planned(item)}" for item in comparison.planned_missed]
    lines += [
        "➕ " + _("not planned: {name}").format(name=visit.customer.legal_name)
        for visit in comparison.unplanned
    ]
    return Reply("\n".join(lines))
