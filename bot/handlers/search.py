"""Search from the chat: plain text looks up customers and products; /c and /p narrow it.

A confident answer opens its card at once, with the runners-up as buttons; close answers come
as a short pick list with what tells them apart (region, grade, owner), never a silent guess.
"""

from __future__ import annotations

from bot.context import Context
from bot.handlers.customers import open_customer
from bot.handlers.products import product_button, product_card
from bot.i18n import _
from bot.messages import Incoming, Reply, buttons
from bot.services.customers import Visibility
from bot.services.search.service import CustomerResult, Found
from storage.models import Customer

OTHERS_SHOWN = 4
"""Runners-up under a confident card: the pick list's five minus the one opened."""


def customer_label(customer: Customer, seen: Visibility) -> str:
    parts = [customer.legal_name]
    if customer.region:
        parts.append(customer.region)
    if seen is Visibility.NAME_ONLY:
        parts.append(_("other team"))
    else:
        parts.append(customer.grade)
        if customer.owner is not None:
            parts.append(customer.owner.name)
    return " · ".join(parts)


def _customer_buttons(results: list[CustomerResult]) -> tuple:
    return buttons(
        *([(customer_label(r.customer, r.seen), f"cust:{r.customer.id}")] for r in results)
    )


async def _customer_replies(found: Found, query: str, ctx: Context) -> list[Reply]:
    if not found.ambiguous:
        top: CustomerResult = found.top
        replies = [await open_customer(top.customer, top.seen, ctx)]
        others = found.results[1 : 1 + OTHERS_SHOWN]
        if others:
            replies.append(Reply(_("Other matches:"), buttons=_customer_buttons(others)))
        return replies
    text = _("Customers matching “{query}”:").format(query=query)
    return [Reply(text, buttons=_customer_buttons(found.results))]


async def _product_replies(found: Found, query: str, ctx: Context) -> list[Reply]:
    if not found.ambiguous:
        replies = [await product_card(found.top.product, ctx)]
        others = found.results[1 : 1 + OTHERS_SHOWN]
        if others:
            rows = buttons(*([product_button(r.product)] for r in others))
            replies.append(Reply(_("Other matches:"), buttons=rows))
        return replies
    lines = [_("Products matching “{query}”:").format(query=query)]
    lines += [f"{n}. {r.product.name}" for n, r in enumerate(found.results, 1)]
    rows = buttons(*([product_button(r.product)] for r in found.results))
    return [Reply("\n".join(lines), buttons=rows)]


async def search(
    query: str, ctx: Context, *, customers: bool = True, products: bool = True
) -> list[Reply]:
    """Look up both kinds and show each kind that found something, customers first."""
    query = " ".join(query.split())
    if not query:
        return [Reply(_("Type a customer or product: a name, pinyin, initials or a model."))]
    found_customers = (
        await ctx.search.find_customers(
            session=ctx.session,
            query=query,
            user=ctx.known_user,
            others=ctx.settings.others_customers,
        )
        if customers
        else None
    )
    found_products = (
        await ctx.search.find_products(session=ctx.session, query=query) if products else None
    )
    replies: list[Reply] = []
    if found_customers and found_customers.results:
        replies += await _customer_replies(found_customers, query, ctx)
    if found_products and found_products.results:
        replies += await _product_replies(found_products, query, ctx)
    if not replies:
        return [
            Reply(
                _("Nothing found for “{query}”. Try pinyin, initials or part of the name.").format(
                    query=query
                )
            )
        ]
    return replies


async def search_text(incoming: Incoming, ctx: Context) -> list[Reply]:
    return await search(incoming.text, ctx)


async def search_customers(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/c 华为`: customers only."""
    return await search(incoming.args, ctx, products=False)


async def search_products(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/p F1 20kg`: products only."""
    return await search(incoming.args, ctx, customers=False)
