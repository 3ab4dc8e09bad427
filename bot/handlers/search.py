"""Search from the chat: plain text looks up customers and products; /c and /p narrow it.

A confident answer opens its card at once, with the runners-up as buttons; close answers come
as a short pick list with what tells them apart (region, grade, owner), never a silent guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context
from bot.handlers.customers import open_customer
from bot.handlers.products import product_button, product_card
from bot.i18n import _
from bot.messages import Incoming, Reply, buttons
from bot.services.customers import Visibility
from bot.services.search.customer_index import PINYIN_SCORE
from bot.services.search.service import CustomerResult, Found
from storage.models import Customer

OTHERS_SHOWN = 4
"""Runners-up under a confident card: the pick list's five minus the one opened."""
ROUTING_SCORE = PINYIN_SCORE
"""A name typed in full pinyin or better is a lookup, not an objection to score; sound-alike,
fuzzy and initials matches still let the objection matcher have its say."""
CERTAIN_PRODUCT_MATCHES = frozenset({"exact", "sku"})
"""A product typed by its full name or SKU is certainly what the rep means."""


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
        replies = [product_card(found.top.product, ctx)]
        others = found.results[1 : 1 + OTHERS_SHOWN]
        if others:
            rows = buttons(*([product_button(r.product)] for r in others))
            replies.append(Reply(_("Other matches:"), buttons=rows))
        return replies
    lines = [_("Products matching “{query}”:").format(query=query)]
    lines += [f"{n}. {r.product.name}" for n, r in enumerate(found.results, 1)]
    rows = buttons(*([product_button(r.product)] for r in found.results))
    return [Reply("\n".join(lines), buttons=rows)]


@dataclass(frozen=True, slots=True)
class Lookup:
    """What one query found of each kind (None: that kind was not asked)."""

    query: str
    customers: Found | None
    products: Found | None

    @property
    def confident(self) -> bool:
        """A clear answer: a customer named strongly enough to open, or an exact product."""
        customers, products = self.customers, self.products
        if customers and customers.results and not customers.ambiguous:
            return bool(customers.top.hit.score >= ROUTING_SCORE)
        return bool(
            products and products.results and products.top.hit.match in CERTAIN_PRODUCT_MATCHES
        )


async def lookup(
    query: str, ctx: Context, *, customers: bool = True, products: bool = True
) -> Lookup:
    query = " ".join(query.split())
    found_customers = (
        await ctx.search.find_customers(
            session=ctx.session,
            query=query,
            user=ctx.known_user,
            others=ctx.settings.others_customers,
        )
        if customers and query
        else None
    )
    found_products = (
        await ctx.search.find_products(session=ctx.session, query=query)
        if products and query
        else None
    )
    return Lookup(query, found_customers, found_products)


async def show(found: Lookup, ctx: Context) -> list[Reply]:
    """Each kind that found something, customers first; or how to search better."""
    if not found.query:
        return [Reply(_("Type a customer or product: a name, pinyin, initials or a model."))]
    replies: list[Reply] = []
    if found.customers and found.customers.results:
        replies += await _customer_replies(found.customers, found.query, ctx)
    if found.products and found.products.results:
        replies += await _product_replies(found.products, found.query, ctx)
    if not replies:
        text = _("Nothing found for “{query}”. Try pinyin, initials or part of the name.")
        return [Reply(text.format(query=found.query))]
    return replies


async def search(
    query: str, ctx: Context, *, customers: bool = True, products: bool = True
) -> list[Reply]:
    return await show(await lookup(query, ctx, customers=customers, products=products), ctx)


async def search_customers(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/c 华为`: customers only."""
    return await search(incoming.args, ctx, products=False)


async def search_products(incoming: Incoming, ctx: Context) -> list[Reply]:
    """`/p F1 20kg`: products only."""
    return await search(incoming.args, ctx, customers=False)
