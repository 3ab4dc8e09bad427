"""Customers: adding one and opening its card."""

from __future__ import annotations

from bot.cards import customer_card, customer_name_only
from bot.context import Context
from bot.dialogs.new_customer import NewCustomerDialog
from bot.i18n import _
from bot.messages import Incoming, Reply
from bot.services.customers import Visibility, visibility
from storage.queries.customers import get_customer


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
        return [Reply(_("That button is no longer valid."))]
    seen = visibility(ctx.known_user, customer, others=ctx.settings.others_customers)
    if seen is Visibility.HIDDEN:
        return [Reply(_("That button is no longer valid."))]
    if seen is Visibility.NAME_ONLY:
        return [customer_name_only(customer)]
    return [customer_card(customer, ctx)]
