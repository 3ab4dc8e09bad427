"""Cards: how a customer or product reads in a chat, shared by handlers and dialogs."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import _
from bot.messages import Reply
from storage.models import Contact, Customer

DASH = "—"


def grade_label(grade: str) -> str:
    labels = {"A": _("A · priority"), "B": _("B · general"), "C": _("C · last")}
    return labels.get(grade, grade)


def contact_line(contact: Contact) -> str:
    parts = [contact.name, contact.title, contact.phone]
    return " · ".join(part for part in parts if part)


def customer_card(customer: Customer, ctx: Context) -> Reply:
    """The customer at a glance; the visits feature adds history and follow-ups."""
    lines = [
        f"🏢 {customer.legal_name}",
        _("Grade: {grade}").format(grade=grade_label(customer.grade)),
        _("Region: {region}").format(region=customer.region or DASH),
        _("Phone: {phone}").format(phone=customer.phone or DASH),
        _("Owner: {owner}").format(owner=customer.owner.name if customer.owner else DASH),
    ]
    if customer.contacts:
        lines.append(_("Contacts:"))
        lines += [f"  • {contact_line(contact)}" for contact in customer.contacts]
    if customer.notes:
        lines.append(_("Notes: {notes}").format(notes=customer.notes))
    return Reply("\n".join(lines))


def customer_name_only(customer: Customer) -> Reply:
    return Reply(
        f"🏢 {customer.legal_name}\n"
        + _("This customer belongs to another team; ask your manager for details.")
    )
