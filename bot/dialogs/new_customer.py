"""Add a customer step by step: name, grade, contact, phone, region, confirm.

The diagram is in `new_customer.mmd` beside this file.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from bot.cards import customer_card
from bot.context import Context
from bot.dialogs.engine import Advance, Dialog, Finish, Outcome, Reask, Step, choice_rows
from bot.i18n import N_, _
from bot.messages import Incoming, Reply
from bot.services.customers import (
    NewCustomer,
    add_customer,
    name_taken,
    parse_grade,
    parse_phone,
)
from storage.models import Grade

NAME_LENGTH = (2, 100)
SKIP = "skip"
SKIP_WORDS = {SKIP, "-", "跳过", "跳過", "无", "無", "none"}


class State(StrEnum):
    NAME = "name"
    SIMILAR = "similar"
    GRADE = "grade"
    CONTACT = "contact"
    PHONE = "phone"
    REGION = "region"
    CONFIRM = "confirm"


@dataclass
class Draft:
    legal_name: str = ""
    similar: list[str] | None = None
    grade: str = ""
    contact_name: str | None = None
    contact_title: str | None = None
    phone: str | None = None
    region: str | None = None


def _skipped(value: str) -> bool:
    return value.strip().lower() in SKIP_WORDS


class NewCustomerDialog(Dialog[Draft]):
    name = "new_customer"
    title = N_("adding a customer")
    data_type = Draft
    first = State.NAME

    def __init__(self) -> None:
        self.steps = {
            State.NAME: Step(self._ask_name, self._take_name),
            State.SIMILAR: Step(self._ask_similar, self._take_similar),
            State.GRADE: Step(self._ask_grade, self._take_grade),
            State.CONTACT: Step(self._ask_contact, self._take_contact),
            State.PHONE: Step(self._ask_phone, self._take_phone),
            State.REGION: Step(self._ask_region, self._take_region),
            State.CONFIRM: Step(self._ask_confirm, self._take_confirm),
        }

    def _skip_row(self, state: State) -> tuple:
        return choice_rows(self, state, [(_("Skip"), SKIP)])

    async def _ask_name(self, draft: Draft, ctx: Context) -> list[Reply]:
        return [Reply(_("New customer. What is the company's full name?"))]

    async def _take_name(
        self, incoming: Incoming, value: str, draft: Draft, ctx: Context
    ) -> Outcome:
        name = " ".join(value.split())
        low, high = NAME_LENGTH
        if not low <= len(name) <= high:
            return Reask(_("A name has {low} to {high} characters.").format(low=low, high=high))
        if await name_taken(session=ctx.session, legal_name=name):
            return Reask(
                _("{name} is already a customer. Type another name, or /cancel.").format(name=name)
            )
        similar = await ctx.search.similar_customers(
            session=ctx.session, legal_name=name, user=ctx.known_user
        )
        updated = replace(draft, legal_name=name, similar=[c.legal_name for c in similar] or None)
        return Advance(State.SIMILAR if similar else State.GRADE, updated)

    async def _ask_similar(self, draft: Draft, ctx: Context) -> list[Reply]:
        names = "\n".join(f"• {name}" for name in draft.similar or [])
        text = _("These customers look similar:\n{names}\nIs {name} a different company?").format(
            names=names, name=draft.legal_name
        )
        rows = choice_rows(self, State.SIMILAR, [(_("Yes, add it"), "yes"), (_("No, stop"), "no")])
        return [Reply(text, buttons=rows)]

    async def _take_similar(
        self, incoming: Incoming, value: str, draft: Draft, ctx: Context
    ) -> Outcome:
        answer = value.strip().lower()
        if answer in {"yes", "y", "是", "对", "對", "1"}:
            return Advance(State.GRADE, draft)
        if answer in {"no", "n", "否", "不", "不是", "2"}:
            return Finish(
                [Reply(_("Stopped {task}. Nothing was saved.").format(task=_(self.title)))]
            )
        return Reask(_("Please answer yes or no."))

    async def _ask_grade(self, draft: Draft, ctx: Context) -> list[Reply]:
        choices = [(grade.value, grade.value) for grade in Grade]
        return [
            Reply(
                _("Grade of {name}? A: priority, B: general, C: last.").format(
                    name=draft.legal_name
                ),
                buttons=choice_rows(self, State.GRADE, choices),
            )
        ]

    async def _take_grade(
        self, incoming: Incoming, value: str, draft: Draft, ctx: Context
    ) -> Outcome:
        grade = parse_grade(value)
        if grade is None:
            return Reask(_("The grade is A, B or C."))
        return Advance(State.CONTACT, replace(draft, grade=grade.value))

    async def _ask_contact(self, draft: Draft, ctx: Context) -> list[Reply]:
        return [
            Reply(
                _("Who is your contact there? Name and title, e.g. 王建国 采购经理."),
                buttons=self._skip_row(State.CONTACT),
            )
        ]

    async def _take_contact(
        self, incoming: Incoming, value: str, draft: Draft, ctx: Context
    ) -> Outcome:
        if _skipped(value):
            return Advance(State.PHONE, replace(draft, contact_name=None, contact_title=None))
        name, _sep, title = value.strip().partition(" ")
        if not name or len(name) > NAME_LENGTH[1]:
            return Reask(_("Type the contact's name, or skip."))
        return Advance(
            State.PHONE, replace(draft, contact_name=name, contact_title=title.strip() or None)
        )

    async def _ask_phone(self, draft: Draft, ctx: Context) -> list[Reply]:
        return [Reply(_("Phone number?"), buttons=self._skip_row(State.PHONE))]

    async def _take_phone(
        self, incoming: Incoming, value: str, draft: Draft, ctx: Context
    ) -> Outcome:
        if _skipped(value):
            return Advance(State.REGION, replace(draft, phone=None))
        phone = parse_phone(value)
        if phone is None:
            return Reask(_("That does not look like a phone number (7 to 15 digits)."))
        return Advance(State.REGION, replace(draft, phone=phone))

    async def _ask_region(self, draft: Draft, ctx: Context) -> list[Reply]:
        return [Reply(_("Region? e.g. 江苏省苏州市"), buttons=self._skip_row(State.REGION))]

    async def _take_region(
        self, incoming: Incoming, value: str, draft: Draft, ctx: Context
    ) -> Outcome:
        region = None if _skipped(value) else " ".join(value.split())[:100]
        return Advance(State.CONFIRM, replace(draft, region=region))

    async def _ask_confirm(self, draft: Draft, ctx: Context) -> list[Reply]:
        dash = "—"
        contact = " ".join(filter(None, [draft.contact_name, draft.contact_title])) or dash
        lines = [
            _("Please check:"),
            _("Name: {name}").format(name=draft.legal_name),
            _("Grade: {grade}").format(grade=draft.grade),
            _("Contact: {contact}").format(contact=contact),
            _("Phone: {phone}").format(phone=draft.phone or dash),
            _("Region: {region}").format(region=draft.region or dash),
        ]
        rows = choice_rows(self, State.CONFIRM, [(_("Save"), "save"), (_("Cancel"), "cancel")])
        return [Reply("\n".join(lines), buttons=rows)]

    async def _take_confirm(
        self, incoming: Incoming, value: str, draft: Draft, ctx: Context
    ) -> Outcome:
        answer = value.strip().lower()
        if answer in {"cancel", "取消", "no"}:
            return Finish(
                [Reply(_("Stopped {task}. Nothing was saved.").format(task=_(self.title)))]
            )
        if answer not in {"save", "保存", "yes", "ok", "确认", "確認"}:
            return Reask(_("Press Save to add the customer, or Cancel."))
        if await name_taken(session=ctx.session, legal_name=draft.legal_name):
            return Finish(
                [
                    Reply(
                        _("{name} is already a customer. Type another name, or /cancel.").format(
                            name=draft.legal_name
                        )
                    )
                ]
            )
        customer = await add_customer(
            session=ctx.session,
            new=NewCustomer(
                legal_name=draft.legal_name,
                grade=Grade(draft.grade),
                contact_name=draft.contact_name,
                contact_title=draft.contact_title,
                phone=draft.phone,
                region=draft.region,
            ),
            owner=ctx.known_user,
        )
        return Finish(
            [
                Reply(_("Saved {name}.").format(name=customer.legal_name)),
                customer_card(customer, ctx),
            ]
        )
