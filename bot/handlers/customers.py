"""Customers: adding one and opening its card."""

from __future__ import annotations

from bot.cards import customer_card, customer_name_only, stale_button
from bot.context import Context
from bot.dialogs.new_customer import NewCustomerDialog
from bot.messages import Incoming, Reply
from bot.services.customers import Visibility, visibility
from bot.services.visits import customer_history
from storage.models import Customer
from storage.queries.customers import get_customer
from storage.queries.objections import remember_customer


async def start_new_customer(incoming: Incoming, ctx: Context) -> list[Reply]:
    return await ctx.dialogs.start(NewCustomerDialog.name, incoming, ctx)


async def show_customer_card(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`cust:<id>`: the card, as far as this user may see it."""
    raw_id = (incoming.button_data or "").removeprefix("cust:")
    customer = (
        await get_customer(session=ctx.session, customer_id=int(raw_id))
        if raw_id.isdigit()
        else None
    )
    if customer is None:
        return [stale_button()]
    seen = visibility(ctx.known_user, customer, others=ctx.settings.others_customers)
    if seen is Visibility.HIDDEN:
        return [stale_button()]
    return [await open_customer(customer, seen, ctx)]


async def open_customer(customer: Customer, seen: Visibility, ctx: Context) -> Reply:
    """The card as far as `seen` allows; every way of opening a customer comes through here."""
    if seen is Visibility.NAME_ONLY:
        return customer_name_only(customer)
    # The customer opened last is who an objection asked soon after is about.
    await remember_customer(
        session=ctx.session, user=ctx.known_user, customer_id=customer.id, now=ctx.now()
    )
    return await full_customer_card(customer, ctx)


async def full_customer_card(
    customer: Customer, ctx: Context, *, page: int = 0, edit: bool = False
) -> Reply:
    """The card with visits, follow-ups, totals and cadence, and the buttons to act on them."""
    history = await customer_history(
        session=ctx.session,
        customer=customer,
        now=ctx.local_now(),
        cadence=ctx.settings.visit_cadence_days,
        page=page,
    )
    card = customer_card(customer, ctx, history)
    return Reply(card.text, buttons=card.buttons, edit=edit)
