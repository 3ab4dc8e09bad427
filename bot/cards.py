"""Cards: how a customer or product reads in a chat, shared by handlers and dialogs."""

from __future__ import annotations

from datetime import date

from bot.context import Context
from bot.i18n import N_, _
from bot.messages import Reply, buttons
from bot.services.visits import Cadence, CustomerHistory
from storage.models import Contact, Customer, FollowUp, Visit
from storage.queries.visits import VisitEntry

DASH = "—"

PURPOSE_LABELS = {
    "new_customer": N_("new customer development"),
    "market_research": N_("market research"),
    "collection": N_("collection"),
    "service": N_("service"),
    "complaint": N_("complaint handling"),
    "ordering": N_("ordering"),
    "other": N_("other"),
}
OBJECTION_LABELS = {
    "price": N_("price too high"),
    "competitor_cheaper": N_("competitor is cheaper"),
    "existing_supplier": N_("already has a supplier"),
    "think_it_over": N_("wants to think it over"),
    "no_budget": N_("no budget"),
    "not_decision_maker": N_("not the decision maker"),
    "send_material": N_("send material first"),
    "in_house": N_("does it in-house"),
    "bad_experience": N_("unhappy with us before"),
    "quality_worry": N_("worried about quality"),
}
URGENT_LABELS = {
    "complaint": N_("complaint"),
    "competitor_promotion": N_("competitor promotion"),
    "staff_change": N_("staff change"),
}
STATUS_LABELS = {
    "prospect": N_("prospect"),
    "active": N_("active"),
    "dormant": N_("dormant"),
    "lost": N_("lost"),
}


def label(labels: dict[str, str], code: str | None) -> str:
    """The translated label of a stored code; an unknown code shows as itself."""
    if not code:
        return DASH
    return _(labels[code]) if code in labels else code


def stale_button() -> Reply:
    """The answer to a press on a button that no longer means anything (forged or outdated)."""
    return Reply(_("That button is no longer valid."), notice=True)


def grade_label(grade: str) -> str:
    labels = {"A": _("A · priority"), "B": _("B · general"), "C": _("C · last")}
    return labels.get(grade, grade)


def contact_line(contact: Contact) -> str:
    parts = [contact.name, contact.title, contact.phone]
    return " · ".join(part for part in parts if part)


def visit_line(visit: Visit | VisitEntry, ctx: Context) -> str:
    """One visit in a history: date (the reader's), purpose, outcome, next step."""
    parts = [
        ctx.local(visit.visited_at).strftime("%m-%d"),
        label(PURPOSE_LABELS, visit.purpose),
        visit.outcome or DASH,
    ]
    line = " · ".join(parts)
    return f"{line} → {visit.next_step}" if visit.next_step else line


def follow_up_line(follow_up: FollowUp, today: date) -> str:
    when = follow_up.due_on.strftime("%m-%d")
    if follow_up.due_time:
        when += " " + follow_up.due_time.strftime("%H:%M")
    mark = "⚠️ " if follow_up.due_on < today else ""
    return f"{mark}{when} {follow_up.customer.legal_name}: {follow_up.what or DASH}"


def cadence_line(cadence: Cadence) -> str:
    if cadence.days_since is None:
        return _("Never visited (visit at least every {days} days).").format(days=cadence.allowed)
    text = _("{days} days since the last visit (at least every {allowed}).").format(
        days=cadence.days_since, allowed=cadence.allowed
    )
    return f"⚠️ {text} " + _("Overdue.") if cadence.overdue else text


def history_buttons(customer_id: int, history: CustomerHistory) -> list[tuple[str, str]]:
    row = []
    if history.page > 0:
        row.append((_("« Newer"), f"visit:history:{customer_id}:{history.page - 1}"))
    if history.page + 1 < history.pages:
        row.append((_("Older »"), f"visit:history:{customer_id}:{history.page + 1}"))
    return row


def customer_card(
    customer: Customer, ctx: Context, history: CustomerHistory | None = None
) -> Reply:
    """The customer at a glance; with `history`, also visits, follow-ups, totals and cadence,
    and the buttons to act on them."""
    lines = [
        f"🏢 {customer.legal_name}",
        _("Grade: {grade}").format(grade=grade_label(customer.grade)),
        _("Status: {status}").format(status=label(STATUS_LABELS, customer.status)),
        _("Region: {region}").format(region=customer.region or DASH),
        _("Phone: {phone}").format(phone=customer.phone or DASH),
        _("Owner: {owner}").format(owner=customer.owner.name if customer.owner else DASH),
    ]
    if customer.contacts:
        lines.append(_("Contacts:"))
        lines += [f"  • {contact_line(contact)}" for contact in customer.contacts]
    if history is None:
        if customer.notes:
            lines.append(_("Notes: {notes}").format(notes=customer.notes))
        return Reply("\n".join(lines))
    lines.append(cadence_line(history.cadence))
    if history.visits:
        lines.append(
            _("Visits ({page}/{pages}):").format(page=history.page + 1, pages=history.pages)
        )
        lines += [f"  • {visit_line(visit, ctx)}" for visit in history.visits]
    today = ctx.local_now().date()
    if history.follow_ups:
        lines.append(_("Open follow-ups:"))
        lines += [f"  • {follow_up_line(item, today)}" for item in history.follow_ups]
    lines.append(
        _("Orders to date: {ordered} · collected: {collected}").format(
            ordered=f"{history.ordered:,.0f}", collected=f"{history.collected:,.0f}"
        )
    )
    if customer.notes:
        lines.append(_("Notes: {notes}").format(notes=customer.notes))
    rows = [
        [
            (_("📝 Log a visit"), f"visit:log:{customer.id}"),
            (_("⏰ Follow-up"), f"fu:add:{customer.id}"),
        ],
        [
            (_("👥 Contacts"), f"visit:contacts:{customer.id}"),
            *history_buttons(customer.id, history),
        ],
    ]
    return Reply("\n".join(lines), buttons=buttons(*rows))


def customer_name_only(customer: Customer) -> Reply:
    return Reply(
        f"🏢 {customer.legal_name}\n"
        + _("This customer belongs to another team; ask your manager for details.")
    )
