"""Inline answers: customers and products found from any chat, ready to share there.

Read-only and scoped to the asking user: a customer they may not see never appears, and one
they may see by name only is shared by name only. The same search service as the chat's, so
pinyin, initials and half-remembered models work here too.
"""

from __future__ import annotations

from bot.cards import DASH, customer_card, customer_name_only, grade_label
from bot.context import Context
from bot.handlers.products import price_text
from bot.i18n import _
from bot.messages import InlineResult
from bot.services.customers import Visibility
from bot.services.search import ProductListing
from storage.models import Customer

RESULTS_PER_KIND = 8
"""Sixteen rows fill a phone's inline list; more only scroll past what was meant."""


async def inline_results(text: str, ctx: Context) -> list[InlineResult]:
    """Customers, then products, matching what was typed after the bot's name."""
    query = " ".join(text.split())
    if not query:
        return []
    customers = await ctx.search.find_customers(
        session=ctx.session,
        query=query,
        user=ctx.known_user,
        others=ctx.settings.others_customers,
        limit=RESULTS_PER_KIND,
    )
    results = [_customer_result(found.customer, found.seen, ctx) for found in customers.results]
    products = await ctx.search.find_products(
        session=ctx.session, query=query, limit=RESULTS_PER_KIND
    )
    return results + [_product_result(found.product) for found in products.results]


def _customer_result(customer: Customer, seen: Visibility, ctx: Context) -> InlineResult:
    full = seen is Visibility.FULL
    card = customer_card(customer, ctx) if full else customer_name_only(customer)
    description = (
        f"{grade_label(customer.grade)} · {customer.region or DASH}"
        if full
        else _("Another team's customer")
    )
    return InlineResult(
        id=f"customer:{customer.id}",
        title=customer.legal_name,
        description=description,
        message_text=card.text,
    )


def _product_result(product: ProductListing) -> InlineResult:
    price = price_text(product)
    specs = [f"{key}: {value}" for key, value in (product.specs or {}).items()]
    lines = [f"⚖️ {product.name}", f"SKU {product.sku} · {price}"]
    return InlineResult(
        id=f"product:{product.id}",
        title=product.name,
        description=f"{product.sku} · {price}",
        message_text="\n".join([*lines, *specs]),
    )
