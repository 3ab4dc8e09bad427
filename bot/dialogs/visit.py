"""Log a visit: step by step (`/visit`), or from one message that lands on the summary card.

Both paths share one draft and one card: the guided path walks customer → purpose → contacts
→ outcome → orders → next step → follow-up date → location → photos → card; the one-message
path starts on the card (or on the customer pick list when the name was ambiguous). Every field
on the card can be corrected, and a corrected field returns to the card. Nothing is saved until
the card is confirmed; the draft lives in the dialog state, so a restart loses nothing and a
second press of Confirm finds no draft. The diagram is in `visit.mmd` beside this file.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from enum import StrEnum

from bot.cards import DASH, OBJECTION_LABELS, PURPOSE_LABELS, URGENT_LABELS, label
from bot.context import Context
from bot.dialogs.engine import Advance, Dialog, Finish, Outcome, Reask, Step, choice_rows
from bot.i18n import N_, _
from bot.messages import AttachmentKind, Incoming, Reply, buttons
from bot.services.customers import Visibility, visibility
from bot.services.dates import find_when, parse_when
from bot.services.visit_parser import (
    PICK_LIST_SIZE,
    match_contacts,
    read_orders,
    resolve_orders,
)
from bot.services.visits import VisitDraft, order_dict, save_visit
from storage.models import Customer, VisitPurpose
from storage.queries.customers import get_customer

SKIP = "skip"
DONE = "done"
SAVE = "save"
CANCEL = "cancel"
SKIP_WORDS = {SKIP, "-", "跳过", "跳過", "无", "無", "none", "no"}
SAVE_WORDS = {SAVE, "ok", "yes", "确认", "確認", "保存", "好"}
CANCEL_WORDS = {CANCEL, "取消"}
MAX_ATTACHMENTS = 10
"""Photos and documents per visit: enough for a shelf and a signed form, not an album."""
_NAME_SPLIT = re.compile(r"[,，、;；/]|\s+|和|及|and")


class State(StrEnum):
    CUSTOMER = "customer"
    PICK_CUSTOMER = "pick_customer"
    PURPOSE = "purpose"
    CONTACTS = "contacts"
    OUTCOME = "outcome"
    ORDERS = "orders"
    NEXT_STEP = "next_step"
    NO_NEXT_REASON = "no_next_reason"
    FOLLOW_UP = "follow_up"
    LOCATION = "location"
    PHOTOS = "photos"
    REVIEW = "review"


EDITS = (
    (State.CUSTOMER, N_("Customer")),
    (State.PURPOSE, N_("Purpose")),
    (State.CONTACTS, N_("Contacts")),
    (State.OUTCOME, N_("Outcome")),
    (State.ORDERS, N_("Orders")),
    (State.NEXT_STEP, N_("Next step")),
    (State.FOLLOW_UP, N_("Follow-up date")),
)
"""The card's correction buttons, in the card's order."""


def _skipped(value: str) -> bool:
    return value.strip().lower() in SKIP_WORDS


class VisitDialog(Dialog[VisitDraft]):
    name = "visit"
    title = N_("logging a visit")
    data_type = VisitDraft
    first = State.CUSTOMER

    def __init__(self) -> None:
        self.steps = {
            State.CUSTOMER: Step(self._ask_customer, self._take_customer),
            State.PICK_CUSTOMER: Step(self._ask_pick, self._take_pick),
            State.PURPOSE: Step(self._ask_purpose, self._take_purpose),
            State.CONTACTS: Step(self._ask_contacts, self._take_contacts),
            State.OUTCOME: Step(self._ask_outcome, self._take_outcome),
            State.ORDERS: Step(self._ask_orders, self._take_orders),
            State.NEXT_STEP: Step(self._ask_next_step, self._take_next_step),
            State.NO_NEXT_REASON: Step(self._ask_no_next_reason, self._take_no_next_reason),
            State.FOLLOW_UP: Step(self._ask_follow_up, self._take_follow_up),
            State.LOCATION: Step(self._ask_location, self._take_location),
            State.PHOTOS: Step(self._ask_photos, self._take_photos),
            State.REVIEW: Step(self._ask_review, self._take_review),
        }

    @staticmethod
    def _then(draft: VisitDraft, state: State) -> State:
        """The next guided step, or back to the card when correcting from it."""
        return State.REVIEW if draft.reviewing else state

    # --- customer -----------------------------------------------------------------------

    async def _ask_customer(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        return [Reply(_("Which customer did you visit? Type part of the name."))]

    async def _take_customer(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        matches = await ctx.search.match_customers(
            session=ctx.session, text=value, user=ctx.known_user, limit=PICK_LIST_SIZE
        )
        confident = [match for match in matches if match.confident]
        if confident:
            return await self._with_customer(draft, confident[0].customer_id, ctx)
        if not matches:
            return Reask(
                _("No customer matches “{text}”. Try another part of the name.").format(
                    text=value.strip()
                )
            )
        choices = [[match.customer_id, match.legal_name] for match in matches]
        return Advance(State.PICK_CUSTOMER, replace(draft, choices=choices))

    async def _ask_pick(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        choices = [(str(name), str(customer_id)) for customer_id, name in draft.choices]
        rows = choice_rows(self, State.PICK_CUSTOMER, choices, per_row=1)
        return [Reply(_("Which one do you mean?"), buttons=rows)]

    async def _take_pick(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        ids = [int(customer_id) for customer_id, _name in draft.choices]
        if value.isdigit() and int(value) in ids:
            return await self._with_customer(draft, int(value), ctx)
        return await self._take_customer(incoming, value, draft, ctx)

    async def _with_customer(self, draft: VisitDraft, customer_id: int, ctx: Context) -> Outcome:
        """Take the customer if this rep may log visits there; re-match the people named."""
        customer = await get_customer(session=ctx.session, customer_id=customer_id)
        if customer is None:
            return Reask(_("That customer no longer exists."))
        seen = visibility(ctx.known_user, customer, others=ctx.settings.others_customers)
        if seen is not Visibility.FULL:
            return Reask(
                _("{name} belongs to another team; ask your manager.").format(
                    name=customer.legal_name
                )
            )
        names = [
            *(c.name for c in customer.contacts if c.id in draft.contact_ids),
            *draft.new_contacts,
        ]
        if draft.customer_id != customer.id:
            ids, new = match_contacts(names, list(customer.contacts))
        else:
            ids, new = draft.contact_ids, draft.new_contacts
        updated = replace(
            draft,
            customer_id=customer.id,
            customer_name=customer.legal_name,
            choices=[],
            contact_ids=ids,
            new_contacts=new,
        )
        return Advance(self._then(updated, State.PURPOSE), updated)

    # --- purpose, contacts, outcome, orders ---------------------------------------------

    async def _ask_purpose(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        choices = [(_(PURPOSE_LABELS[p.value]), p.value) for p in VisitPurpose]
        return [
            Reply(
                _("What was the visit for?"),
                buttons=choice_rows(self, State.PURPOSE, choices, per_row=2),
            )
        ]

    async def _take_purpose(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        typed = value.strip().lower()
        by_label = {_(text).lower(): code for code, text in PURPOSE_LABELS.items()}
        purpose = typed if typed in PURPOSE_LABELS else by_label.get(typed)
        if purpose is None:
            return Reask(_("Please choose one of the purposes."))
        updated = replace(draft, purpose=purpose)
        return Advance(self._then(updated, State.CONTACTS), updated)

    async def _customer(self, draft: VisitDraft, ctx: Context) -> Customer | None:
        if draft.customer_id is None:
            return None
        return await get_customer(session=ctx.session, customer_id=draft.customer_id)

    async def _ask_contacts(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        customer = await self._customer(draft, ctx)
        known = list(customer.contacts) if customer else []
        choices = [
            (("✅ " if c.id in draft.contact_ids else "") + c.name, f"c{c.id}") for c in known
        ]
        choices.append((_("Done"), DONE))
        text = _("Whom did you meet? Tap the people, or type new names.")
        if draft.new_contacts:
            text += "\n" + _("New: {names}").format(names="、".join(draft.new_contacts))
        return [Reply(text, buttons=choice_rows(self, State.CONTACTS, choices, per_row=2))]

    async def _take_contacts(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        if value == DONE or _skipped(value):
            return Advance(self._then(draft, State.OUTCOME), draft)
        if re.fullmatch(r"c\d+", value) and incoming.button_data:
            contact_id = int(value[1:])
            ids = [i for i in draft.contact_ids if i != contact_id]
            if len(ids) == len(draft.contact_ids):
                ids.append(contact_id)
            return Advance(State.CONTACTS, replace(draft, contact_ids=ids))
        customer = await self._customer(draft, ctx)
        names = [name for name in _NAME_SPLIT.split(value) if name and name.strip()]
        ids, new = match_contacts(names, list(customer.contacts) if customer else [])
        return Advance(
            State.CONTACTS,
            replace(
                draft,
                contact_ids=list(dict.fromkeys([*draft.contact_ids, *ids])),
                new_contacts=list(dict.fromkeys([*draft.new_contacts, *new])),
            ),
        )

    async def _ask_outcome(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        return [Reply(_("How did the talk go? A line or two."))]

    async def _take_outcome(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        if not value.strip():
            return Reask(_("Type a line about the outcome."))
        updated = replace(draft, outcome=value.strip())
        return Advance(self._then(updated, State.ORDERS), updated)

    async def _ask_orders(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        return [
            Reply(
                _("Orders taken? e.g. SW-F1-20KG-C 20个 共5000元, one or more."),
                buttons=choice_rows(self, State.ORDERS, [(_("No orders"), SKIP)]),
            )
        ]

    async def _take_orders(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        if _skipped(value):
            updated = replace(draft, orders=[])
        else:
            lines = read_orders(value)
            if not lines:
                return Reask(_("I found no order in that: write the model and quantity."))
            lines = await resolve_orders(session=ctx.session, orders=lines)
            updated = replace(draft, orders=[order_dict(line) for line in lines])
        if updated.orders and not updated.purpose:
            updated = replace(updated, purpose=VisitPurpose.ORDERING.value)
        return Advance(self._then(updated, State.NEXT_STEP), updated)

    # --- next step and follow-up --------------------------------------------------------

    async def _ask_next_step(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        return [
            Reply(
                _("What is the next step? e.g. 周五送样品"),
                buttons=choice_rows(self, State.NEXT_STEP, [(_("No next step"), SKIP)]),
            )
        ]

    async def _take_next_step(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        if _skipped(value):
            return Advance(State.NO_NEXT_REASON, replace(draft, next_step=None))
        step = value.strip()
        updated = replace(draft, next_step=step, no_next_step_reason=None)
        when = find_when(step, ctx.local_now())
        if when is not None and when.day >= ctx.local_now().date():
            updated.set_follow_up(when)
            return Advance(self._then(updated, State.LOCATION), updated)
        return Advance(self._then(updated, State.FOLLOW_UP), updated)

    async def _ask_no_next_reason(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        return [Reply(_("A visit without a next step is easily lost. Why is there none?"))]

    async def _take_no_next_reason(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        if not value.strip():
            return Reask(_("Type the reason, or /back to give a next step."))
        updated = replace(draft, no_next_step_reason=value.strip())
        updated.set_follow_up(None)
        return Advance(self._then(updated, State.LOCATION), updated)

    async def _ask_follow_up(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        return [
            Reply(
                _("When do you follow up? e.g. 周五, 下周三, 11月30日, tomorrow 3pm"),
                buttons=choice_rows(self, State.FOLLOW_UP, [(_("No date"), SKIP)]),
            )
        ]

    async def _take_follow_up(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        if _skipped(value):
            updated = replace(draft)
            updated.set_follow_up(None)
            return Advance(self._then(updated, State.LOCATION), updated)
        now = ctx.local_now()
        when = parse_when(value, now)
        if when is None:
            return Reask(_("I could not read that date. Try 周五, 下周三, 11月30日 or 12-01."))
        if when.day < now.date():
            return Reask(_("That date has passed; a follow-up is in the future."))
        updated = replace(draft)
        updated.set_follow_up(when)
        return Advance(self._then(updated, State.LOCATION), updated)

    # --- location and photos ------------------------------------------------------------

    async def _ask_location(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        return [
            Reply(
                _("Send your location to check in, or skip."),
                buttons=choice_rows(self, State.LOCATION, [(_("Skip"), SKIP)]),
            )
        ]

    async def _take_location(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        if incoming.location is not None:
            updated = replace(
                draft,
                latitude=incoming.location.latitude,
                longitude=incoming.location.longitude,
            )
            return Advance(self._then(updated, State.PHOTOS), updated)
        if _skipped(value):
            return Advance(self._then(draft, State.PHOTOS), draft)
        return Reask(_("Send your location with the attachment button, or skip."))

    async def _ask_photos(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        text = _("Send photos or documents (shelf, signed forms), then press Done.")
        if draft.attachments:
            text += "\n" + _("Received: {count}").format(count=len(draft.attachments))
        return [Reply(text, buttons=choice_rows(self, State.PHOTOS, [(_("Done"), DONE)]))]

    async def _take_photos(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        attachment = incoming.attachment
        if attachment is not None and attachment.kind in (
            AttachmentKind.PHOTO,
            AttachmentKind.DOCUMENT,
        ):
            if len(draft.attachments) >= MAX_ATTACHMENTS:
                return Reask(_("That is the most I keep for one visit; press Done."))
            stored = {
                "kind": str(attachment.kind),
                "file_ref": attachment.file_ref,
                "file_name": attachment.file_name,
            }
            return Advance(State.PHOTOS, replace(draft, attachments=[*draft.attachments, stored]))
        if value == DONE or _skipped(value):
            return Advance(State.REVIEW, replace(draft, reviewing=True))
        return Reask(_("Send a photo or a document, or press Done."))

    # --- the card -----------------------------------------------------------------------

    async def _ask_review(self, draft: VisitDraft, ctx: Context) -> list[Reply]:
        customer = await self._customer(draft, ctx)
        names = {c.id: c.name for c in customer.contacts} if customer else {}
        rows = [
            [(_("✅ Confirm"), SAVE), (_("✖ Cancel"), CANCEL)],
            *[
                [(_("✏️ {field}").format(field=_(text)), f"edit_{state}") for state, text in pair]
                for pair in (EDITS[0:3], EDITS[3:5], EDITS[5:7])
            ],
        ]
        layout = buttons(
            *[[(text, self.button(State.REVIEW, value)) for text, value in row] for row in rows]
        )
        return [Reply("\n".join(draft_lines(draft, names)), buttons=layout)]

    async def _take_review(
        self, incoming: Incoming, value: str, draft: VisitDraft, ctx: Context
    ) -> Outcome:
        answer = value.strip().lower()
        if answer.startswith("edit_"):
            field = answer.removeprefix("edit_")
            if field in {state.value for state, _text in EDITS}:
                return Advance(State(field), draft)
        if answer in CANCEL_WORDS:
            return Finish(
                [Reply(_("Stopped {task}. Nothing was saved.").format(task=_(self.title)))]
            )
        if answer not in SAVE_WORDS:
            return Reask(_("Press Confirm to save the visit, or correct a field."))
        if draft.customer_id is None:
            return Advance(State.CUSTOMER, draft)
        if not draft.next_step and not draft.no_next_step_reason:
            return Advance(State.NEXT_STEP, draft)
        visit = await save_visit(
            session=ctx.session, draft=draft, rep=ctx.known_user, now=ctx.now()
        )
        done = _("Visit to {name} saved.") if not draft.visit_id else _("Visit to {name} updated.")
        replies = [Reply(done.format(name=draft.customer_name))]
        if visit.follow_up_on and not draft.visit_id:
            replies.append(
                Reply(
                    _("Follow-up on {date}: {what}").format(
                        date=visit.follow_up_on.isoformat(), what=visit.next_step or DASH
                    )
                )
            )
        if visit.urgent:
            replies.append(Reply(_("⚠️ Marked urgent for your manager.")))
        return Finish(replies)


def draft_lines(draft: VisitDraft, contact_names: dict[int, str]) -> list[str]:
    """The summary card's lines; a missing field shows a dash, so the rep sees what to add."""
    people = [contact_names.get(i, "?") for i in draft.contact_ids]
    people += [_("{name} (new)").format(name=name) for name in draft.new_contacts]
    orders = [
        f"{o['product_text']} × {o['quantity']}"
        + (f" = {o['amount']}" if o.get("amount") else "")
        + ("" if o.get("product_id") else " " + _("(not in catalogue)"))
        for o in draft.orders
    ]
    follow_up = draft.follow_up_on or DASH
    if draft.follow_up_time:
        follow_up += f" {draft.follow_up_time}"
    visited = datetime.fromisoformat(draft.visited_at).strftime("%Y-%m-%d %H:%M")
    lines = [
        _("📝 Visit draft: check and confirm"),
        _("Customer: {name}").format(name=draft.customer_name or DASH),
        _("When: {when}").format(when=visited),
        _("Purpose: {purpose}").format(purpose=label(PURPOSE_LABELS, draft.purpose)),
        _("Met: {people}").format(people="、".join(people) or DASH),
        _("Outcome: {outcome}").format(outcome=draft.outcome or DASH),
        _("Orders: {orders}").format(orders="; ".join(orders) or DASH),
    ]
    if draft.collected_amount:
        lines.append(_("Collected: {amount}").format(amount=draft.collected_amount))
    if draft.objections:
        objections = "、".join(label(OBJECTION_LABELS, code) for code in draft.objections)
        lines.append(_("Objections: {objections}").format(objections=objections))
    next_step = draft.next_step or (
        _("none: {reason}").format(reason=draft.no_next_step_reason)
        if draft.no_next_step_reason
        else DASH
    )
    lines.append(_("Next step: {step}").format(step=next_step))
    lines.append(_("Follow-up: {date}").format(date=follow_up))
    if draft.latitude is not None:
        lines.append(_("Checked in: 📍"))
    if draft.attachments:
        lines.append(_("Attachments: {count}").format(count=len(draft.attachments)))
    if draft.urgent_reasons:
        reasons = "、".join(label(URGENT_LABELS, code) for code in draft.urgent_reasons)
        lines.append(_("⚠️ Urgent: {reasons}").format(reasons=reasons))
    return lines
